#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include "drivers/scpi_session.hpp"
#include "tests/support/replay_transport.hpp"

using namespace mpobench::drivers;
using Catch::Matchers::Contains;
using mpobench::testing::ReplayMismatch;
using mpobench::testing::ReplayScript;
using mpobench::testing::ReplayTransport;

namespace {

// A session on a transcript, and the transcript to check afterwards.
struct Replayed {
    std::shared_ptr<ReplayScript> script;
    ScpiSession session;

    explicit Replayed(std::string_view transcript, std::string read_terminator = "\n")
        : script(ReplayScript::from_string(transcript)),
          session(std::make_unique<ReplayTransport>(script, read_terminator),
                  SessionOptions{"meter", "\n", read_terminator, std::chrono::milliseconds(2000)}) {
    }
};

template <typename Call>
InstrumentError instrument_error(Call call) {
    try {
        call();
    } catch (const InstrumentError& error) {
        return error;
    }
    FAIL("no InstrumentError was thrown");
    throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("a query returns the reply without its terminator", "[session]") {
    Replayed replay(R"(
# one reading
> :FETC1:POW?
< +1.00000000E-003
> :SENS1:POW:WAV?
< +1.31000000E-006
)");
    CHECK(replay.session.query(":FETC1:POW?") == "+1.00000000E-003");
    CHECK(replay.session.query_value(":SENS1:POW:WAV?") == Approx(1.31e-6));
    CHECK(replay.session.is_connected());
    CHECK(replay.script->all_consumed());
}

TEST_CASE("a CR LF terminator is stripped whole", "[session]") {
    Replayed replay("> CLOSE?\n< 5\n", "\r\n");
    CHECK(replay.session.query_integer("CLOSE?") == 5);
    CHECK(replay.script->all_consumed());
}

TEST_CASE("an idempotent query is asked once more after a timeout", "[session]") {
    Replayed replay(R"(
> :FETC1:POW?
<silent
# before asking again, a marker proves nothing late is still on its way
> *ESE 100;*ESE?
< 100
> :FETC1:POW?
< -12.5
)");
    CHECK(replay.session.query_value(":FETC1:POW?") == Approx(-12.5));
    CHECK(replay.script->all_consumed());
}

TEST_CASE("a timeout after the last retry is reported", "[session]") {
    Replayed replay(R"(
> :FETC1:POW?
<silent
> *ESE 100;*ESE?
< 100
> :FETC1:POW?
<silent
> *ESE 101;*ESE?
< 101
> :FETC1:POW?
<silent
> *ESE 102;*ESE?
< 102
> :FETC1:POW?
<silent
)");
    const auto error = instrument_error([&] { replay.session.query(":FETC1:POW?"); });
    CHECK(error.kind() == ErrorKind::Timeout);
    CHECK(replay.script->all_consumed());
}

TEST_CASE("a serial session first clears what a previous client left on the line", "[session]") {
    // A process killed mid-query leaves its reply in the line's buffer.
    auto script = ReplayScript::from_string(R"(
> *ESE 100;*ESE?
< 1;A,6
< 100
> *IDN?
< Keysight Technologies,N7734C,MY123,1.0
)");
    SessionOptions options{"switch", "\n", "\n", std::chrono::milliseconds(2000)};
    options.resync_on_connect = true;
    ScpiSession session(std::make_unique<ReplayTransport>(script, "\n"), options);
    CHECK(session.identify().model == "N7734C");
    CHECK(script->all_consumed());
}

TEST_CASE("a late reply to a timed-out query is never taken for the next answer", "[session]") {
    Replayed replay(R"(
> :FETC1:POW?
<silent
> *ESE 100;*ESE?
# the slow instrument's reply to the first query arrives now, then a stale
# "1" of an earlier *OPC?, before the marker
< -12.7
< 1
< +100
> :FETC1:POW?
< -12.5
> :FETC1:POW?
<silent
# the next resynchronisation uses a new marker
> *ESE 101;*ESE?
< 100
< 101
> :FETC1:POW?
< -12.25
)");
    CHECK(replay.session.query_value(":FETC1:POW?") == Approx(-12.5));
    CHECK(replay.session.query_value(":FETC1:POW?") == Approx(-12.25));
    CHECK(replay.script->all_consumed());
}

TEST_CASE("no resynchronising marker for models without *ESE", "[session]") {
    auto script = ReplayScript::from_string("> CLOSE?\n<silent\n> CLOSE?\n< 3\n");
    SessionOptions options;
    options.role = "switch";
    options.resync_with_marker = false;
    ScpiSession session(std::make_unique<ReplayTransport>(script, "\n"), options);
    CHECK(session.query_integer("CLOSE?") == 3);
    CHECK(script->all_consumed());
}

TEST_CASE("Retry::No reports the first timeout with its context", "[session]") {
    Replayed replay(R"(
> :INIT1:IMM
> :FETC1:POW?
<silent
)");
    replay.session.write(":INIT1:IMM");
    const auto error = instrument_error([&] { replay.session.query(":FETC1:POW?", Retry::No); });
    CHECK(error.kind() == ErrorKind::Timeout);
    CHECK(error.context().role == "meter");
    CHECK(error.context().command == ":FETC1:POW?");
    CHECK_FALSE(error.context().reply.has_value());
    CHECK(std::string(error.what()) ==
          "meter (REPLAY::inline transcript): ':FETC1:POW?' timed out after 2000 ms with no reply");
    CHECK(replay.script->all_consumed());
}

TEST_CASE("the error queue is drained until it reports no error, in both styles", "[session]") {
    Replayed replay(R"(
> SYST:ERR?
< -113,"Undefined header"
> SYST:ERR?
< -222,"Data out of range"
> SYST:ERR?
< +0,"No error"
> SYST:ERR?
< 0,"No error"
> SYST:ERR?
< +0, No Error
)");
    const auto errors = replay.session.drain_errors();
    REQUIRE(errors.size() == 2);
    CHECK(errors[0].code == -113);
    CHECK(errors[1].message == "Data out of range");
    CHECK(replay.session.drain_errors().empty());
    CHECK(replay.session.drain_errors("SYST:ERR?").empty());
    CHECK(replay.script->all_consumed());
}

TEST_CASE("an error queue that never empties is bounded", "[session]") {
    std::string transcript;
    for (int read = 0; read < 200; ++read) {
        transcript += "> :SYST:ERR?\n< -350,\"Queue overflow\"\n";
    }
    Replayed replay(transcript);
    // Quiet the warning logged for each of the entries.
    const auto logger = spdlog::get("scpi");
    const auto level = logger->level();
    logger->set_level(spdlog::level::err);
    const auto error = instrument_error([&] { replay.session.drain_errors(":SYST:ERR?"); });
    logger->set_level(level);
    CHECK(error.kind() == ErrorKind::Protocol);
    CHECK_THAT(error.what(), Contains("still not empty"));
}

TEST_CASE("check_errors throws a device error naming the command", "[session]") {
    Replayed replay(R"(
> :SENS1:POW:WAV 2E-6
> SYST:ERR?
< -222,"Data out of range"
> SYST:ERR?
< +0,"No error"
)");
    replay.session.write(":SENS1:POW:WAV 2E-6");
    const auto error =
        instrument_error([&] { replay.session.check_errors(":SENS1:POW:WAV 2E-6"); });
    CHECK(error.kind() == ErrorKind::Device);
    CHECK(error.context().command == ":SENS1:POW:WAV 2E-6");
    CHECK(error.context().resource == "REPLAY::inline transcript");
    CHECK_THAT(error.what(), Contains("meter (REPLAY::inline transcript): ':SENS1:POW:WAV 2E-6'") &&
                                 Contains("-222 \"Data out of range\""));
    CHECK(replay.script->all_consumed());
}

TEST_CASE("a malformed error queue entry is a protocol error", "[session]") {
    Replayed replay(R"(
> SYST:ERR?
< No error
> *ESE 100;*ESE?
< 100
> SYST:ERR?
< No error
> *ESE 101;*ESE?
< 101
> SYST:ERR?
< No error
> *ESE 102;*ESE?
< 102
> SYST:ERR?
< No error
)");
    const auto error = instrument_error([&] { replay.session.drain_errors(); });
    CHECK(error.kind() == ErrorKind::Protocol);
    CHECK(error.context().reply == "No error");
}

TEST_CASE("block replies are read by length, terminator bytes inside included", "[session]") {
    // Two float32 (1.0 and 2.0) whose bytes include 0x0A, the terminator,
    // in a second block.
    Replayed replay(R"(
> :FETC:POW:ALL?
<hex 23 31 38 00 00 80 3F 00 00 00 40
> :READ:POW:ALL:CONF?
<hex 23 31 34 0A 00 0A 0A
)");
    const auto powers =
        decode_float32_le(replay.session.query_block(":FETC:POW:ALL?", std::chrono::seconds(1)));
    CHECK(powers == std::vector<float>{1.0F, 2.0F});
    const auto ports = decode_uint16_le(
        replay.session.query_block(":READ:POW:ALL:CONF?", std::chrono::seconds(1)));
    CHECK(ports == std::vector<std::uint16_t>{10, 2570});
    CHECK(replay.script->all_consumed());
}

TEST_CASE("malformed block replies are protocol errors with the reply", "[session]") {
    SECTION("indefinite form") {
        Replayed replay("> :FETC:POW:ALL?\n< #0abc\n");
        const auto error = instrument_error([&] {
            replay.session.query_block(":FETC:POW:ALL?", std::chrono::seconds(1), Retry::No);
        });
        CHECK(error.kind() == ErrorKind::Protocol);
        CHECK_THAT(error.what(), Contains("indefinite"));
        CHECK(error.context().reply.has_value());
    }
    SECTION("no terminator after the payload") {
        Replayed replay("> :FETC:POW:ALL?\n<hex 23 31 32 41 42 43\n");
        const auto error = instrument_error([&] {
            replay.session.query_block(":FETC:POW:ALL?", std::chrono::seconds(1), Retry::No);
        });
        CHECK(error.kind() == ErrorKind::Protocol);
        CHECK_THAT(error.what(), Contains("not followed by the terminator"));
    }
    SECTION("a text reply where a block was expected") {
        Replayed replay("> :FETC:POW:ALL?\n< +1.0E-03\n");
        const auto error = instrument_error([&] {
            replay.session.query_block(":FETC:POW:ALL?", std::chrono::seconds(1), Retry::No);
        });
        CHECK(error.kind() == ErrorKind::Protocol);
        CHECK(error.context().reply == "+1.0E-03");
    }
    SECTION("a payload shorter than announced") {
        Replayed replay("> :FETC:POW:ALL?\n<hex 23 31 38 00 00 80 3F\n");
        const auto error = instrument_error([&] {
            replay.session.query_block(":FETC:POW:ALL?", std::chrono::seconds(1), Retry::No);
        });
        CHECK(error.kind() == ErrorKind::Timeout);
        CHECK(error.context().reply.has_value());
        CHECK_THAT(error.what(), Contains("incomplete reply"));
    }
}

TEST_CASE("a reply that does not parse is a protocol error carrying the reply", "[session]") {
    Replayed replay(R"(
> :FETC1:POW?
< +1.0E-03 DBM
> :FETC1:POW?
< 9.9E37
)");
    const auto garbled =
        instrument_error([&] { replay.session.query_value(":FETC1:POW?", Retry::No); });
    CHECK(garbled.kind() == ErrorKind::Protocol);
    CHECK(garbled.context().reply == "+1.0E-03 DBM");
    CHECK_THAT(garbled.what(), Contains("reply '+1.0E-03 DBM'"));

    const auto overrange =
        instrument_error([&] { replay.session.query_value(":FETC1:POW?", Retry::No); });
    CHECK(overrange.kind() == ErrorKind::Protocol);
    CHECK(replay.script->all_consumed());
}

TEST_CASE("common commands: identity, reset, clear, operation complete", "[session]") {
    Replayed replay(R"(
> *IDN?
< Keysight Technologies,N7745C,MY50000001,1.204
> *RST
> *CLS
> *OPC?
< 1
> *OPC?
< +1
> *IDN?
< Keysight Technologies,N7745C,MY50000001
> *ESE 100;*ESE?
< 100
> *IDN?
< Keysight Technologies,N7745C,MY50000001
> *ESE 101;*ESE?
< 101
> *IDN?
< Keysight Technologies,N7745C,MY50000001
> *ESE 102;*ESE?
< 102
> *IDN?
< Keysight Technologies,N7745C,MY50000001
> *OPC?
< 0
)");
    const auto identity = replay.session.identify();
    CHECK(identity.vendor == "Keysight Technologies");
    CHECK(identity.model == "N7745C");
    replay.session.reset();
    replay.session.clear_status();
    replay.session.wait_complete();
    replay.session.wait_complete(std::chrono::seconds(10));
    // A short identity is asked again (it may be a reply cut short on the line).
    const auto short_idn = instrument_error([&] { replay.session.identify(); });
    CHECK(short_idn.kind() == ErrorKind::Protocol);
    CHECK_THAT(short_idn.what(), Contains("3 fields") && Contains("still after 3 retries"));
    CHECK(instrument_error([&] { replay.session.wait_complete(); }).kind() == ErrorKind::Protocol);
    CHECK(replay.script->all_consumed());
}

TEST_CASE("lists and numbers through the session", "[session]") {
    Replayed replay(R"(
> :SENS:POW:UNIT:ALL:CSV?
< 1,0,1,1
> :FETC:POW:ALL:CSV?
< -10.5,9.9E37
)");
    CHECK(replay.session.query_list(":SENS:POW:UNIT:ALL:CSV?") ==
          std::vector<std::string>{"1", "0", "1", "1"});
    const auto readings = parse_number_list(replay.session.query(":FETC:POW:ALL:CSV?"));
    CHECK(readings.at(1).kind == ScpiNumber::Kind::PositiveOverrange);
    CHECK(replay.script->all_consumed());
}

TEST_CASE("every exchange is logged at debug level on the scpi logger", "[session]") {
    Replayed replay("> :FETC1:POW?\n< +1.0E-03\n");
    const auto logger = spdlog::get("scpi");
    REQUIRE(logger);
    const auto sink = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(16);
    sink->set_pattern("%v");
    logger->sinks().push_back(sink);
    const auto level = logger->level();
    logger->set_level(spdlog::level::debug);

    replay.session.query(":FETC1:POW?");

    logger->set_level(level);
    logger->sinks().pop_back();
    const auto lines = sink->last_formatted();
    REQUIRE(lines.size() >= 2);
    CHECK_THAT(lines[lines.size() - 2],
               Contains("[meter REPLAY::inline transcript] > :FETC1:POW?"));
    CHECK_THAT(lines.back(),
               Contains("[meter REPLAY::inline transcript] < +1.0E-03 (") && Contains(" ms)"));
}

TEST_CASE("the replay transport reports a wrong write with the transcript line", "[replay]") {
    Replayed replay("# header\n\n> :SENS1:POW:WAV 1.31E-06\n");
    CHECK_THROWS_AS(replay.session.write(":SENS1:POW:WAV 1310"), ReplayMismatch);
    CHECK_THROWS_WITH(
        ReplayScript::from_string("> A\n")->expect_write("B"),
        Contains("line 1") && Contains("expected write 'A'") && Contains("wrote 'B'"));
    CHECK_FALSE(replay.script->all_consumed());
    CHECK_THAT(replay.script->remaining(), Contains("line 3: > :SENS1:POW:WAV 1.31E-06"));
}

TEST_CASE("the replay transport refuses writes past the end and unread replies", "[replay]") {
    auto script = ReplayScript::from_string("> A?\n< 1\n");
    ReplayTransport transport(script);
    transport.open();
    const auto deadline = ReplayTransport::Clock::now();
    transport.write("A?\n", deadline);
    CHECK_THROWS_WITH(transport.write("B?\n", deadline), Contains("line 2") && Contains("answer"));

    auto finished = ReplayScript::from_string("> A\n");
    finished->expect_write("A");
    CHECK(finished->all_consumed());
    CHECK_THROWS_WITH(finished->expect_write("B"), Contains("after the end"));
}

TEST_CASE("the replay transport times out a read with nothing pending", "[replay]") {
    ReplayTransport transport(ReplayScript::from_string("> A?\n"));
    transport.open();
    std::array<char, 8> buffer;
    try {
        transport.read_some(buffer, ReplayTransport::Clock::now());
        FAIL("read_some returned");
    } catch (const TransportError& error) {
        CHECK(error.kind() == ErrorKind::Timeout);
    }
}

TEST_CASE("malformed transcripts are rejected with their line", "[replay]") {
    CHECK_THROWS_WITH(ReplayScript::from_string("> A\nbogus\n"), Contains("line 2"));
    CHECK_THROWS_WITH(ReplayScript::from_string("<hex 2G\n"), Contains("line 1"));
    CHECK_THROWS_WITH(ReplayScript::from_string("<hex\n"), Contains("line 1"));
    CHECK_THROWS_WITH(ReplayScript::from_string("<hex 123\n"), Contains("hex byte pairs"));
    CHECK_THROWS_WITH(ReplayScript::from_string(">\n"), Contains("without a command"));
    CHECK_THROWS_WITH(ReplayScript::from_string("<silent please\n"), Contains("line 1"));
    CHECK_THROWS_AS(ReplayScript::from_file("/nonexistent/transcript.txt"), std::invalid_argument);
    CHECK(ReplayScript::from_string("# only a comment\r\n\r\n")->all_consumed());
}

// ---------------------------------------------------------------------------
// Retries of transient faults (issue 11)

namespace {

struct Budgeted {
    std::shared_ptr<ReplayScript> script;
    std::shared_ptr<RetryBudget> budget;
    ScpiSession session;

    Budgeted(std::string_view transcript, int limit)
        : script(ReplayScript::from_string(transcript)),
          budget(std::make_shared<RetryBudget>(limit)),
          session(std::make_unique<ReplayTransport>(script), [this] {
              SessionOptions options{"meter", "\n", "\n", std::chrono::milliseconds(2000)};
              options.retry_budget = budget;
              return options;
          }()) {}
};

}  // namespace

TEST_CASE("a garbled reply is asked again once, and the retry is counted", "[session][retry]") {
    Budgeted replay(R"(
> :FETC1:POW?
<hex 8A F3 C1 9E 80 B2
# whatever else the fault left on the line is cleared before asking again
> *ESE 100;*ESE?
< 100
> :FETC1:POW?
< -12.5
)",
                    50);
    CHECK(replay.session.query_value(":FETC1:POW?") == Approx(-12.5));
    CHECK(replay.budget->used() == 1);
    CHECK(replay.script->all_consumed());
}

TEST_CASE("a reply that does not parse is retried like a garbled one", "[session][retry]") {
    Budgeted replay(R"(
> :SENS1:POW:WAV?
< +1.31000$00E-006
> *ESE 100;*ESE?
< 100
> :SENS1:POW:WAV?
< +1.31000000E-006
)",
                    50);
    CHECK(replay.session.query_value(":SENS1:POW:WAV?") == Approx(1.31e-6));
    CHECK(replay.budget->used() == 1);
    CHECK(replay.script->all_consumed());
}

