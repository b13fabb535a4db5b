// The physical model behind every simulator: reference and DUT powers,
// polarity routing, timing of moving parts, matings, return loss.
//
// Windows are placed by time point, not by waiting: the model evaluates
// what the bench does at any instant from the settle times it returned, so
// no test depends on wall-clock speed.

#include <catch2/catch.hpp>

#include <chrono>
#include <cmath>
#include <filesystem>

#include "fixtures/bench_model.hpp"

using namespace mpobench;
using namespace mpobench::fixtures;
using namespace std::chrono_literals;
using TimePoint = SimClock::Clock::time_point;

namespace {

const std::filesystem::path kDataDir = std::filesystem::path(MPOBENCH_SOURCE_DIR) / "fixtures/data";

// A bench without drift or switch scatter and an assembly without mating scatter: readings
// are exact functions of the files.
BenchModelOptions exact_options(std::uint64_t seed = 5) {
    BenchModelOptions options;
    options.seed = seed;
    options.source_drift_db = 0.0;
    options.switch_repeatability_db = 0.0;
    return options;
}

Dut exact_dut(const char* file) {
    Dut dut = load_dut(kDataDir / file);
    dut.mating.sigma_db = 0.0;
    dut.mating.drift_db_per_1000 = 0.0;
    return dut;
}

// A 100 ms window starting once everything set so far has settled.
Window steady_window(const BenchModel& model, const SimClock& clock) {
    const TimePoint start =
        std::max({clock.now(), model.switch_settled_at(), model.source_stable_at()}) + 1ms;
    return {start, start + 100ms};
}

double dark_dbm(const BenchModel& model) {
    return model.options().meter_floor_dbm - 30.0;
}

// End-A position whose fibre reaches end-B position `b` (0 = none).
int end_a_of(const Dut& dut, int b) {
    const auto routing = dut.routing();
    for (std::size_t i = 0; i < routing.size(); ++i) {
        if (routing[i] == b)
            return static_cast<int>(i) + 1;
    }
    return 0;
}

double power_at(BenchModel& model, const SimClock& clock, int port, int detector,
                double wavelength_nm) {
    model.set_switch_port(port);
    return model.far_end_power_dbm(detector, wavelength_nm, steady_window(model, clock));
}

}  // namespace

TEST_CASE("reference minus DUT power is the DUT's IL at both ends and wavelengths", "[model]") {
    for (const char* file :
         {"elite_sm_12f_b.json", "elite_mm_12f_a.json", "standard_sm_24f_c.json"}) {
        INFO(file);
        const SimClock clock(1.0);
        BenchModel model(exact_options(), clock);
        const Dut dut = exact_dut(file);
        model.set_dut(dut);
        model.set_source_output(true);
        for (const int wavelength_nm : default_wavelengths_nm(dut.mode)) {
            INFO(wavelength_nm << " nm");
            model.set_source_wavelength_nm(wavelength_nm);
            model.connect(Connection::Reference);
            std::vector<double> reference;
            for (int p = 1; p <= dut.fibers; ++p) {
                reference.push_back(power_at(model, clock, p, p, wavelength_nm));
            }
            model.connect(Connection::EndA);
            for (int p = 1; p <= dut.fibers; ++p) {
                const int detector = dut.routing()[static_cast<std::size_t>(p - 1)];
                const double il = reference[static_cast<std::size_t>(p - 1)] -
                                  power_at(model, clock, p, detector, wavelength_nm);
                CHECK(il ==
                      Approx(dut.end_a.il_db.at(wavelength_nm)[static_cast<std::size_t>(p - 1)])
                          .margin(1e-9));
            }
            model.connect(Connection::EndB);
            for (int q = 1; q <= dut.fibers; ++q) {
                const double il = reference[static_cast<std::size_t>(q - 1)] -
                                  power_at(model, clock, q, end_a_of(dut, q), wavelength_nm);
                CHECK(il ==
                      Approx(dut.end_b.il_db.at(wavelength_nm)[static_cast<std::size_t>(q - 1)])
                          .margin(1e-9));
            }
        }
    }
}

