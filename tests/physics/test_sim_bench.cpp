// The whole simulated bench: instruments served on ptys and loopback TCP,
// and the station description that reaches them.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <regex>
#include <string>

#include "fixtures/sim_bench.hpp"
#include "tests/support/temp_dir.hpp"

using namespace mpobench;
using namespace mpobench::fixtures;
using mpobench::testing::TempDir;

namespace {

const std::filesystem::path kDataDir = std::filesystem::path(MPOBENCH_SOURCE_DIR) / "fixtures/data";

// One query over a raw socket to a "TCPIP0::127.0.0.1::<port>::SOCKET" resource.
std::string tcp_query(const std::string& resource, const std::string& line) {
    std::smatch match;
    const std::regex form(R"(TCPIP0::127\.0\.0\.1::(\d+)::SOCKET)");
    REQUIRE(std::regex_match(resource, match, form));
    const int socket_fd = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(socket_fd >= 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(std::stoi(match[1].str())));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(socket_fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0);
    const std::string out = line + "\n";
    REQUIRE(::send(socket_fd, out.data(), out.size(), 0) == static_cast<ssize_t>(out.size()));
    std::string reply;
    char byte = 0;
    while (reply.empty() || reply.back() != '\n') {
        pollfd wait{socket_fd, POLLIN, 0};
        REQUIRE(::poll(&wait, 1, 5000) == 1);
        REQUIRE(::recv(socket_fd, &byte, 1, 0) == 1);
        reply += byte;
    }
    ::close(socket_fd);
    reply.pop_back();
    return reply;
}

}  // namespace

TEST_CASE("simulated bench starts, describes its station and stops", "[simbench]") {
    TempDir run_dir;
    SimBenchOptions options;
    options.dut = load_dut(kDataDir / "elite_sm_12f_b.json");
    options.time_scale = 0.01;
    options.run_dir = run_dir.path() / "run";
    SimBench bench(options);
    CHECK_THROWS_AS(bench.station(), std::logic_error);
    bench.start();
    bench.start();  // already running: nothing more
    const auto station = bench.station();

    CHECK(station.mated_pairs == 1);
    CHECK(station.reference_max_age_min == 240);
    // The far end as a real bench is built: four 8-port N7745C meters.
    REQUIRE(station.instruments.size() == 8);
    const struct {
        const char* name;
        drivers::Role role;
        const char* model;
        bool serial;
        int channels;
        std::vector<int> far_positions;
        bool monitor;
    } expected[] = {
        {"source", drivers::Role::LightSource, "keysight-8165x", false, 0, {}, false},
        {"rl", drivers::Role::ReturnLossMeter, "keysight-81610a", false, 0, {}, false},
        {"switch", drivers::Role::OpticalSwitch, "keysight-n773x", true, 32, {}, false},
        {"meter",
         drivers::Role::PowerMeter,
         "keysight-n774x",
         false,
         8,
         {1, 2, 3, 4, 5, 6, 7, 8},
         false},
        {"meter2",
         drivers::Role::PowerMeter,
         "keysight-n774x",
         false,
         8,
         {9, 10, 11, 12, 13, 14, 15, 16},
         false},
        {"meter3",
         drivers::Role::PowerMeter,
         "keysight-n774x",
         false,
         8,
         {17, 18, 19, 20, 21, 22, 23, 24},
         false},
        {"meter4",
         drivers::Role::PowerMeter,
         "keysight-n774x",
         false,
         8,
         {25, 26, 27, 28, 29, 30, 31, 32},
         false},
        {"monitor", drivers::Role::PowerMeter, "thorlabs-pm100", true, 0, {}, true},
    };
    const std::regex iso_date(R"(\d{4}-\d{2}-\d{2})");
    for (const auto& want : expected) {
        INFO(want.name);
        const auto* config = station.find(want.name);
        REQUIRE(config != nullptr);
        CHECK(config->role == want.role);
        CHECK(config->model == want.model);
        CHECK(config->channels == want.channels);
        CHECK(config->far_positions == want.far_positions);
        CHECK(config->monitor == want.monitor);
        REQUIRE(config->calibration_due.has_value());
        CHECK(std::regex_match(*config->calibration_due, iso_date));
        CHECK(*config->calibration_due > "2025-01-01");
        CHECK_FALSE(config->write_terminator.empty());
        CHECK_FALSE(config->read_terminator.empty());
        if (want.serial) {
            const auto link = options.run_dir / want.name;
            CHECK(config->resource == "ASRL" + link.string() + "::INSTR");
            CHECK(std::filesystem::exists(link));
            CHECK(config->transport.serial.baud == 115200);
            CHECK(config->transport.serial.data_bits == 8);
            CHECK(config->transport.serial.stop_bits == 1);
            CHECK(config->transport.serial.parity == drivers::Parity::None);
        } else {
            CHECK_THAT(config->resource, Catch::StartsWith("TCPIP0::127.0.0.1::"));
            CHECK_THAT(tcp_query(config->resource, "*IDN?"), Catch::Contains(","));
            if (want.role == drivers::Role::PowerMeter) {
                // Its real 8 ports: port 9 is beyond them.
                CHECK_THAT(tcp_query(config->resource, "*IDN?"), Catch::Contains(",N7745C,"));
                CHECK(tcp_query(config->resource, ":SENS8:POW:WAV?;:SYST:ERR?") ==
                      "+1.55000000E-006;+0,\"No error\"");
                CHECK_THAT(tcp_query(config->resource, ":SENS9:POW:WAV?;:SYST:ERR?"),
                           Catch::Contains("-114,"));
            }
        }
    }
    CHECK(station.operator_channel.kind == acquisition::OperatorConfig::Kind::Simulated);
    const auto& operator_resource = station.operator_channel.resource;
    CHECK_THAT(tcp_query(operator_resource, "*IDN?"),
               Catch::StartsWith("mpobench,Simulated Operator,"));
    CHECK(tcp_query(operator_resource, ":DUT:FIB?") == "12");
    // The file's assembly: no random pile to pick the next one from.
    CHECK_THAT(tcp_query(operator_resource, ":DUT:NEXT 12,SM,B;:SYST:ERR?"),
               Catch::StartsWith("-221,"));

    bench.stop();
    bench.stop();  // idempotent
    CHECK_FALSE(std::filesystem::exists(options.run_dir / "switch"));
    CHECK_THROWS_AS(bench.station(), std::logic_error);
}