TEST_CASE("a late reply to a timed-out query never answers its retry", "[session][retry]") {
    Budgeted replay(R"(
> :FETC1:POW?
<silent
> *ESE 100;*ESE?
# the late reply to the first attempt comes before the marker: discarded
< -99.0
< 100
> :FETC1:POW?
< -12.5
)",
                    50);
    CHECK(replay.session.query_value(":FETC1:POW?") == Approx(-12.5));
    CHECK(replay.budget->used() == 1);
    CHECK(replay.script->all_consumed());
}

TEST_CASE("retries stop after max_retries with the instrument, command and fault",
          "[session][retry]") {
    std::string transcript = "> :FETC1:POW?\n<silent\n";
    for (int marker = 100; marker < 103; ++marker)
        transcript += fmt::format("> *ESE {0};*ESE?\n< {0}\n> :FETC1:POW?\n<silent\n", marker);
    Budgeted replay(transcript, 50);
    const auto error = instrument_error([&] { replay.session.query(":FETC1:POW?"); });
    CHECK(error.kind() == ErrorKind::Timeout);
    CHECK(std::string(error.what()) ==
          "meter (REPLAY::inline transcript): ':FETC1:POW?' timed out after 2000 ms with no "
          "reply (still after 3 retries)");
    CHECK(replay.budget->used() == 3);
    CHECK(replay.script->all_consumed());
}

