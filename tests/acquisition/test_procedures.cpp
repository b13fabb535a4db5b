// The reference, the production test and repeatability on the simulated
// bench, driven by the simulated operator: what they measure against what
// the DUT files say, how they stop, and the order they work in.

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <map>
#include <sstream>

#include "acquisition/parts.hpp"
#include "acquisition/procedures.hpp"
#include "fixtures/bench_model.hpp"
#include "sim_station.hpp"

using namespace mpobench;
using namespace mpobench::acquisition;
using namespace mpobench::testing;
using Catch::Matchers::Contains;

namespace {

const Part& catalogue_part(const std::string& number) {
    static const PartCatalogue catalogue = load_part_catalogue(default_part_catalogue_path());
    const Part* part = catalogue.find(number);
    REQUIRE(part);
    return *part;
}

struct ProgressLog {
    ProgressCallback callback() {
        return [this](const ProgressEvent& event) { events.push_back(event); };
    }
    std::vector<ProgressEvent> of_kind(ProgressEvent::Kind kind) const {
        std::vector<ProgressEvent> out;
        for (const auto& event : events) {
            if (event.kind == kind)
                out.push_back(event);
        }
        return out;
    }
    std::vector<ProgressEvent> events;
};

// A connected bench, its simulated operator, and a fresh reference.
struct Session {
    explicit Session(const StationConfig& station, int reference_fibers = 12,
                     FiberMode mode = FiberMode::SM, BenchTiming timing = {})
        : bench(station, timing), op(make_operator(station, "tester")) {
        bench.connect();
        reference = take_reference(bench, *op, reference_options(mode, reference_fibers));
    }
    Bench bench;
    std::unique_ptr<Operator> op;
    Reference reference;
};

const Measurement* find(const RunRecord& run, End end, int fiber, int wavelength_nm,
                        int cycle = 0) {
    for (const auto& m : run.measurements) {
        if (m.end == end && m.fiber == fiber && m.wavelength_nm == wavelength_nm &&
            m.cycle == cycle)
            return &m;
    }
    return nullptr;
}

std::vector<int> inverse(const std::vector<int>& map) {
    std::vector<int> out(map.size(), 0);
    for (std::size_t i = 0; i < map.size(); ++i) {
        if (map[i] != 0)
            out[static_cast<std::size_t>(map[i] - 1)] = static_cast<int>(i) + 1;
    }
    return out;
}

bool same_measurement(const Measurement& a, const Measurement& b) {
    return a.end == b.end && a.fiber == b.fiber && a.wavelength_nm == b.wavelength_nm &&
           a.cycle == b.cycle && a.status == b.status && a.far_position == b.far_position &&
           a.il_db == b.il_db && a.rl_db == b.rl_db;
}

// Consecutive launches move the switch by one position at most (none at a
// wavelength change): the work order has no redundant switch moves.
void check_no_redundant_switch_moves(const std::vector<Measurement>& measurements) {
    for (std::size_t i = 1; i < measurements.size(); ++i) {
        const auto& previous = measurements[i - 1];
        const auto& current = measurements[i];
        const bool same_pass = previous.end == current.end && previous.cycle == current.cycle &&
                               previous.wavelength_nm == current.wavelength_nm;
        INFO("measurement " << i);
        if (same_pass)
            CHECK(std::abs(current.fiber - previous.fiber) == 1);
        else if (previous.end == current.end)
            CHECK(current.fiber == previous.fiber);
    }
}

}  // namespace

