// Every fault kind the simulators inject, on every instrument, over both
// wires: the driver raises the typed error with its context (instrument,
// resource, command, reply or its absence, elapsed time) within its
// timeout, and the next call works again without restarting anything.

#include <catch2/catch.hpp>

#include <chrono>
#include <optional>

#include "drivers/errors.hpp"
#include "drivers/registry.hpp"
#include "fixtures/sim/faults.hpp"
#include "sim_wire.hpp"

using namespace mpobench;
using namespace std::chrono_literals;
using drivers::ErrorKind;
using testing::Wire;
using testing::WiredInstrument;

namespace {

void inject(WiredInstrument& wired, const std::string& rule) {
    const auto& name = wired.config().name;
    wired.sim().set_faults(
        fixtures::FaultInjector(fixtures::parse_fault_spec(name + ":" + rule), name));
}

void clear_faults(WiredInstrument& wired) {
    wired.sim().set_faults(fixtures::FaultInjector());
}

// The role's configuration step: a command the driver checks with SYST:ERR?.
void configure(drivers::Instrument& instrument) {
    if (auto* meter = dynamic_cast<drivers::PowerMeter*>(&instrument)) {
        meter->set_wavelength_nm(1310);
    } else if (auto* source = dynamic_cast<drivers::LightSource*>(&instrument)) {
        source->select_wavelength_nm(1310);
    } else if (auto* sw = dynamic_cast<drivers::OpticalSwitch*>(&instrument)) {
        sw->route(3);
    } else if (auto* rl = dynamic_cast<drivers::ReturnLossMeter*>(&instrument)) {
        rl->set_wavelength_nm(1310);
    }
}

void check_context(const drivers::InstrumentError& error, const WiredInstrument& wired) {
    INFO(error.what());
    CHECK(error.context().role == wired.config().name);
    CHECK(error.context().resource == wired.config().resource);
    CHECK_FALSE(error.context().command.empty());
    const std::string message = error.what();
    CHECK(message.find(wired.config().name) != std::string::npos);
    CHECK(message.find(error.context().command) != std::string::npos);
}

// Runs `call`, which must raise InstrumentError of `kind`.
template <typename Call>
drivers::InstrumentError expect_error(Call call, ErrorKind kind) {
    try {
        call();
    } catch (const drivers::InstrumentError& error) {
        INFO(error.what());
        CHECK(error.kind() == kind);
        return error;
    }
    FAIL("no error raised; expected " << drivers::to_string(kind));
    throw std::logic_error("unreachable");
}

struct FaultRow {
    const char* rule;
    ErrorKind kind;
    bool configure_step;  // the fault shows on a configuration step, not on *IDN?
};

// Timeout-kind rows wait for it four times per instrument and wire (the
// query, then its three retries): at the stations' 1.5 s they were the
// longest tests.
constexpr std::chrono::milliseconds kFaultTimeout{600};

// One fault on every instrument over both wires.
void run_fault_row(const FaultRow& row) {
    for (const auto& model : testing::all_models()) {
        for (const Wire wire : {Wire::Pty, Wire::Tcp}) {
            DYNAMIC_SECTION(model.model_key << " over " << testing::to_string(wire) << ": "
                                            << row.rule) {
                WiredInstrument wired(model, wire, kFaultTimeout);
                auto instrument = drivers::make_instrument(wired.config());
                const auto before = instrument->identify();
                instrument->prepare();

                inject(wired, row.rule);
                if (row.kind == ErrorKind::Device) {
                    // A queued error reaches the caller typed: from the
                    // driver's own check after configuring, or — for a
                    // switch that verifies each move by read-back instead —
                    // from the queue.
                    std::optional<drivers::InstrumentError> raised;
                    try {
                        configure(*instrument);
                    } catch (const drivers::InstrumentError& error) {
                        raised = error;
                    }
                    if (raised) {
                        CHECK(raised->kind() == ErrorKind::Device);
                        CHECK_THAT(raised->what(), Catch::Contains("-222"));
                        check_context(*raised, wired);
                    } else {
                        const auto queued = instrument->drain_errors();
                        REQUIRE(queued.size() == 1);
                        CHECK(queued[0].code == -222);
                    }
                } else {
                    const auto error =
                        expect_error([&] { (void)instrument->identify(); }, row.kind);
                    check_context(error, wired);
                    if (row.kind == ErrorKind::Timeout) {
                        CHECK(error.context().elapsed >= wired.config().timeout);
                        CHECK_FALSE(error.context().reply.has_value());
                    }
                    if (row.kind == ErrorKind::Protocol)
                        CHECK(error.context().reply.has_value());
                }

                clear_faults(wired);
                if (row.kind == ErrorKind::Disconnected)
                    instrument->reconnect();
                const auto after = instrument->identify();
                CHECK(after.serial == before.serial);
                configure(*instrument);
                CHECK(instrument->drain_errors().empty());
            }
        }
    }
}

}  // namespace