TEST_CASE("a spent retry budget ends the run's retries with the context", "[session][retry]") {
    Budgeted replay(R"(
> :FETC1:POW?
<hex 8A F3
> *ESE 100;*ESE?
< 100
> :FETC1:POW?
< -12.5
> :FETC2:POW?
<hex 8A F3
)",
                    1);
    CHECK(replay.session.query_value(":FETC1:POW?") == Approx(-12.5));
    const auto error = instrument_error([&] { replay.session.query_value(":FETC2:POW?"); });
    CHECK(error.kind() == ErrorKind::Protocol);
    CHECK(error.context().command == ":FETC2:POW?");
    CHECK_THAT(error.what(), Contains("meter (REPLAY::inline transcript)") && Contains("garbled") &&
                                 Contains("retry budget of 1 is spent"));
    CHECK(replay.budget->used() == 1);
    replay.budget->reset();
    CHECK(replay.budget->used() == 0);
    CHECK(replay.script->all_consumed());
}

TEST_CASE("non-idempotent commands are never retried", "[session][retry]") {
    // READ starts a new averaging window; a write has no reply to lose.
    Budgeted replay(R"(
> :READ1:POW?
<hex 8A F3
> *RST
)",
                    50);
    const auto error = instrument_error([&] { replay.session.query(":READ1:POW?", Retry::No); });
    CHECK(error.kind() == ErrorKind::Protocol);
    replay.session.reset();
    CHECK(replay.budget->used() == 0);
    CHECK(replay.script->all_consumed());
}