TEST_CASE("the reference reads the launch power the bench model gives", "[reference]") {
    const auto dut = steady_dut("elite_sm_12f_b.json");
    SimStation sim(dut);
    Bench bench(sim.station);
    bench.connect();
    auto op = make_operator(sim.station, "tester");
    ProgressLog progress;
    const auto before = std::chrono::system_clock::now();
    const Reference reference =
        take_reference(bench, *op, reference_options(FiberMode::SM, 12), progress.callback());

    CHECK(reference.station == "simulated");
    CHECK(reference.operator_name == "tester");
    CHECK(reference.launch_cord == "LC-REF-1");
    CHECK(reference.mode == FiberMode::SM);
    CHECK(reference.fibers == 12);
    CHECK(reference.taken_at >= before);
    CHECK(reference.taken_at <= std::chrono::system_clock::now());
    REQUIRE(reference.points.size() == 24);

    // The same physics, built from the same seed: launch power per port.
    fixtures::BenchModelOptions model_options;
    model_options.detectors = 32;
    model_options.switch_ports = 32;
    model_options.seed = kBenchSeed;
    const fixtures::SimClock clock(0.0);
    fixtures::BenchModel model(model_options, clock);
    model.set_dut(dut);
    model.connect(fixtures::Connection::Reference);
    model.set_source_output(true);
    for (const int wavelength_nm : {1310, 1550}) {
        model.set_source_wavelength_nm(wavelength_nm);
        for (int fiber = 1; fiber <= 12; ++fiber) {
            model.set_switch_port(fiber);
            const auto now = clock.now();
            const double launch_dbm = model.far_end_power_dbm(fiber, wavelength_nm, {now, now});
            const ReferencePoint* point = reference.find(fiber, wavelength_nm);
            REQUIRE(point);
            INFO("fibre " << fiber << " at " << wavelength_nm << " nm");
            CHECK(point->power_dbm == Approx(launch_dbm).margin(0.01));
            // The switch's repeatability (0.0025 dB sd per move) is in it.
            CHECK(std::abs(point->drift_db) <= 0.02);
        }
    }

    const auto fibres = progress.of_kind(ProgressEvent::Kind::Fiber);
    REQUIRE(fibres.size() == 48);  // two passes of 12 fibres at 2 wavelengths
    CHECK(fibres.back().done == 48);
    CHECK(fibres.back().total == 48);
    const auto steps = progress.of_kind(ProgressEvent::Kind::Step);
    REQUIRE_FALSE(steps.empty());
    CHECK_THAT(steps.front().message, Contains("connect the launch cord (LC-REF-1)"));
}

TEST_CASE("a reference that keeps drifting is retaken once, then aborted", "[reference]") {
    SimStation sim(steady_dut("elite_sm_12f_b.json"));
    Bench bench(sim.station);
    bench.connect();
    auto op = make_operator(sim.station, "tester");
    auto options = reference_options(FiberMode::SM, 4);
    // Below the meter's own noise: no two reads agree this well.
    options.max_drift_db = 1e-6;
    ProgressLog progress;
    CHECK_THROWS_MATCHES(take_reference(bench, *op, options, progress.callback()), TestAborted,
                         Catch::Matchers::Predicate<TestAborted>([](const TestAborted& aborted) {
                             const std::string reason = aborted.what();
                             return reason.starts_with("reference unstable: fibre ") &&
                                    reason.find(" nm drifted ") != std::string::npos;
                         }));
    const auto steps = progress.of_kind(ProgressEvent::Kind::Step);
    CHECK(std::any_of(steps.begin(), steps.end(), [](const ProgressEvent& event) {
        return event.message.find("unstable: taking it again") != std::string::npos;
    }));
    CHECK(progress.of_kind(ProgressEvent::Kind::Fiber).size() == 16);  // 2 x 2 passes x 4
}

TEST_CASE("a reference without light names the fibre", "[reference]") {
    SimStation sim(steady_dut("elite_sm_12f_b.json"));
    Bench bench(sim.station);
    bench.connect();
    // A person confirms the step but the cord is not plugged: nothing lights.
    std::istringstream input("\n");
    std::ostringstream prompts;
    auto op = make_console_operator("ana", input, prompts);
    CHECK_THROWS_WITH(take_reference(bench, *op, reference_options(FiberMode::SM, 12)),
                      Contains("reference: no light on launch fibre 1 at 1310 nm"));
}