TEST_CASE("random simulated bench starts with a 12-fibre SM type-B assembly", "[simbench]") {
    TempDir run_dir;
    SimBenchOptions options;
    options.random_seed = 5;
    options.time_scale = 0.01;
    options.run_dir = run_dir.path();
    SimBench bench(options);
    bench.start();
    const auto resource = bench.station().operator_channel.resource;
    CHECK(tcp_query(resource, ":DUT:FIB?;:DUT:MODE?;:DUT:POL?") == "12;SM;B");
    CHECK(tcp_query(resource, ":DUT:NEXT 24,MM,A;:DUT:FIB?") == "24");
    // The destructor stops it.
}

TEST_CASE("a 72-fibre assembly gets a 72-position bench", "[simbench]") {
    TempDir run_dir;
    SimBenchOptions options;
    options.dut = RandomDutGenerator(3).next(72, FiberMode::MM, PolarityType::A);
    options.time_scale = 0.01;
    options.run_dir = run_dir.path();
    SimBench bench(options);
    bench.start();
    const auto station = bench.station();
    CHECK(station.find("switch")->channels == 72);
    // Nine 8-port meters, "meter9" serving 65-72.
    CHECK(station.instruments.size() == 3 + 9 + 1);
    REQUIRE(station.find("meter9") != nullptr);
    CHECK(station.find("meter9")->channels == 8);
    CHECK(station.find("meter9")->far_positions.front() == 65);
    CHECK(station.find("meter9")->far_positions.back() == 72);
    CHECK(station.find("meter10") == nullptr);
    bench.stop();
}

TEST_CASE("the positions option sets the far positions in 8-port meters", "[simbench]") {
    TempDir run_dir;
    SimBenchOptions options;
    options.dut = load_dut(kDataDir / "elite_sm_12f_b.json");
    options.time_scale = 0.01;
    options.run_dir = run_dir.path();
    options.positions = 16;
    {
        SimBench bench(options);
        bench.start();
        const auto station = bench.station();
        CHECK(station.find("switch")->channels == 16);
        CHECK(station.find("meter2") != nullptr);
        CHECK(station.find("meter3") == nullptr);
    }
    SECTION("random 72-fibre assemblies need --positions 72") {
        SimBenchOptions random = options;
        random.dut.reset();
        random.random_seed = 9;
        random.positions = 72;
        SimBench bench(random);
        bench.start();
        const auto resource = bench.station().operator_channel.resource;
        CHECK(tcp_query(resource, ":DUT:NEXT 72,MM,B;:DUT:FIB?") == "72");
        random.positions = 0;
        SimBench narrow(random);
        narrow.start();
        const auto narrow_resource = narrow.station().operator_channel.resource;
        CHECK_THAT(tcp_query(narrow_resource, ":DUT:NEXT 72,MM,B;:SYST:ERR?"),
                   Catch::Contains("-221") && Catch::Contains("32 detectors"));
    }
    SECTION("not a multiple of 8") {
        options.positions = 20;
        CHECK_THROWS_WITH(SimBench(options), Catch::Contains("multiple of 8"));
    }
    SECTION("fewer than the assembly's fibres") {
        options.positions = 8;
        CHECK_THROWS_WITH(SimBench(options), Catch::Contains("12 fibres"));
    }
}