TEST_CASE(
    "a lost error-queue reply is retried, then the status byte tells whether it held an error",
    "[session][retry]") {
    SECTION("no error event: the lost reply said no error") {
        Budgeted replay(R"(
> SYST:ERR?
<hex 8A F3 C1
> *ESE 100;*ESE?
< 100
> SYST:ERR?
< +0,"No error"
# error events enabled, the status byte read (not cleared): bit 5 clear
> *ESE 60;*STB?
< 0
)",
                        50);
        CHECK(replay.session.drain_errors().empty());
        CHECK(replay.budget->used() == 1);
        CHECK(replay.script->all_consumed());
    }
    SECTION("an error event: the lost reply carried an error, reported") {
        Budgeted replay(R"(
> SYST:ERR?
<silent
> *ESE 100;*ESE?
< 100
> SYST:ERR?
< +0,"No error"
# the check is asked again too: it clears nothing
> *ESE 60;*STB?
<silent
> *ESE 101;*ESE?
< 101
> *ESE 60;*STB?
< 32
)",
                        50);
        const auto error = instrument_error([&] { replay.session.check_errors(":SENS1:POW:WAV"); });
        CHECK(error.kind() == ErrorKind::Device);
        CHECK_THAT(error.what(), Contains("lost") && Contains("'*ESE 60;*STB?' = 32"));
        CHECK(replay.script->all_consumed());
    }
    SECTION("models without *ESE cannot tell: not retried") {
        auto script = ReplayScript::from_string("> SYST:ERR?\n<silent\n");
        SessionOptions options;
        options.role = "switch";
        options.resync_with_marker = false;
        ScpiSession session(std::make_unique<ReplayTransport>(script, "\n"), options);
        CHECK(instrument_error([&] { session.drain_errors(); }).kind() == ErrorKind::Timeout);
        CHECK(script->all_consumed());
    }
}