TEST_CASE("a reference larger than the bench is a configuration error", "[reference]") {
    SimStation sim(steady_dut("elite_sm_12f_b.json"));
    Bench bench(sim.station);
    bench.connect();
    auto op = make_operator(sim.station, "tester");
    CHECK_THROWS_AS(take_reference(bench, *op, reference_options(FiberMode::SM, 33)),
                    BenchConfigurationError);
}

TEST_CASE("production test of an elite SM type-B assembly matches its DUT file", "[production]") {
    const auto dut = steady_dut("elite_sm_12f_b.json");
    SimStation sim(dut);
    // The file's RL reaches 73 dB, where the module's noise is about 1 dB
    // at 1 s of averaging; its longest window (10 s) brings the white part
    // down, not the slow part: 0.55 dB together there.
    BenchTiming timing;
    timing.rl_averaging_apc = std::chrono::seconds(10);
    Session session(sim.station, 12, FiberMode::SM, timing);
    RunRecord run = production_run(catalogue_part("MPO12-SM-B-E"), "SN-ELITE-1");
    RecordingSink sink;
    ProgressLog progress;
    run_production_test(session.bench, *session.op, session.reference, run, sink,
                        progress.callback());

    REQUIRE(run.measurements.size() == 2 * 2 * 12);
    REQUIRE(sink.seen.size() == run.measurements.size());
    for (std::size_t i = 0; i < sink.seen.size(); ++i)
        CHECK(same_measurement(sink.seen[i], run.measurements[i]));

    const auto type_b = polarity_map(PolarityType::B, 12);
    for (const End end : {End::A, End::B}) {
        const auto& file = dut.end(end);
        const auto expected_far = end == End::A ? type_b : inverse(type_b);
        for (const int wavelength_nm : {1310, 1550}) {
            for (int fiber = 1; fiber <= 12; ++fiber) {
                INFO("end " << to_string(end) << " fibre " << fiber << " at " << wavelength_nm
                            << " nm");
                const Measurement* m = find(run, end, fiber, wavelength_nm);
                REQUIRE(m);
                const auto index = static_cast<std::size_t>(fiber - 1);
                CHECK(m->status == ReadingStatus::Ok);
                CHECK(m->far_position == expected_far[index]);
                REQUIRE(m->il_db);
                CHECK(*m->il_db == Approx(file.il_db.at(wavelength_nm)[index]).margin(0.02));
                REQUIRE(m->rl_db);
                CHECK(*m->rl_db == Approx(file.rl_db.at(wavelength_nm)[index]).margin(2.2));
            }
        }
    }
    REQUIRE(run.polarity.size() == 2);
    CHECK(run.polarity[0].launched_end == End::A);
    CHECK(run.polarity[0].far_positions == type_b);
    CHECK(run.polarity[1].launched_end == End::B);
    CHECK(run.polarity[1].far_positions == inverse(type_b));
    CHECK(run.instruments.size() == sim.station.instruments.size());
    CHECK(run.mating_cycles_run == 0);

    // The order of work (DESIGN.md §7): the reference ended at 1550 nm on
    // fibre 12, so end A starts there, running back down; one laser change
    // per end, none at the flip.
    CHECK(run.measurements.front().end == End::A);
    CHECK(run.measurements.front().wavelength_nm == 1550);
    CHECK(run.measurements.front().fiber == 12);
    check_no_redundant_switch_moves(run.measurements);
    int laser_changes = 0;
    for (std::size_t i = 1; i < run.measurements.size(); ++i) {
        if (run.measurements[i].wavelength_nm != run.measurements[i - 1].wavelength_nm)
            ++laser_changes;
    }
    CHECK(laser_changes == 2);

    const auto fibres = progress.of_kind(ProgressEvent::Kind::Fiber);
    REQUIRE(fibres.size() == 48);
    for (std::size_t i = 0; i < fibres.size(); ++i) {
        CHECK(fibres[i].done == static_cast<int>(i) + 1);
        CHECK(fibres[i].total == 48);
    }
    const auto steps = progress.of_kind(ProgressEvent::Kind::Step);
    std::vector<std::string> messages;
    for (const auto& step : steps)
        messages.push_back(step.message);
    CHECK(messages == std::vector<std::string>{"connect end A of SN-ELITE-1", "1310 nm",
                                               "connect end B of SN-ELITE-1", "1550 nm"});
}