TEST_CASE("launch powers are realistic for the source and the launch path", "[model]") {
    const SimClock clock(1.0);
    BenchModel model(exact_options(), clock);
    model.set_dut(exact_dut("elite_sm_12f_b.json"));
    model.set_source_output(true);
    model.connect(Connection::Reference);
    for (const int wavelength_nm : {1310, 1550, 850, 1300}) {
        model.set_source_wavelength_nm(wavelength_nm);
        const double monitor = model.monitor_power_dbm(wavelength_nm, steady_window(model, clock));
        const double launched = power_at(model, clock, 1, 1, wavelength_nm);
        const double source = monitor + 20.0;  // a 1 % tap
        if (wavelength_nm == 850 || wavelength_nm == 1300) {
            CHECK(source == Approx(-20.0).margin(0.8));
        } else {
            CHECK(source == Approx(-7.0).margin(0.6));
        }
        // RL module, switch port, fan-out and launch cord: about 4-6 dB.
        CHECK(source - launched > 3.9);
        CHECK(source - launched < 5.8);
    }
}

TEST_CASE("polarity routing lights the right detector, and only that one", "[model]") {
    const SimClock clock(1.0);
    BenchModel model(exact_options(), clock);
    model.set_source_output(true);
    const auto check_routing = [&](const Dut& dut) {
        model.set_dut(dut);
        for (const Connection end : {Connection::EndA, Connection::EndB}) {
            model.connect(end);
            for (int p = 1; p <= dut.fibers; ++p) {
                model.set_switch_port(p);
                const auto powers = model.far_end_powers_dbm(1310, steady_window(model, clock));
                REQUIRE(powers.size() == 32);
                const int expected = end == Connection::EndA
                                         ? dut.routing()[static_cast<std::size_t>(p - 1)]
                                         : end_a_of(dut, p);
                INFO("launch end " << (end == Connection::EndA ? "A" : "B") << " position " << p
                                   << " expects detector " << expected);
                for (int d = 1; d <= 32; ++d) {
                    const double power = powers[static_cast<std::size_t>(d - 1)];
                    if (d == expected) {
                        CHECK(power > -20.0);
                    } else {
                        CHECK(power == dark_dbm(model));
                    }
                }
            }
        }
    };
    for (const PolarityType type : {PolarityType::A, PolarityType::B, PolarityType::C}) {
        for (const int fibers : {8, 12, 24, 32}) {
            Dut dut = exact_dut("elite_sm_12f_b.json");
            const double il = dut.end_a.il_db.at(1310)[0];
            dut.fibers = fibers;
            dut.polarity = type;
            for (DutEnd* end : {&dut.end_a, &dut.end_b}) {
                for (auto& [wavelength_nm, values] : end->il_db)
                    values.assign(fibers, il);
                for (auto& [wavelength_nm, values] : end->rl_db)
                    values.assign(fibers, 66.0);
            }
            check_routing(dut);
        }
    }
    // A custom map with a broken fibre: its end-A launch and the end-B
    // position nobody reaches are both dark everywhere.
    Dut custom = exact_dut("elite_sm_12f_b.json");
    custom.map = std::vector<int>{3, 1, 2, 0, 5, 6, 7, 8, 9, 10, 12, 11};
    check_routing(custom);
    model.connect(Connection::EndA);
    model.set_switch_port(4);
    for (const double power : model.far_end_powers_dbm(1310, steady_window(model, clock))) {
        CHECK(power == dark_dbm(model));
    }
    model.connect(Connection::EndB);
    model.set_switch_port(4);
    for (const double power : model.far_end_powers_dbm(1310, steady_window(model, clock))) {
        CHECK(power == dark_dbm(model));
    }
}