// ---------------------------------------------------------------------------
// Sessions sharing one connection (issue 11, item 9)

namespace {

// An instrument that answers each command line with "<command>=ok" after
// a pause, one line at a time as a real one does, and lets the reader see
// a reply only after yielding the processor: a second client writing in
// between would get its query into the middle of another's exchange.
class SlowEchoTransport final : public Transport {
  public:
    void open() override { open_ = true; }
    void close() override { open_ = false; }
    bool is_open() const override { return open_; }
    void write(std::string_view bytes, Clock::time_point) override {
        std::lock_guard lock(mutex_);
        std::size_t start = 0;
        while (true) {
            const auto end = bytes.find('\n', start);
            if (end == std::string_view::npos)
                break;
            const auto line = bytes.substr(start, end - start);
            if (line.starts_with("*ESE ")) {
                const auto marker = line.substr(5, line.find(';') - 5);
                outgoing_ += std::string(marker) + "\n";
            } else {
                outgoing_ += std::string(line) + "=ok\n";
            }
            start = end + 1;
        }
        ++writes_in_flight_;
        max_in_flight_ = std::max(max_in_flight_, writes_in_flight_);
    }
    std::size_t read_some(std::span<char> buffer, Clock::time_point deadline) override {
        while (true) {
            std::this_thread::sleep_for(std::chrono::microseconds(200));
            std::lock_guard lock(mutex_);
            if (!outgoing_.empty()) {
                // One reply at a time, as it would trickle in.
                const auto end = outgoing_.find('\n') + 1;
                const auto count = std::min(buffer.size(), end);
                std::copy_n(outgoing_.begin(), count, buffer.begin());
                outgoing_.erase(0, count);
                if (count == end)
                    --writes_in_flight_;
                return count;
            }
            if (Clock::now() > deadline)
                throw TransportError(ErrorKind::Timeout, "no reply");
        }
    }
    void discard_input() override {
        std::lock_guard lock(mutex_);
        outgoing_.clear();
    }
    std::string resource() const override { return "TCPIP0::mainframe::5025::SOCKET"; }
    int max_in_flight() const {
        std::lock_guard lock(mutex_);
        return max_in_flight_;
    }