TEST_CASE("a broken fibre reads no light, the others their loss, at instrument timing",
          "[production]") {
    // A time scale above 0 keeps every settling time and averaging window:
    // a reading taken before the light is steady would show as extra loss.
    const auto dut = fixtures::load_dut(kDataDir / "broken_fibre_sm_12f_b.json");
    SimStation sim(dut, 0.005);
    Session session(sim.station);
    RunRecord run = production_run(catalogue_part("MPO12-SM-B-E"), "SN-BROKEN");
    RecordingSink sink;
    run_production_test(session.bench, *session.op, session.reference, run, sink);

    REQUIRE(run.measurements.size() == 48);
    const auto routing = dut.routing();  // end A fibre 7 reaches nothing
    const auto reverse = inverse(routing);
    for (const auto& m : run.measurements) {
        const auto& expected = m.end == End::A ? routing : reverse;
        const int far = expected[static_cast<std::size_t>(m.fiber - 1)];
        INFO("end " << to_string(m.end) << " fibre " << m.fiber << " at " << m.wavelength_nm
                    << " nm");
        CHECK(m.far_position == far);
        if (far == 0) {
            CHECK(m.status == ReadingStatus::NoLight);
            CHECK_FALSE(m.il_db);
        } else {
            CHECK(m.status == ReadingStatus::Ok);
            REQUIRE(m.il_db);
            // Mating scatter of the file: sigma 0.02 dB; drift over the run.
            const double nominal =
                dut.end(m.end).il_db.at(m.wavelength_nm)[static_cast<std::size_t>(m.fiber - 1)];
            CHECK(*m.il_db == Approx(nominal).margin(0.1));
        }
    }
    // The fracture reflects: its RL is far below the connector's.
    const Measurement* fracture = find(run, End::A, 7, 1310);
    REQUIRE(fracture);
    REQUIRE(fracture->rl_db);
    CHECK(*fracture->rl_db < 50.0);
    CHECK(run.polarity[0].far_positions[6] == 0);
    CHECK(run.polarity[1].far_positions[5] == 0);  // end-B position 6 is fibre 7's
}

TEST_CASE("a miswired assembly shows the far positions it really reaches", "[production]") {
    const auto dut = steady_dut("miswired_sm_12f_b.json");
    SimStation sim(dut);
    Session session(sim.station);
    RunRecord run = production_run(catalogue_part("MPO12-SM-B-E"), "SN-MISWIRED");
    RecordingSink sink;
    run_production_test(session.bench, *session.op, session.reference, run, sink);

    const auto straight = polarity_map(PolarityType::A, 12);
    REQUIRE(run.polarity.size() == 2);
    CHECK(run.polarity[0].far_positions == straight);
    CHECK(run.polarity[1].far_positions == straight);
    CHECK(run.polarity[0].far_positions != polarity_map(PolarityType::B, 12));
    for (const auto& m : run.measurements)
        CHECK(m.status == ReadingStatus::Ok);
}