TEST_CASE("simulated bench refuses options it cannot run with", "[simbench][errors]") {
    TempDir run_dir;
    SimBenchOptions options;
    options.run_dir = run_dir.path();
    CHECK_THROWS_AS(SimBench(options), std::invalid_argument);  // neither DUT nor seed
    options.random_seed = 1;
    options.faults = "meter:explode@3";
    CHECK_THROWS_AS(SimBench(options), std::invalid_argument);
    options.faults.clear();
    options.time_scale = -1.0;
    CHECK_THROWS_AS(SimBench(options), std::invalid_argument);
    options.time_scale = 1.0;
    options.run_dir.clear();
    CHECK_THROWS_AS(SimBench(options), std::invalid_argument);
}

TEST_CASE("faults reach the instrument they name", "[simbench][faults]") {
    TempDir run_dir;
    SimBenchOptions options;
    options.random_seed = 1;
    options.time_scale = 0.01;
    options.run_dir = run_dir.path();
    options.faults = "operator:error=-222@1";
    SimBench bench(options);
    bench.start();
    const auto resource = bench.station().operator_channel.resource;
    CHECK_THAT(tcp_query(resource, "SYST:ERR?"), Catch::StartsWith("-222,"));
    CHECK_THAT(tcp_query(resource, "SYST:ERR?"), Catch::StartsWith("0,"));
}

TEST_CASE("the mainframe layout serves source and RL modules on one endpoint, by slot",
          "[simbench][mainframe]") {
    TempDir run_dir;
    SimBenchOptions options;
    options.dut = load_dut(kDataDir / "elite_sm_12f_b.json");
    options.time_scale = 0.01;
    options.run_dir = run_dir.path();
    options.layout = SimLayout::Mainframe;
    options.faults = "rl:error=-222@1";  // a module's rule applies to the mainframe's line
    SimBench bench(options);
    bench.start();
    const auto station = bench.station();
    REQUIRE(station.instruments.size() == 8);
    CHECK(station.instruments[0].name == "source");
    CHECK(station.instruments[1].name == "rl");
    const auto& resource = station.find("source")->resource;
    CHECK(station.find("rl")->resource == resource);
    CHECK(station.find("meter")->resource != resource);

    CHECK_THAT(tcp_query(resource, "SYST:ERR?"), Catch::StartsWith("-222,"));
    CHECK_THAT(tcp_query(resource, "*IDN?"), Catch::StartsWith("Keysight Technologies,8164B,"));
    // Slot 0 (the 8164B's back slot) and slot 4 are empty.
    CHECK(tcp_query(resource, "*OPT?") == ",81650MM,81654A,81610A,");
    // Each module answers in its own slot.
    CHECK(tcp_query(resource, ":SOUR1:WAV? MAX") == "+1.30000000E-006");
    CHECK(tcp_query(resource, ":SOUR2:WAV? MIN") == "+1.31000000E-006");
    CHECK(tcp_query(resource, ":SENS3:CHAN1:POW:WAV 1550NM;:SENS3:CHAN1:POW:WAV?") ==
          "+1.55000000E-006");
    CHECK(tcp_query(resource, ":SENS3:CHAN1:RET:CAL:VAL?").find(',') != std::string::npos);
    // One error queue for the frame: an empty slot, a slot beyond the frame.
    CHECK(tcp_query(resource, ":SOUR4:WAV?;:SENS3:CHAN1:POW:ATIM?;:SYST:ERR?") ==
          "+1.00000000E+000;-241,\"Hardware missing\"");
    CHECK_THAT(tcp_query(resource, ":SENS9:CHAN1:POW:ATIM?;:SYST:ERR?"),
               Catch::StartsWith("-114,"));
    CHECK(tcp_query(resource, "SYST:ERR?") == "+0,\"No error\"");
    CHECK(parse_sim_layout("mainframe-serial") == SimLayout::MainframeSerial);
    CHECK_THROWS_WITH(parse_sim_layout("rack"), Catch::Contains("separate, mainframe"));
}