TEST_CASE("launching end B uses end B's IL", "[model]") {
    const SimClock clock(1.0);
    BenchModel model(exact_options(), clock);
    Dut dut = exact_dut("elite_sm_12f_b.json");
    // Make the ends clearly different.
    for (auto& [wavelength_nm, values] : dut.end_b.il_db) {
        for (double& value : values)
            value += 1.0;
    }
    model.set_dut(dut);
    model.set_source_output(true);
    model.connect(Connection::EndA);
    const double via_a = power_at(model, clock, 1, 12, 1310);  // A1 -> B12 (type B)
    model.connect(Connection::EndB);
    const double via_b = power_at(model, clock, 12, 1, 1310);  // B12 -> A1
    // The reference takes out the launch path of each port.
    model.connect(Connection::Reference);
    const double reference_1 = power_at(model, clock, 1, 1, 1310);
    const double reference_12 = power_at(model, clock, 12, 12, 1310);
    CHECK(reference_1 - via_a == Approx(dut.end_a.il_db.at(1310)[0]).margin(1e-9));
    CHECK(reference_12 - via_b == Approx(dut.end_b.il_db.at(1310)[11]).margin(1e-9));
}

TEST_CASE("a window overlapping a switch move or a laser change reads low", "[model][timing]") {
    // A fast clock: waiting for the bench to settle takes milliseconds. The
    // waits only make sure a state has been reached; nothing depends on how
    // long they take.
    const SimClock clock(0.01);
    BenchModel model(exact_options(), clock);
    model.set_dut(exact_dut("elite_sm_12f_b.json"));
    model.set_source_output(true);
    model.connect(Connection::Reference);
    const double steady = power_at(model, clock, 2, 2, 1310);
    // Settled, and for long enough that windows reaching back one laser
    // change from here see only steady light.
    clock.sleep_until(std::max(model.source_stable_at(), model.switch_settled_at()) +
                      clock.scaled(model.options().wavelength_change));

    SECTION("switch moving") {
        clock.sleep_until(model.set_switch_port(1));
        const TimePoint settled = model.set_switch_port(2);
        const auto settle = clock.scaled(model.options().switch_settle);
        // Half the window while the mirror moves: half the light.
        const Window half{settled - settle / 2, settled + settle / 2};
        CHECK(model.far_end_power_dbm(2, 1310, half) ==
              Approx(steady - 10.0 * std::log10(2.0)).margin(1e-6));
        // Before the move, port 1 lit detector 1.
        CHECK(model.far_end_power_dbm(1, 1310, {settled - settle * 3 / 2, settled - settle}) >
              -20.0);
        // While moving, nothing anywhere.
        for (const double power : model.far_end_powers_dbm(1310, {settled - settle, settled})) {
            CHECK(power == dark_dbm(model));
        }
        CHECK(model.far_end_power_dbm(2, 1310, {settled, settled + settle}) ==
              Approx(steady).margin(1e-9));
    }
    SECTION("laser changing") {
        clock.sleep_until(model.set_switch_port(2));
        const TimePoint stable = model.set_source_wavelength_nm(1550);
        const auto change = clock.scaled(model.options().wavelength_change);
        const double unstable = model.far_end_power_dbm(2, 1550, {stable - change, stable});
        const double settled = model.far_end_power_dbm(2, 1550, {stable, stable + change});
        CHECK(unstable < settled - 3.0);
        const double straddling =
            model.far_end_power_dbm(2, 1550, {stable - change / 2, stable + change / 2});
        CHECK(straddling < settled - 0.5);
        CHECK(straddling > unstable);
        // Before the change the old wavelength's light was steady.
        CHECK(model.far_end_power_dbm(2, 1310, {stable - 2 * change, stable - change}) ==
              Approx(steady).margin(1e-9));
    }
    SECTION("source switched on") {
        model.set_source_output(false);
        const TimePoint stable = model.set_source_output(true);
        const auto change = clock.scaled(model.options().wavelength_change);
        CHECK(model.far_end_power_dbm(2, 1310, {stable - change, stable}) < steady - 3.0);
        CHECK(model.far_end_power_dbm(2, 1310, {stable, stable + change}) ==
              Approx(steady).margin(1e-9));
    }
}