TEST_CASE("production re-mates measure end A again, IL only, cycle by cycle", "[production]") {
    SimStation sim(steady_dut("elite_sm_12f_b.json"));
    Session session(sim.station);
    RunRecord run = production_run(catalogue_part("MPO12-SM-B-E-R3"), "SN-REMATE");
    RecordingSink sink;
    ProgressLog progress;
    run_production_test(session.bench, *session.op, session.reference, run, sink,
                        progress.callback());

    REQUIRE(run.measurements.size() == (2 + 3) * 24);
    CHECK(run.mating_cycles_run == 3);
    // End A, its re-mates 1..3, then end B.
    std::vector<std::pair<End, int>> blocks;
    for (const auto& m : run.measurements) {
        if (blocks.empty() || blocks.back() != std::pair{m.end, m.cycle})
            blocks.emplace_back(m.end, m.cycle);
        if (m.cycle > 0) {
            CHECK(m.end == End::A);
            CHECK_FALSE(m.rl_db);
            CHECK(m.il_db);
        } else {
            // A value, or near the 75 dB range a bound: the module's noise.
            CHECK((m.rl_db || m.rl_above_db));
        }
    }
    CHECK(blocks == std::vector<std::pair<End, int>>{
                        {End::A, 0}, {End::A, 1}, {End::A, 2}, {End::A, 3}, {End::B, 0}});
    check_no_redundant_switch_moves(run.measurements);
    const auto cycles = progress.of_kind(ProgressEvent::Kind::Cycle);
    REQUIRE(cycles.size() == 3);
    CHECK(cycles.back().cycle == 3);
    CHECK(cycles.back().done == 4 * 24);
    CHECK(cycles.back().total == 5 * 24);
    const auto steps = progress.of_kind(ProgressEvent::Kind::Step);
    CHECK(std::count_if(steps.begin(), steps.end(), [](const ProgressEvent& event) {
              return event.message == "re-mate of SN-REMATE";
          }) == 3);
}

TEST_CASE("a negative IL means a suspect reference and stops the run", "[production]") {
    auto dut = steady_dut("elite_sm_12f_b.json");
    // End A fibre 3 gains light: a reference taken through a dirtier path
    // would read like this.
    for (auto& [wavelength_nm, values] : dut.end_a.il_db)
        values[2] = -0.09;
    SimStation sim(dut);
    Session session(sim.station);
    RunRecord run = production_run(catalogue_part("MPO12-SM-B-E"), "SN-SUSPECT");
    RecordingSink sink;
    try {
        run_production_test(session.bench, *session.op, session.reference, run, sink);
        FAIL("the run accepted an IL of -0.09 dB");
    } catch (const TestAborted& aborted) {
        const std::string reason = aborted.what();
        CHECK_THAT(reason, Contains("reference suspect: end A, 1550 nm, fibre 3"));
        CHECK_THAT(reason, Contains("below -0.050 dB"));
    }
    // What was measured stays, the suspect reading last.
    REQUIRE_FALSE(run.measurements.empty());
    CHECK(sink.seen.size() == run.measurements.size());
    const Measurement& last = run.measurements.back();
    CHECK(last.fiber == 3);
    REQUIRE(last.il_db);
    CHECK(*last.il_db < -0.05);
    CHECK(run.measurements.size() == 10);  // 12 down to 3 at 1550 nm
}

TEST_CASE("RL beyond the RL module's range is a bound where the far end lit", "[production]") {
    // APC connectors at 79 dB, beyond the simulated 81610A's 75 dB range;
    // its noise would let some windows read a value there, so every
    // window reads overrange here (the meter's reply, injected).
    auto dut = steady_dut("elite_sm_12f_b.json");
    for (auto* end : {&dut.end_a, &dut.end_b}) {
        for (auto& [wavelength_nm, values] : end->rl_db)
            std::fill(values.begin(), values.end(), 79.0);
    }
    SimStation sim(dut, 0.0, "rl:overrange@1+/:FETC1:CHAN1:RET?");
    Session session(sim.station);
    RunRecord run = production_run(catalogue_part("MPO12-SM-B-E"), "SN-BOUND");
    RecordingSink sink;
    run_production_test(session.bench, *session.op, session.reference, run, sink);
    REQUIRE(run.measurements.size() == 48);
    for (const auto& m : run.measurements) {
        INFO("end " << to_string(m.end) << " fibre " << m.fiber << " at " << m.wavelength_nm);
        CHECK(m.status == ReadingStatus::Ok);
        CHECK(m.il_db);
        CHECK_FALSE(m.rl_db);
        CHECK(m.rl_above_db == 75.0);
    }
    CHECK(sink.seen.back().rl_above_db == 75.0);
}