  private:
    mutable std::mutex mutex_;
    bool open_ = false;
    std::string outgoing_;
    int writes_in_flight_ = 0;  // queries written whose reply is not yet read whole
    int max_in_flight_ = 0;
};

}  // namespace

TEST_CASE("two drivers on one shared session never interleave their exchanges", "[session]") {
    auto transport = std::make_unique<SlowEchoTransport>();
    const auto* wire = transport.get();
    SessionOptions source_options{"source", "\n", "\n", std::chrono::milliseconds(2000)};
    SessionOptions rl_options{"rl", "\n", "\n", std::chrono::milliseconds(2000)};
    ScpiSession source(std::move(transport), source_options);
    const auto rl = source.share(rl_options);
    CHECK(rl->resource() == source.resource());

    constexpr int kQueries = 150;
    std::atomic<int> wrong{0};
    const auto ask = [&wrong](ScpiSession& session, const char* header) {
        for (int i = 0; i < kQueries; ++i) {
            const auto command = fmt::format("{}{}:WAV?", header, i);
            if (session.query(command) != command + "=ok")
                ++wrong;
        }
    };
    std::thread source_thread(ask, std::ref(source), ":SOUR1");
    std::thread rl_thread(ask, std::ref(*rl), ":SENS3:CHAN1");
    source_thread.join();
    rl_thread.join();
    CHECK(wrong == 0);
    // Never a second query on the wire before the first one's reply was read.
    CHECK(wire->max_in_flight() == 1);
}