TEST_CASE("no light without source output, with the switch parked, or unconnected", "[model]") {
    const SimClock clock(1.0);
    BenchModel model(exact_options(), clock);
    model.set_dut(exact_dut("elite_sm_12f_b.json"));
    model.connect(Connection::Reference);
    model.set_switch_port(3);
    const auto all_dark = [&] {
        for (const double power : model.far_end_powers_dbm(1310, steady_window(model, clock))) {
            if (power != dark_dbm(model))
                return false;
        }
        return true;
    };
    CHECK(all_dark());  // source off at power-on
    CHECK(model.monitor_power_dbm(1310, steady_window(model, clock)) == dark_dbm(model));
    CHECK_FALSE(model.return_loss_db(1310, steady_window(model, clock)).has_value());

    model.set_source_output(true);
    CHECK_FALSE(all_dark());
    model.set_switch_port(0);
    CHECK(all_dark());
    CHECK_FALSE(model.return_loss_db(1310, steady_window(model, clock)).has_value());
    CHECK(model.monitor_power_dbm(1310, steady_window(model, clock)) > -40.0);

    model.set_switch_port(3);
    model.connect(Connection::None);
    CHECK(all_dark());
    model.connect(Connection::EndA);
    CHECK_FALSE(all_dark());
    model.set_source_output(false);
    CHECK(all_dark());
}

TEST_CASE("a connection made by hand is dark until plugged", "[model][timing]") {
    const SimClock clock(1.0);
    BenchModel model(exact_options(), clock);
    model.set_dut(exact_dut("elite_sm_12f_b.json"));
    model.set_source_output(true);
    model.set_switch_port(1);
    const TimePoint plugged = clock.now() + 3s;
    model.connect(Connection::EndA, plugged);
    CHECK(model.connection() == Connection::EndA);
    CHECK(model.far_end_power_dbm(12, 1310, {plugged - 200ms, plugged - 100ms}) == dark_dbm(model));
    CHECK(model.far_end_power_dbm(12, 1310, {plugged, plugged + 100ms}) > -20.0);
}

TEST_CASE("meter calibration wavelength mismatch biases the reading", "[model]") {
    const SimClock clock(1.0);
    BenchModel model(exact_options(), clock);
    model.set_dut(exact_dut("elite_sm_12f_b.json"));
    model.set_source_output(true);
    model.connect(Connection::Reference);
    model.set_switch_port(1);
    const auto window = steady_window(model, clock);
    const double right = model.far_end_power_dbm(1, 1310, window);
    const double wrong = model.far_end_power_dbm(1, 1550, window);
    CHECK(wrong - right == Approx(10.0 * std::log10(1310.0 / 1550.0)).margin(1e-9));
}

TEST_CASE("matings draw new IL offsets, reproducibly from the seed", "[model][mating]") {
    const SimClock clock(1.0);
    const auto run = [&](std::uint64_t seed) {
        BenchModel model(exact_options(seed), clock);
        Dut dut = exact_dut("elite_sm_12f_b.json");
        dut.mating.sigma_db = 0.05;
        model.set_dut(dut);
        model.set_source_output(true);
        model.connect(Connection::Reference);
        const double reference = power_at(model, clock, 1, 1, 1310);
        std::vector<double> il_offsets;
        model.connect(Connection::EndA);
        for (int i = 0; i < 20; ++i) {
            if (i > 0)
                model.remate();
            il_offsets.push_back(reference - power_at(model, clock, 1, 12, 1310) -
                                 dut.end_a.il_db.at(1310)[0]);
        }
        CHECK(model.mating_count() == 20);
        return il_offsets;
    };
    const auto first = run(11);
    CHECK(first == run(11));
    CHECK(first != run(12));
    double min = first[0], max = first[0];
    for (const double offset : first) {
        min = std::min(min, offset);
        max = std::max(max, offset);
        CHECK(offset >= -0.05 - 1e-9);  // a re-mate never gains much
    }
    CHECK(max - min > 0.02);
    CHECK(max - min < 0.5);
}