TEST_CASE("an RL overrange where the far end saw no light aborts: no light, not a bound",
          "[production]") {
    // Every RL reading overrange; end A fibre 7 of this assembly reaches nothing.
    SimStation sim(steady_dut("broken_fibre_sm_12f_b.json"), 0.0,
                   "rl:overrange@1+/:FETC1:CHAN1:RET?");
    Session session(sim.station);
    RunRecord run = production_run(catalogue_part("MPO12-SM-B-E"), "SN-DARK");
    RecordingSink sink;
    try {
        run_production_test(session.bench, *session.op, session.reference, run, sink);
        FAIL("a dark fibre's RL overrange was taken for a bound");
    } catch (const TestAborted& aborted) {
        const std::string reason = aborted.what();
        CHECK_THAT(reason, Contains("fibre 7"));
        CHECK_THAT(reason, Contains("rl ("));
        CHECK_THAT(reason, Contains(":FETC1:CHAN1:RET?"));
        CHECK_THAT(reason, Contains("overrange (beyond 75.0 dB) but the far end read no_light: "
                                    "no light, not an RL bound"));
    }
    // The lit fibres before it are bounds; the dark one is in the record as evidence.
    REQUIRE_FALSE(run.measurements.empty());
    const Measurement& dark = run.measurements.back();
    CHECK(dark.fiber == 7);
    CHECK(dark.status == ReadingStatus::NoLight);
    CHECK_FALSE(dark.rl_db);
    CHECK_FALSE(dark.rl_above_db);
    for (std::size_t i = 0; i + 1 < run.measurements.size(); ++i)
        CHECK(run.measurements[i].rl_above_db == 75.0);
}

TEST_CASE("an instrument fault aborts with its context and keeps the measurements",
          "[production]") {
    const auto dut = steady_dut("elite_sm_12f_b.json");
    // The reference on a fault-free twin of the bench (same seed: same
    // launch path), the test on the one whose meter stops answering.
    Reference reference;
    {
        SimStation twin(dut);
        Session session(twin.station);
        reference = session.reference;
    }
    // The 110th command of "meter" (the 8-port N7745C serving positions
    // 1-8) falls in the sixth launch of end A: 36 commands to connect, 25
    // for the wavelength, 9 per launch (8 triggers and one fetch).
    SimStation sim(dut, 0.0, "meter:timeout@110+");
    StationConfig station = sim.station;
    for (auto& config : station.instruments) {
        if (config.name == "meter")
            config.timeout = std::chrono::milliseconds(300);
    }
    Bench bench(station);
    bench.connect();
    auto op = make_operator(station, "tester");
    RunRecord run = production_run(catalogue_part("MPO12-SM-B-E"), "SN-FAULT");
    RecordingSink sink;
    try {
        run_production_test(bench, *op, reference, run, sink);
        FAIL("the run went on without the meter");
    } catch (const TestAborted& aborted) {
        const std::string reason = aborted.what();
        CHECK_THAT(reason, Contains("meter ("));
        CHECK_THAT(reason, Contains(":FETC:POW:ALL?"));
        CHECK_THAT(reason, Contains("timed out"));
        CHECK_THAT(reason, Contains("end A, 1310 nm, fibre 6"));
    }
    CHECK(run.measurements.size() == 5);
    CHECK(sink.seen.size() == 5);
    CHECK(run.reference_id == reference.id);
}