// One test case per fault kind; a new kind is one more line.
TEST_CASE("fault: lost replies are a Timeout, then recovery") {
    run_fault_row({"timeout@1+", ErrorKind::Timeout, false});
}
TEST_CASE("fault: garbled replies are a Protocol error, then recovery") {
    run_fault_row({"garble@1+", ErrorKind::Protocol, false});
}
TEST_CASE("fault: a dropped connection is Disconnected, then reconnect") {
    run_fault_row({"disconnect@1", ErrorKind::Disconnected, false});
}
TEST_CASE("fault: a reset connection (TCP RST) is Disconnected, then reconnect") {
    run_fault_row({"reset@1", ErrorKind::Disconnected, false});
}
TEST_CASE("fault: replies slower than the timeout are a Timeout, then recovery") {
    run_fault_row({"slow=120s@1+", ErrorKind::Timeout, false});  // 1.2 s wall: twice the timeout
}
TEST_CASE("fault: one reply later than the retries is a Timeout, then recovery") {
    // 3.2 s wall: well past the query's timeout and its retries' (4 x 0.6 s).
    run_fault_row({"slow=320s@1", ErrorKind::Timeout, false});
}
TEST_CASE("fault: an error-queue entry is a typed device error") {
    run_fault_row({"error=-222@1", ErrorKind::Device, true});
}

TEST_CASE("a single lost reply to an idempotent query is recovered by one retry") {
    for (const auto& model : testing::all_models()) {
        DYNAMIC_SECTION(model.model_key) {
            WiredInstrument wired(model, Wire::Tcp, kFaultTimeout);
            auto instrument = drivers::make_instrument(wired.config());
            const auto before = instrument->identify();
            inject(wired, "timeout@1");
            CHECK(instrument->identify().serial == before.serial);
        }
    }
}

TEST_CASE("an injected overrange reaches the caller as a typed reading, never a number") {
    for (const Wire wire : {Wire::Pty, Wire::Tcp}) {
        for (const auto& model : testing::all_models()) {
            if (model.role != drivers::Role::PowerMeter &&
                model.role != drivers::Role::ReturnLossMeter)
                continue;
            DYNAMIC_SECTION(model.model_key << " over " << testing::to_string(wire)) {
                WiredInstrument wired(model, wire);
                auto instrument = drivers::make_instrument(wired.config());
                instrument->prepare();
                if (auto* meter = dynamic_cast<drivers::PowerMeter*>(instrument.get())) {
                    meter->set_wavelength_nm(1310);
                    meter->set_averaging_time(10ms);
                    inject(wired, "overrange@1+");
                    meter->start_measurement();
                    for (const auto& reading : meter->read_all_dbm()) {
                        CHECK(reading.status == drivers::PowerReading::Status::Overrange);
                    }
                    clear_faults(wired);
                    meter->start_measurement();
                    CHECK(meter->read_all_dbm().front().status !=
                          drivers::PowerReading::Status::Overrange);
                } else if (auto* rl = dynamic_cast<drivers::ReturnLossMeter*>(instrument.get())) {
                    rl->set_wavelength_nm(1310);
                    rl->set_averaging_time(200ms);
                    inject(wired, "overrange@1+");
                    rl->start_measurement();
                    CHECK(rl->read_rl_db().status == drivers::ReturnLossReading::Status::Overrange);
                    clear_faults(wired);
                    rl->start_measurement();
                    CHECK(rl->read_rl_db().ok());
                }
            }
        }
    }
}