TEST_CASE("wear adds drift_db_per_1000 per thousand matings", "[model][mating]") {
    const SimClock clock(1.0);
    BenchModel model(exact_options(), clock);
    Dut dut = exact_dut("elite_sm_12f_b.json");
    dut.mating.drift_db_per_1000 = 10.0;  // exaggerated to see it in a few matings
    model.set_dut(dut);
    model.set_source_output(true);
    model.connect(Connection::Reference);
    CHECK(model.mating_count() == 0);  // the reference is no mating of the assembly
    const double reference = power_at(model, clock, 5, 5, 1310);
    model.connect(Connection::EndA);
    const double nominal = dut.end_a.il_db.at(1310)[4];
    CHECK(reference - power_at(model, clock, 5, 8, 1310) == Approx(nominal + 0.01).margin(1e-9));
    model.remate();
    model.remate();
    CHECK(model.mating_count() == 3);
    CHECK(reference - power_at(model, clock, 5, 8, 1310) == Approx(nominal + 0.03).margin(1e-9));
    // A new assembly starts unworn.
    model.set_dut(dut);
    CHECK(model.mating_count() == 0);
    CHECK(model.connection() == Connection::None);
}

TEST_CASE("return loss per end, in the reference state and open", "[model][rl]") {
    const SimClock clock(1.0);
    BenchModel model(exact_options(), clock);
    model.set_source_output(true);

    SECTION("SM APC assembly") {
        const Dut dut = exact_dut("elite_sm_12f_b.json");
        model.set_dut(dut);
        for (const int wavelength_nm : {1310, 1550}) {
            model.set_source_wavelength_nm(wavelength_nm);
            model.connect(Connection::EndA);
            for (int p = 1; p <= 12; ++p) {
                model.set_switch_port(p);
                CHECK(*model.return_loss_db(wavelength_nm, steady_window(model, clock)) ==
                      Approx(dut.end_a.rl_db.at(wavelength_nm)[static_cast<std::size_t>(p - 1)])
                          .margin(1e-9));
            }
            model.connect(Connection::EndB);
            for (int p = 1; p <= 12; ++p) {
                model.set_switch_port(p);
                CHECK(*model.return_loss_db(wavelength_nm, steady_window(model, clock)) ==
                      Approx(dut.end_b.rl_db.at(wavelength_nm)[static_cast<std::size_t>(p - 1)])
                          .margin(1e-9));
            }
            model.connect(Connection::Reference);
            for (int p = 1; p <= 12; ++p) {
                model.set_switch_port(p);
                const double rl = *model.return_loss_db(wavelength_nm, steady_window(model, clock));
                CHECK(rl == Approx(70.0).margin(0.5));
            }
            model.connect(Connection::None);
            CHECK(*model.return_loss_db(wavelength_nm, steady_window(model, clock)) > 60.0);
        }
    }
    SECTION("MM PC assembly") {
        const Dut dut = exact_dut("elite_mm_12f_a.json");
        model.set_dut(dut);
        model.set_source_wavelength_nm(850);
        model.connect(Connection::Reference);
        model.set_switch_port(7);
        CHECK(*model.return_loss_db(850, steady_window(model, clock)) == Approx(57.0).margin(0.5));
        model.connect(Connection::None);
        CHECK(*model.return_loss_db(850, steady_window(model, clock)) == Approx(14.7).margin(1e-9));
        model.connect(Connection::EndB);
        CHECK(*model.return_loss_db(850, steady_window(model, clock)) ==
              Approx(dut.end_b.rl_db.at(850)[6]).margin(1e-9));
    }
    SECTION("a broken fibre reflects from the break") {
        const Dut dut = exact_dut("broken_fibre_sm_12f_b.json");
        model.set_dut(dut);
        model.connect(Connection::EndA);
        model.set_switch_port(7);
        const double rl = *model.return_loss_db(1310, steady_window(model, clock));
        CHECK(rl < dut.end_a.rl_db.at(1310)[6] - 10.0);
        CHECK(rl > 35.0);
    }
    SECTION("a window half spent moving reads the reflection diluted") {
        const Dut dut = exact_dut("elite_sm_12f_b.json");
        model.set_dut(dut);
        model.connect(Connection::EndA);
        model.set_switch_port(1);
        const TimePoint settled = model.set_switch_port(2);
        const auto settle = clock.scaled(model.options().switch_settle);
        CHECK(*model.return_loss_db(1310, {settled - settle, settled + settle}) ==
              Approx(dut.end_a.rl_db.at(1310)[1] + 10.0 * std::log10(2.0)).margin(1e-6));
    }
}