TEST_CASE("the operator's abort stops the run and keeps what was measured", "[production]") {
    SimStation sim(steady_dut("elite_sm_12f_b.json"));
    Session session(sim.station);
    // Enter for end A, then "abort" when asked to flip.
    std::istringstream input("\nabort\n");
    std::ostringstream prompts;
    auto person = make_console_operator("ana", input, prompts);
    RunRecord run = production_run(catalogue_part("MPO12-SM-B-E"), "SN-ABORT");
    RecordingSink sink;
    CHECK_THROWS_WITH(run_production_test(session.bench, *person, session.reference, run, sink),
                      Contains("connect end B of SN-ABORT: operator abort: ana aborted the run"));
    CHECK(run.measurements.size() == 24);
    CHECK(run.polarity.size() == 1);
    CHECK_THAT(prompts.str(), Contains("Flip SN-ABORT"));
}

TEST_CASE("a reference that cannot serve the part refuses the test", "[production]") {
    SimStation sim(steady_dut("elite_sm_12f_b.json"));
    Session session(sim.station, 8);
    RecordingSink sink;
    SECTION("too few launch positions") {
        RunRecord run = production_run(catalogue_part("MPO12-SM-B-E"), "SN-1");
        CHECK_THROWS_MATCHES(
            run_production_test(session.bench, *session.op, session.reference, run, sink), Refused,
            Catch::Matchers::Predicate<Refused>([](const Refused& refused) {
                return std::string(refused.what()).find("no point for launch fibre 9 at 1310 nm") !=
                       std::string::npos;
            }));
    }
    SECTION("another mode") {
        RunRecord run = production_run(catalogue_part("MPO8-MM-A-E"), "SN-1");
        CHECK_THROWS_AS(
            run_production_test(session.bench, *session.op, session.reference, run, sink), Refused);
    }
    SECTION("too old for the station") {
        Reference old = session.reference;
        old.taken_at -= std::chrono::minutes(sim.station.reference_max_age_min + 1);
        RunRecord run = production_run(catalogue_part("MPO8-SM-A-E"), "SN-1");
        CHECK_THROWS_WITH(run_production_test(session.bench, *session.op, old, run, sink),
                          Contains("min old"));
    }
    CHECK(sink.seen.empty());
}

TEST_CASE("repeatability: 200 re-mates, every fibre at every wavelength each cycle",
          "[repeatability]") {
    SimStation sim(steady_dut("elite_sm_12f_b.json"));
    Session session(sim.station);
    RunRecord run = production_run(catalogue_part("MPO12-SM-B-E"), "SN-REPEAT");
    run.kind = RunKind::Repeatability;
    RecordingSink sink;
    ProgressLog progress;
    run_repeatability(session.bench, *session.op, session.reference, run, 200, sink,
                      progress.callback());

    REQUIRE(run.measurements.size() == 200 * 12 * 2);
    CHECK(sink.seen.size() == run.measurements.size());
    CHECK(run.mating_cycles_run == 200);
    std::map<int, int> per_cycle;
    for (const auto& m : run.measurements) {
        ++per_cycle[m.cycle];
        CHECK(m.end == End::A);
    }
    REQUIRE(per_cycle.size() == 200);
    CHECK(per_cycle.begin()->first == 1);
    CHECK(per_cycle.rbegin()->first == 200);
    for (const auto& [cycle, count] : per_cycle)
        CHECK(count == 24);
    check_no_redundant_switch_moves(run.measurements);
    // One laser change per cycle: each starts where the last one ended.
    int laser_changes = 0;
    for (std::size_t i = 1; i < run.measurements.size(); ++i) {
        if (run.measurements[i].wavelength_nm != run.measurements[i - 1].wavelength_nm)
            ++laser_changes;
    }
    CHECK(laser_changes == 200);
    REQUIRE(run.polarity.size() == 1);
    CHECK(run.polarity[0].far_positions == polarity_map(PolarityType::B, 12));
    CHECK(progress.of_kind(ProgressEvent::Kind::Cycle).size() == 200);
    CHECK_THROWS_AS(run_repeatability(session.bench, *session.op, session.reference, run, 0, sink),
                    std::invalid_argument);
}