TEST_CASE("hold() keeps a command and its error check together on a shared session", "[session]") {
    auto transport = std::make_unique<SlowEchoTransport>();
    const auto* wire = transport.get();
    ScpiSession source(std::move(transport),
                       {"source", "\n", "\n", std::chrono::milliseconds(2000)});
    const auto rl = source.share({"rl", "\n", "\n", std::chrono::milliseconds(2000)});
    std::atomic<bool> rl_ran{false};
    std::string rl_reply;  // checked on this thread: Catch2 assertions are not thread-safe
    std::thread rl_thread;
    {
        const auto held = source.hold();
        rl_thread = std::thread([&] {
            rl_reply = rl->query(":SENS3:CHAN1:POW:WAV?");
            rl_ran = true;
        });
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        CHECK_FALSE(rl_ran);  // waits for the source's sequence
        CHECK(source.query(":SOUR1:POW:STAT?") == ":SOUR1:POW:STAT?=ok");
    }
    rl_thread.join();
    CHECK(rl_ran);
    CHECK(rl_reply == ":SENS3:CHAN1:POW:WAV?=ok");
    CHECK(wire->max_in_flight() == 1);
}

TEST_CASE("sessions on one connection must agree on its framing", "[session]") {
    ScpiSession source(std::make_unique<SlowEchoTransport>(),
                       {"source", "\n", "\n", std::chrono::milliseconds(2000)});
    CHECK_THROWS_WITH(source.share({"rl", "\r\n", "\n", std::chrono::milliseconds(2000)}),
                      Contains("source and rl share") && Contains("terminators"));
}