TEST_CASE("source drift is slow, small, and seen alike by monitor and meter", "[model][drift]") {
    const SimClock clock(1.0);
    BenchModelOptions options = exact_options();
    options.source_drift_db = 0.03;
    BenchModel model(options, clock);
    model.set_dut(exact_dut("elite_sm_12f_b.json"));
    model.set_source_output(true);
    model.connect(Connection::Reference);
    model.set_switch_port(4);
    const TimePoint start = steady_window(model, clock).first;
    double min_monitor = 1e9, max_monitor = -1e9;
    double first_difference = 0.0;
    for (int minute = 0; minute <= 60; ++minute) {
        const TimePoint at = start + std::chrono::minutes(minute);
        const Window window{at, at + 100ms};
        const double monitor = model.monitor_power_dbm(1310, window);
        const double far = model.far_end_power_dbm(4, 1310, window);
        if (minute == 0)
            first_difference = monitor - far;
        CHECK(monitor - far == Approx(first_difference).margin(1e-9));
        min_monitor = std::min(min_monitor, monitor);
        max_monitor = std::max(max_monitor, monitor);
    }
    CHECK(max_monitor - min_monitor > 0.005);
    CHECK(max_monitor - min_monitor <= 0.06 + 1e-9);
    // Over one reading (a second) it hardly moves.
    CHECK(std::abs(model.monitor_power_dbm(1310, {start, start + 1ms}) -
                   model.monitor_power_dbm(1310, {start + 1s, start + 1s + 1ms})) < 0.001);
}

TEST_CASE("bench model rejects what a bench cannot do", "[model][errors]") {
    const SimClock clock(1.0);
    BenchModel model(exact_options(), clock);
    CHECK_THROWS_AS(model.dut(), std::logic_error);
    CHECK_FALSE(model.has_dut());
    CHECK_THROWS_AS(model.connect(Connection::EndA), std::logic_error);
    CHECK_NOTHROW(model.connect(Connection::Reference));
    model.connect(Connection::None);
    CHECK_THROWS_AS(model.remate(), std::logic_error);
    CHECK_THROWS_AS(model.set_switch_port(33), std::out_of_range);
    CHECK_THROWS_AS(model.set_switch_port(-1), std::out_of_range);
    CHECK_THROWS_AS(model.set_source_wavelength_nm(1625), std::invalid_argument);
    CHECK_NOTHROW(model.set_source_wavelength_nm(1550.3));
    CHECK(model.source_wavelength_nm() == 1550.0);
    const Window window{clock.now(), clock.now() + 1ms};
    CHECK_THROWS_AS(model.far_end_power_dbm(0, 1310, window), std::out_of_range);
    CHECK_THROWS_AS(model.far_end_power_dbm(33, 1310, window), std::out_of_range);
    CHECK_THROWS_AS(model.far_end_powers_dbm(1310, {window.second, window.first}),
                    std::invalid_argument);
    Dut big = RandomDutGenerator(1).next(72, FiberMode::SM, PolarityType::A);
    CHECK_THROWS_AS(model.set_dut(big), std::invalid_argument);
    Dut bad = load_dut(kDataDir / "elite_sm_12f_b.json");
    bad.end_a.il_db[1310].pop_back();
    CHECK_THROWS_AS(model.set_dut(bad), DutFileError);
    BenchModelOptions no_detectors;
    no_detectors.detectors = 0;
    CHECK_THROWS_AS(BenchModel(no_detectors, clock), std::invalid_argument);
}

TEST_CASE("the bench's launch path is fixed by its seed", "[model]") {
    const SimClock clock(1.0);
    const auto reference_powers = [&](std::uint64_t seed) {
        BenchModel model(exact_options(seed), clock);
        model.set_source_output(true);
        model.connect(Connection::Reference);
        std::vector<double> powers;
        for (int p = 1; p <= 32; ++p)
            powers.push_back(power_at(model, clock, p, p, 1310));
        return powers;
    };
    const auto first = reference_powers(3);
    CHECK(first == reference_powers(3));
    CHECK(first != reference_powers(4));
    const auto [min, max] = std::minmax_element(first.begin(), first.end());
    CHECK(*max - *min > 0.1);  // switch ports differ
    CHECK(*max - *min < 1.5);
}