TEST_CASE("repeatability: 1000 re-mates at time scale 0", "[repeatability]") {
    SimStation sim(steady_dut("elite_sm_12f_b.json"));
    // A 12-position bench (the meter driver triggers only the ports in use:
    // 8 of the first meter, 4 of the second) qualifying at 1310 nm: 12 000
    // launches, a few seconds of SCPI.
    StationConfig station = sim.station;
    std::erase_if(station.instruments, [](const drivers::InstrumentConfig& config) {
        return config.name == "meter3" || config.name == "meter4";
    });
    for (auto& config : station.instruments) {
        if (config.name == "switch")
            config.channels = 12;
        if (config.name == "meter2") {
            config.channels = 4;
            config.far_positions = {9, 10, 11, 12};
        }
    }
    Session session(station);
    Part part = catalogue_part("MPO12-SM-B-E");
    part.wavelengths_nm = {1310};
    RunRecord run = production_run(part, "SN-QUAL");
    run.kind = RunKind::Repeatability;
    RecordingSink sink;
    run_repeatability(session.bench, *session.op, session.reference, run, 1000, sink);
    REQUIRE(run.measurements.size() == 1000 * 12);
    CHECK(sink.seen.size() == run.measurements.size());
    for (std::size_t i = 0; i < run.measurements.size(); ++i) {
        const auto& m = run.measurements[i];
        CHECK(m.cycle == static_cast<int>(i / 12) + 1);
        CHECK(m.wavelength_nm == 1310);
        CHECK(m.status == ReadingStatus::Ok);
    }
    CHECK(run.mating_cycles_run == 1000);
    check_no_redundant_switch_moves(run.measurements);
}

TEST_CASE("IL is corrected by the tap monitor's drift since the reference") {
    // P_ref -3.00, P_dut -3.35: 0.35 dB as read. The source lost 0.05 dB
    // since the reference (monitor -27.00 -> -27.05): 0.30 dB is the DUT's.
    CHECK(drift_corrected_il_db(-3.00, -3.35, -27.00, -27.05) == Approx(0.30).margin(1e-12));
    CHECK(drift_corrected_il_db(-3.00, -3.25, -27.00, -26.95) == Approx(0.30).margin(1e-12));
    // Without either monitor reading: as read.
    CHECK(drift_corrected_il_db(-3.00, -3.35, std::nullopt, -27.05) == Approx(0.35));
    CHECK(drift_corrected_il_db(-3.00, -3.35, -27.00, std::nullopt) == Approx(0.35));
}

TEST_CASE("a monitor drift beyond the station's setting refuses the test") {
    StationConfig station;
    station.name = "bench-9";
    CHECK(station.max_monitor_drift_db == 0.10);
    station.max_monitor_drift_db = 0.05;
    CHECK_NOTHROW(check_monitor_drift(-27.00, -27.049, 1310, station));
    CHECK_NOTHROW(check_monitor_drift(-27.00, -26.951, 1310, station));
    CHECK_THROWS_MATCHES(check_monitor_drift(-27.00, -27.06, 1550, station), Refused,
                         Catch::Matchers::Message(
                             "the source drifted -0.060 dB at 1550 nm since the reference (tap "
                             "monitor -27.000 dBm then, -27.060 dBm now); station bench-9 allows "
                             "0.050 dB: take a new reference"));
    CHECK_THROWS_AS(check_monitor_drift(-27.00, -26.94, 1310, station), Refused);
    CHECK_THROWS_AS(check_monitor_drift(-27.00, std::nan(""), 1310, station), Refused);
    station.max_monitor_drift_db = 0.1;
    CHECK_NOTHROW(check_monitor_drift(-27.00, -27.06, 1550, station));
}
