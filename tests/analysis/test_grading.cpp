#include <catch2/catch.hpp>

#include <array>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "analysis/grading.hpp"
#include "analysis/limits.hpp"

using namespace mpobench;
using namespace mpobench::analysis;

namespace {

constexpr std::array<Grade, 3> kGrades{Grade::Generic, Grade::Standard, Grade::Elite};
constexpr std::array<FiberMode, 2> kModes{FiberMode::MM, FiberMode::SM};

Part make_part(int fibers = 12, FiberMode mode = FiberMode::SM,
               PolarityType polarity = PolarityType::B, Grade target = Grade::Elite) {
    Part part;
    part.number = "PN-TEST";
    part.fibers = fibers;
    part.mode = mode;
    part.polarity = polarity;
    part.target = target;
    part.wavelengths_nm = default_wavelengths_nm(mode);
    return part;
}

// A correct production run: both ends, both wavelengths, cycle 0, right
// polarity, every IL and RL as given.
RunRecord make_run(const Part& part, double il_db, double rl_db) {
    RunRecord run;
    run.serial = "SN-TEST";
    run.part = part;
    for (const End end : {End::A, End::B}) {
        const auto expected = expected_far_positions(part, end);
        for (const int wavelength : part.wavelengths_nm) {
            for (int fiber = 1; fiber <= part.fibers; ++fiber) {
                Measurement m;
                m.end = end;
                m.fiber = fiber;
                m.wavelength_nm = wavelength;
                m.far_position = expected[static_cast<std::size_t>(fiber - 1)];
                m.il_db = il_db;
                m.rl_db = rl_db;
                run.measurements.push_back(m);
            }
        }
    }
    return run;
}

Measurement& find(RunRecord& run, End end, int fiber, int wavelength_nm, int cycle = 0) {
    for (auto& m : run.measurements) {
        if (m.end == end && m.fiber == fiber && m.wavelength_nm == wavelength_nm &&
            m.cycle == cycle)
            return m;
    }
    FAIL("no measurement");
    return run.measurements.front();
}

// A re-mate reading of one fibre.
void add_cycle(RunRecord& run, End end, int fiber, int wavelength_nm, int cycle, double il_db) {
    Measurement m = find(run, end, fiber, wavelength_nm);
    m.cycle = cycle;
    m.il_db = il_db;
    m.rl_db.reset();
    run.measurements.push_back(m);
}

InstrumentRecord instrument(const std::string& name, InstrumentRole role) {
    InstrumentRecord record;
    record.name = name;
    record.role = role;
    return record;
}

// The default set without any RL minimum.
const LimitSet& limits_without_rl() {
    static const LimitSet set = [] {
        std::string text(default_limit_set_toml());
        for (auto at = text.find("rl_min_db"); at != std::string::npos;
             at = text.find("rl_min_db", at)) {
            if (at > 0 && text[at - 1] == '\n')
                text.erase(at, text.find('\n', at) + 1 - at);
            else
                ++at;
        }
        return parse_limit_set(text, "no-rl.toml");
    }();
    return set;
}

const GradeLimits& design(Grade grade, FiberMode mode) {
    return default_limit_set().limits(grade, mode);
}

int wavelength_of(FiberMode mode) {
    return default_wavelengths_nm(mode).back();
}

}  // namespace

TEST_CASE("a clean assembly grades Elite and passes", "[grading]") {
    for (const FiberMode mode : kModes) {
        const auto run = make_run(make_part(12, mode), 0.05, 70.0);
        const auto result = grade_run(run, default_limit_set());
        CHECK(result.grade == Grade::Elite);
        CHECK(result.pass);
        CHECK(result.failures.empty());
    }
}

TEST_CASE("per-fibre IL max: equal meets, 1e-6 above misses, every grade and mode", "[grading]") {
    for (const FiberMode mode : kModes) {
        for (const Grade grade : kGrades) {
            const double limit = design(grade, mode).il_max_db;
            INFO(to_string(mode) << " " << to_string(grade) << " il_max " << limit);
            auto run = make_run(make_part(12, mode), 0.0, 70.0);
            find(run, End::B, 7, wavelength_of(mode)).il_db = limit;
            auto at = grade_run(run, default_limit_set());
            CHECK(at.grade >= grade);
            find(run, End::B, 7, wavelength_of(mode)).il_db = limit + 1e-6;
            auto above = grade_run(run, default_limit_set());
            CHECK(above.grade < grade);
            REQUIRE(above.failures.size() == 1);
            const auto& failure = above.failures.front();
            CHECK(failure.what == FailureCause::Il);
            CHECK(failure.end == End::B);
            CHECK(failure.fiber == 7);
            CHECK(failure.wavelength_nm == wavelength_of(mode));
            CHECK(failure.value == limit + 1e-6);
            CHECK(failure.grade <= grade);
            CHECK(failure.limit <= limit);
            CHECK(static_cast<int>(above.grade) == static_cast<int>(failure.grade) - 1);
        }
    }
}

TEST_CASE("mean IL limit: equal meets, 1e-6 above misses, every grade and mode", "[grading]") {
    for (const FiberMode mode : kModes) {
        for (const Grade grade : kGrades) {
            const double limit = design(grade, mode).il_typical_db;
            INFO(to_string(mode) << " " << to_string(grade) << " il_typical " << limit);
            // Every fibre at the limit: the mean is the limit up to rounding.
            const auto at =
                grade_run(make_run(make_part(12, mode), limit, 70.0), default_limit_set());
            CHECK(at.grade >= grade);
            const auto above =
                grade_run(make_run(make_part(12, mode), limit + 1e-6, 70.0), default_limit_set());
            CHECK(above.grade < grade);
            // One il_mean failure per end and wavelength, no fibre. (A typical
            // limit may equal a higher grade's max, so per-fibre entries can
            // come too.)
            std::vector<Failure> means;
            for (const auto& failure : above.failures) {
                if (failure.what == FailureCause::IlMean)
                    means.push_back(failure);
            }
            REQUIRE(means.size() == 4);
            for (const auto& failure : means) {
                CHECK_FALSE(failure.fiber.has_value());
                CHECK(failure.value == Approx(limit + 1e-6).margin(1e-12));
                CHECK(failure.grade <= grade);
            }
        }
    }
}

TEST_CASE("RL min: equal meets, 1e-6 below misses, every grade and mode", "[grading]") {
    for (const FiberMode mode : kModes) {
        for (const Grade grade : kGrades) {
            const double limit = *design(grade, mode).rl_min_db;
            INFO(to_string(mode) << " " << to_string(grade) << " rl_min " << limit);
            auto run = make_run(make_part(12, mode), 0.05, 80.0);
            find(run, End::A, 1, wavelength_of(mode)).rl_db = limit;
            CHECK(grade_run(run, default_limit_set()).grade >= grade);
            find(run, End::A, 1, wavelength_of(mode)).rl_db = limit - 1e-6;
            const auto below = grade_run(run, default_limit_set());
            CHECK(below.grade < grade);
            REQUIRE(below.failures.size() == 1);
            CHECK(below.failures.front().what == FailureCause::Rl);
            CHECK(below.failures.front().fiber == 1);
            CHECK(below.failures.front().value == limit - 1e-6);
            CHECK(below.failures.front().grade <= grade);
        }
    }
}

TEST_CASE("repeatability: equal range meets, 1e-6 more misses, every grade and mode", "[grading]") {
    for (const FiberMode mode : kModes) {
        for (const Grade grade : kGrades) {
            const double limit = design(grade, mode).repeatability_max_db;
            INFO(to_string(mode) << " " << to_string(grade) << " repeatability " << limit);
            const int wavelength = wavelength_of(mode);
            auto run = make_run(make_part(12, mode), 0.05, 80.0);
            add_cycle(run, End::A, 4, wavelength, 1, 0.05 + limit / 2);
            add_cycle(run, End::A, 4, wavelength, 2, 0.05 + limit);
            CHECK(grade_run(run, default_limit_set()).grade >= grade);
            find(run, End::A, 4, wavelength, 2).il_db = 0.05 + limit + 1e-6;
            const auto above = grade_run(run, default_limit_set());
            CHECK(above.grade < grade);
            REQUIRE(above.failures.size() == 1);
            const auto& failure = above.failures.front();
            CHECK(failure.what == FailureCause::Repeatability);
            CHECK(failure.end == End::A);
            CHECK(failure.fiber == 4);
            CHECK(failure.wavelength_nm == wavelength);
            CHECK(failure.value == Approx(limit + 1e-6).margin(1e-12));
            CHECK(failure.grade <= grade);
        }
    }
}

TEST_CASE("a difference that is the limit up to rounding meets it", "[grading]") {
    // 0.45 - 0.35 is 0.10000000000000003 in binary floating point.
    auto run = make_run(make_part(12, FiberMode::SM), 0.05, 70.0);
    find(run, End::A, 2, 1310).il_db = 0.35;
    add_cycle(run, End::A, 2, 1310, 1, 0.45);
    const auto result = grade_run(run, default_limit_set());
    CHECK(result.grade == Grade::Elite);
    CHECK(result.failures.empty());
}

TEST_CASE("the examples of the failure listing", "[grading]") {
    SECTION("IL 0.31 SM meets the Elite per-fibre max; the same mean misses Elite typical") {
        auto run = make_run(make_part(12, FiberMode::SM), 0.05, 70.0);
        find(run, End::A, 7, 1550).il_db = 0.31;
        CHECK(grade_run(run, default_limit_set()).grade == Grade::Elite);
        const auto all =
            grade_run(make_run(make_part(12, FiberMode::SM), 0.31, 70.0), default_limit_set());
        CHECK(all.grade == Grade::Standard);
        REQUIRE(all.failures.size() == 4);
        const auto& failure = all.failures.front();
        CHECK(failure.what == FailureCause::IlMean);
        CHECK(failure.end == End::A);
        CHECK(failure.wavelength_nm == 1310);
        CHECK(failure.value == Approx(0.31));
        CHECK(failure.limit == 0.25);
        CHECK(failure.grade == Grade::Elite);
    }
    SECTION("IL 0.80 misses Generic's 0.75") {
        auto run = make_run(make_part(12, FiberMode::SM), 0.05, 70.0);
        find(run, End::A, 3, 1310).il_db = 0.80;
        const auto result = grade_run(run, default_limit_set());
        CHECK(result.grade == Grade::Fail);
        CHECK_FALSE(result.pass);
        REQUIRE(result.failures.size() == 1);
        CHECK(result.failures[0].what == FailureCause::Il);
        CHECK(result.failures[0].value == 0.80);
        CHECK(result.failures[0].limit == 0.75);
        CHECK(result.failures[0].grade == Grade::Generic);
    }
    SECTION("IL 0.50 SM misses Elite's 0.35 only") {
        auto run = make_run(make_part(12, FiberMode::SM), 0.05, 70.0);
        find(run, End::B, 12, 1550).il_db = 0.50;
        const auto result = grade_run(run, default_limit_set());
        CHECK(result.grade == Grade::Standard);
        REQUIRE(result.failures.size() == 1);
        CHECK(result.failures[0].limit == 0.35);
        CHECK(result.failures[0].grade == Grade::Elite);
    }
    SECTION("IL 0.70 MM misses Standard's 0.60") {
        auto run = make_run(make_part(12, FiberMode::MM), 0.02, 40.0);
        find(run, End::B, 12, 1300).il_db = 0.70;
        const auto result = grade_run(run, default_limit_set());
        CHECK(result.grade == Grade::Generic);
        REQUIRE(result.failures.size() == 1);
        CHECK(result.failures[0].limit == 0.60);
        CHECK(result.failures[0].grade == Grade::Standard);
    }
}

TEST_CASE("mean limit and per-fibre limit are separate checks", "[grading]") {
    // Every fibre under Elite's 0.35 max, the mean over Elite's 0.10 typical (MM).
    auto mean_only = make_run(make_part(12, FiberMode::MM), 0.2, 40.0);
    const auto a = grade_run(mean_only, default_limit_set());
    CHECK(a.grade == Grade::Standard);
    for (const auto& failure : a.failures)
        CHECK(failure.what == FailureCause::IlMean);
    // One fibre over Elite's max, the mean low: only that fibre is listed.
    auto fibre_only = make_run(make_part(12, FiberMode::MM), 0.01, 40.0);
    find(fibre_only, End::A, 5, 850).il_db = 0.4;
    const auto b = grade_run(fibre_only, default_limit_set());
    CHECK(b.grade == Grade::Standard);
    REQUIRE(b.failures.size() == 1);
    CHECK(b.failures[0].what == FailureCause::Il);
    // The mean is over one end at one wavelength, not the whole run: one
    // high group is enough.
    auto one_group = make_run(make_part(12, FiberMode::MM), 0.01, 40.0);
    for (auto& m : one_group.measurements) {
        if (m.end == End::B && m.wavelength_nm == 1300)
            m.il_db = 0.2;
    }
    const auto c = grade_run(one_group, default_limit_set());
    CHECK(c.grade == Grade::Standard);
    REQUIRE(c.failures.size() == 1);
    CHECK(c.failures[0].what == FailureCause::IlMean);
    CHECK(c.failures[0].end == End::B);
    CHECK(c.failures[0].wavelength_nm == 1300);
    CHECK(c.failures[0].value == Approx(0.2));
    CHECK(c.failures[0].limit == 0.10);
}

TEST_CASE("only cycle 0 counts for IL, RL and mean limits", "[grading]") {
    auto run = make_run(make_part(12, FiberMode::SM), 0.05, 70.0);
    add_cycle(run, End::A, 1, 1310, 1, 0.06);
    auto& later = run.measurements.back();
    later.rl_db = 10.0;                       // a re-mate RL reading is not graded
    add_cycle(run, End::A, 2, 1310, 1, 0.9);  // way over max, but only ΔIL counts
    const auto result = grade_run(run, default_limit_set());
    REQUIRE(result.failures.size() == 1);
    CHECK(result.failures[0].what == FailureCause::Repeatability);
    CHECK(result.failures[0].fiber == 2);
    CHECK(result.failures[0].value == Approx(0.85));
    CHECK(result.failures[0].limit == 0.20);
    CHECK(result.failures[0].grade == Grade::Generic);
    CHECK(result.grade == Grade::Fail);
}

TEST_CASE("repeatability needs two matings", "[grading]") {
    auto run = make_run(make_part(8, FiberMode::MM, PolarityType::A), 0.05, 40.0);
    CHECK(grade_run(run, default_limit_set()).failures.empty());
    // A repeatability run: cycles 0..3 of every fibre within 0.05 dB.
    for (int cycle = 1; cycle <= 3; ++cycle) {
        for (int fiber = 1; fiber <= 8; ++fiber)
            add_cycle(run, End::A, fiber, 850, cycle, 0.05 + 0.0125 * cycle);
    }
    run.kind = RunKind::Repeatability;
    const auto result = grade_run(run, default_limit_set());
    CHECK(result.grade == Grade::Elite);
    CHECK(result.failures.empty());
}

TEST_CASE("guard band is subtracted from IL limits only", "[grading]") {
    auto text = std::string(default_limit_set_toml());
    const auto at = text.find("guard_band_db = 0.0");
    REQUIRE(at != std::string::npos);
    text.replace(at, std::string("guard_band_db = 0.0").size(), "guard_band_db = 0.05");
    const auto guarded = parse_limit_set(text, "guarded.toml");
    REQUIRE(guarded.guard_band_db == 0.05);

    SECTION("per-fibre max") {
        auto run = make_run(make_part(12, FiberMode::SM), 0.0, 70.0);
        find(run, End::A, 6, 1550).il_db = 0.30;  // Elite 0.35 - 0.05
        CHECK(grade_run(run, guarded).grade == Grade::Elite);
        CHECK(grade_run(run, default_limit_set()).grade == Grade::Elite);
        find(run, End::A, 6, 1550).il_db = 0.30 + 1e-6;
        const auto result = grade_run(run, guarded);
        CHECK(result.grade == Grade::Standard);
        REQUIRE(result.failures.size() == 1);
        CHECK(result.failures[0].limit == Approx(0.30).margin(1e-12));
        CHECK(grade_run(run, default_limit_set()).grade == Grade::Elite);
    }
    SECTION("mean") {
        const auto at_limit = make_run(make_part(12, FiberMode::SM), 0.20, 70.0);
        CHECK(grade_run(at_limit, guarded).grade == Grade::Elite);
        const auto above = make_run(make_part(12, FiberMode::SM), 0.20 + 1e-6, 70.0);
        const auto result = grade_run(above, guarded);
        CHECK(result.grade == Grade::Standard);
        CHECK(result.failures.front().limit == Approx(0.20).margin(1e-12));
    }
    SECTION("RL and repeatability keep their limits") {
        auto run = make_run(make_part(12, FiberMode::SM), 0.05, 65.0);
        add_cycle(run, End::B, 3, 1310, 1, 0.15);
        const auto result = grade_run(run, guarded);
        CHECK(result.grade == Grade::Elite);
        CHECK(result.failures.empty());
    }
}

TEST_CASE("continuity failures fail the assembly", "[grading]") {
    auto run = make_run(make_part(12, FiberMode::SM), 0.05, 70.0);
    SECTION("no light") {
        auto& m = find(run, End::B, 5, 1550);
        m.status = ReadingStatus::NoLight;
        m.far_position = 0;
        m.il_db.reset();
    }
    SECTION("light, but no far-end detector lit") {
        find(run, End::B, 5, 1550).far_position = 0;
    }
    SECTION("no light reported with a far position") {
        auto& m = find(run, End::B, 5, 1550);
        m.status = ReadingStatus::NoLight;
        m.il_db.reset();
    }
    const auto result = grade_run(run, default_limit_set());
    CHECK(result.grade == Grade::Fail);
    CHECK_FALSE(result.pass);
    REQUIRE(result.failures.size() == 1);
    const auto& failure = result.failures[0];
    CHECK(failure.what == FailureCause::Continuity);
    CHECK(failure.end == End::B);
    CHECK(failure.fiber == 5);
    CHECK(failure.wavelength_nm == 1550);
    CHECK_FALSE(failure.value.has_value());
    CHECK_FALSE(failure.limit.has_value());
    CHECK(failure.grade == Grade::Generic);
}

TEST_CASE("continuity lost at a re-mate is listed once", "[grading]") {
    auto run = make_run(make_part(12, FiberMode::SM), 0.05, 70.0);
    auto& production = find(run, End::A, 9, 1310);
    production.status = ReadingStatus::NoLight;
    production.far_position = 0;
    production.il_db.reset();
    for (int cycle = 1; cycle <= 2; ++cycle) {
        add_cycle(run, End::A, 9, 1310, cycle, 0.0);
        auto& m = run.measurements.back();
        m.status = ReadingStatus::NoLight;
        m.far_position = 0;
        m.il_db.reset();
    }
    const auto result = grade_run(run, default_limit_set());
    CHECK(result.grade == Grade::Fail);
    REQUIRE(result.failures.size() == 1);
    CHECK(result.failures[0].what == FailureCause::Continuity);
}

TEST_CASE("a miswired end is one polarity failure, not one per reading", "[grading][polarity]") {
    // Type B 12F: end A fibre 1 must reach 12.
    auto run = make_run(make_part(12, FiberMode::MM, PolarityType::B, Grade::Generic), 0.05, 40.0);
    SECTION("two fibres crossed at one wavelength each") {
        find(run, End::A, 1, 850).far_position = 1;
        find(run, End::B, 3, 1300).far_position = 9;
    }
    SECTION("a Type A assembly where Type B was ordered: every reading wrong") {
        for (auto& m : run.measurements)
            m.far_position = m.fiber;  // Type A maps straight through, from either end
    }
    const auto result = grade_run(run, default_limit_set());
    CHECK(result.grade == Grade::Fail);
    CHECK_FALSE(result.pass);
    REQUIRE(result.failures.size() == 2);
    for (std::size_t i = 0; i < 2; ++i) {
        INFO("failure " << i);
        const auto& failure = result.failures[i];
        CHECK(failure.what == FailureCause::Polarity);
        CHECK(failure.end == (i == 0 ? End::A : End::B));
        CHECK_FALSE(failure.fiber.has_value());
        CHECK_FALSE(failure.wavelength_nm.has_value());
        CHECK_FALSE(failure.value.has_value());
        CHECK_FALSE(failure.limit.has_value());
        CHECK(failure.grade == Grade::Generic);
    }
}

TEST_CASE("a fibre dark at every wavelength is one continuity failure", "[grading]") {
    auto run = make_run(make_part(12, FiberMode::SM), 0.05, 70.0);
    for (auto& m : run.measurements) {
        if (m.end == End::A && m.fiber == 7) {
            m.status = ReadingStatus::NoLight;
            m.far_position = 0;
            m.il_db.reset();
            m.rl_db.reset();
        }
    }
    const auto result = grade_run(run, default_limit_set());
    CHECK(result.grade == Grade::Fail);
    REQUIRE(result.failures.size() == 1);
    CHECK(result.failures[0].what == FailureCause::Continuity);
    CHECK(result.failures[0].end == End::A);
    CHECK(result.failures[0].fiber == 7);
    CHECK_FALSE(result.failures[0].wavelength_nm.has_value());
}

TEST_CASE("readings without a value fail with no value", "[grading]") {
    auto run = make_run(make_part(12, FiberMode::SM), 0.05, 70.0);
    SECTION("overrange IL") {
        auto& m = find(run, End::A, 2, 1310);
        m.status = ReadingStatus::Overrange;
        m.il_db.reset();
        const auto result = grade_run(run, default_limit_set());
        CHECK(result.grade == Grade::Fail);
        REQUIRE(result.failures.size() == 1);
        CHECK(result.failures[0].what == FailureCause::Il);
        CHECK(result.failures[0].fiber == 2);
        CHECK_FALSE(result.failures[0].value.has_value());
        CHECK_FALSE(result.failures[0].limit.has_value());
    }
    SECTION("invalid IL") {
        auto& m = find(run, End::A, 2, 1310);
        m.status = ReadingStatus::Invalid;
        m.il_db.reset();
        const auto result = grade_run(run, default_limit_set());
        REQUIRE(result.failures.size() == 1);
        CHECK(result.failures[0].what == FailureCause::Il);
    }
    SECTION("a bad status behind a good IL is the RL reading's") {
        auto& m = find(run, End::B, 4, 1550);
        m.status = ReadingStatus::Overrange;
        m.rl_db.reset();
        const auto result = grade_run(run, default_limit_set());
        CHECK(result.grade == Grade::Fail);
        REQUIRE(result.failures.size() == 1);
        CHECK(result.failures[0].what == FailureCause::Rl);
        CHECK(result.failures[0].fiber == 4);
        CHECK_FALSE(result.failures[0].value.has_value());
    }
    SECTION("RL missing where the others of its end and wavelength have one") {
        find(run, End::B, 4, 1550).rl_db.reset();
        // The limit set has RL minimums: the record is incomplete.
        CHECK_THROWS_AS(grade_run(run, default_limit_set()), CannotGrade);
        // Without them, a missing RL among measured ones is still wrong.
        const auto result = grade_run(run, limits_without_rl());
        CHECK(result.grade == Grade::Fail);
        REQUIRE(result.failures.size() == 1);
        CHECK(result.failures[0].what == FailureCause::Rl);
    }
    SECTION("not-a-number values") {
        find(run, End::A, 1, 1550).il_db = std::numeric_limits<double>::quiet_NaN();
        find(run, End::A, 2, 1550).rl_db = std::numeric_limits<double>::infinity();
        const auto result = grade_run(run, default_limit_set());
        REQUIRE(result.failures.size() == 2);
        CHECK(result.failures[0].what == FailureCause::Il);
        CHECK(result.failures[1].what == FailureCause::Rl);
    }
    SECTION("overrange at a re-mate") {
        add_cycle(run, End::A, 2, 1310, 1, 0.0);
        run.measurements.back().status = ReadingStatus::Overrange;
        run.measurements.back().il_db.reset();
        const auto result = grade_run(run, default_limit_set());
        CHECK(result.grade == Grade::Fail);
        REQUIRE(result.failures.size() == 1);
        CHECK(result.failures[0].what == FailureCause::Il);
    }
}

TEST_CASE("a station without RL grades IL alone under a limit set without RL minimums",
          "[grading]") {
    auto run = make_run(make_part(12, FiberMode::SM), 0.05, 70.0);
    for (auto& m : run.measurements)
        m.rl_db.reset();
    const auto result = grade_run(run, limits_without_rl());
    CHECK(result.grade == Grade::Elite);
    CHECK(result.failures.empty());
}

TEST_CASE("a record without the RL its limit set requires cannot be graded", "[grading]") {
    auto run = make_run(make_part(12, FiberMode::SM), 0.05, 70.0);
    for (auto& m : run.measurements)
        m.rl_db.reset();
    SECTION("a bench without an RL module") {
        run.instruments = {instrument("meter", InstrumentRole::PowerMeter)};
        CHECK_THROWS_WITH(
            grade_run(run, default_limit_set()),
            "cannot grade: no RL at end A fibre 1 1310 nm, end A fibre 2 1310 nm, end A fibre 3 "
            "1310 nm and 45 more (bench has no RL module; limit set mpobench-default 2 has RL "
            "minimums for SM)");
    }
    SECTION("an RL module that gave no reading") {
        run.instruments = {instrument("rl", InstrumentRole::ReturnLossMeter),
                           instrument("meter", InstrumentRole::PowerMeter)};
        CHECK_THROWS_WITH(grade_run(run, default_limit_set()),
                          Catch::StartsWith("cannot grade: no RL at end A fibre 1 1310 nm") &&
                              Catch::Contains("(no reading from the RL module;"));
    }
    // Only lit fibres need one: a dark fibre fails on continuity whatever its RL.
    SECTION("every lit fibre has one") {
        run = make_run(make_part(12, FiberMode::SM), 0.05, 70.0);
        auto& dark = find(run, End::B, 5, 1550);
        dark.status = ReadingStatus::NoLight;
        dark.far_position = 0;
        dark.il_db.reset();
        dark.rl_db.reset();
        CHECK(grade_run(run, default_limit_set()).grade == Grade::Fail);
    }
}

TEST_CASE("a production record missing a fibre, a wavelength or an end cannot be graded",
          "[grading]") {
    const auto without = [](RunRecord run, auto drop) {
        std::erase_if(run.measurements, drop);
        return run;
    };
    const auto run = make_run(make_part(12, FiberMode::SM), 0.05, 70.0);
    CHECK_THROWS_WITH(
        grade_run(without(run, [](const Measurement& m) { return m.end == End::B; }),
                  default_limit_set()),
        "cannot grade: no measurement at end B fibre 1 1310 nm, end B fibre 2 1310 nm, end B "
        "fibre 3 1310 nm and 21 more (of 12 fibres x 1310/1550 nm x ends A and B, every one "
        "needed)");
    CHECK_THROWS_WITH(grade_run(without(run,
                                        [](const Measurement& m) {
                                            return m.end == End::A && m.wavelength_nm == 1550;
                                        }),
                                default_limit_set()),
                      Catch::StartsWith("cannot grade: no measurement at end A fibre 1 1550 nm") &&
                          Catch::Contains("and 9 more"));
    CHECK_THROWS_WITH(grade_run(without(run,
                                        [](const Measurement& m) {
                                            return m.end == End::A && m.fiber == 7 &&
                                                   m.wavelength_nm == 1310;
                                        }),
                                default_limit_set()),
                      Catch::StartsWith("cannot grade: no measurement at end A fibre 7 1310 nm ("));
    // A re-mate does not stand in for the production measurement.
    auto remated = without(run, [](const Measurement& m) {
        return m.end == End::A && m.fiber == 7 && m.wavelength_nm == 1310;
    });
    Measurement cycle = find(remated, End::A, 6, 1310);
    cycle.fiber = 7;
    cycle.cycle = 1;
    remated.measurements.push_back(cycle);
    CHECK_THROWS_AS(grade_run(remated, default_limit_set()), CannotGrade);
    // The part's own wavelengths are the ones needed.
    auto one_wavelength =
        without(run, [](const Measurement& m) { return m.wavelength_nm == 1550; });
    CHECK_THROWS_AS(grade_run(one_wavelength, default_limit_set()), CannotGrade);
    one_wavelength.part.wavelengths_nm = {1310};
    CHECK(grade_run(one_wavelength, default_limit_set()).grade == Grade::Elite);
}

TEST_CASE("an RL bound meets every minimum at or below it", "[grading][bound]") {
    // SM minimums: Generic 60, Standard and Elite 65 dB.
    auto run = make_run(make_part(12, FiberMode::SM), 0.05, 70.0);
    for (auto& m : run.measurements) {
        m.rl_db.reset();
        m.rl_above_db = 75.0;
    }
    SECTION("every reading a bound above every minimum: Elite") {
        const auto result = grade_run(run, default_limit_set());
        CHECK(result.grade == Grade::Elite);
        CHECK(result.pass);
        CHECK(result.failures.empty());
    }
    SECTION("a bound equal to the minimum meets it") {
        find(run, End::B, 3, 1550).rl_above_db = 65.0;
        CHECK(grade_run(run, default_limit_set()).grade == Grade::Elite);
    }
    SECTION("a bound below a minimum the record would otherwise meet cannot be decided") {
        find(run, End::B, 3, 1550).rl_above_db = 62.0;
        CHECK_THROWS_WITH(
            grade_run(run, default_limit_set()),
            "cannot grade: RL at end B fibre 3 1550 nm is beyond the RL module's "
            "range (> 62.0 dB), which cannot tell whether it meets the standard minimum "
            "of 65.0 dB");
        RunRecord copy = run;
        CHECK_THROWS_AS(apply_grade(copy, default_limit_set()), CannotGrade);
        CHECK_FALSE(copy.grade);
    }
    SECTION("a grade other values deny is decided whatever the bound says of it") {
        find(run, End::B, 3, 1550).rl_above_db = 62.0;  // leaves Standard and Elite open
        find(run, End::A, 1, 1310).il_db = 0.70;        // above the Elite max: Standard still open
        CHECK_THROWS_AS(grade_run(run, default_limit_set()), CannotGrade);
        find(run, End::A, 2, 1310).il_db = 0.80;  // above every max: Fail, bound or not
        const auto result = grade_run(run, default_limit_set());
        CHECK(result.grade == Grade::Fail);
        CHECK_FALSE(result.pass);
    }
    SECTION("a bound is not a value") {
        find(run, End::A, 4, 1310).rl_above_db = std::numeric_limits<double>::quiet_NaN();
        const auto result = grade_run(run, default_limit_set());
        CHECK(result.grade == Grade::Fail);
        REQUIRE(result.failures.size() == 1);
        CHECK(result.failures[0].what == FailureCause::Rl);
    }
}

TEST_CASE("pass is grade at or above the target, for every pair", "[grading]") {
    // One run per achieved grade (SM): fibre IL 0.05 / 0.50 / 0.75 / 0.80.
    const std::vector<std::pair<double, Grade>> achieved{{0.05, Grade::Elite},
                                                         {0.50, Grade::Standard},
                                                         {0.70, Grade::Standard},
                                                         {0.80, Grade::Fail}};
    for (const auto& [il, grade] : achieved) {
        for (const Grade target : {Grade::Fail, Grade::Generic, Grade::Standard, Grade::Elite}) {
            auto run = make_run(make_part(12, FiberMode::SM, PolarityType::B, target), 0.05, 70.0);
            find(run, End::A, 1, 1310).il_db = il;
            const auto result = grade_run(run, default_limit_set());
            INFO("IL " << il << " target " << to_string(target));
            CHECK(result.grade == grade);
            CHECK(result.pass == (grade != Grade::Fail && grade >= target));
        }
    }
    // Generic is reached through the mean (SM typical: Standard 0.35, Generic 0.50).
    for (const Grade target : {Grade::Generic, Grade::Standard, Grade::Elite}) {
        const auto run =
            make_run(make_part(12, FiberMode::SM, PolarityType::B, target), 0.45, 70.0);
        const auto result = grade_run(run, default_limit_set());
        CHECK(result.grade == Grade::Generic);
        CHECK(result.pass == (target == Grade::Generic));
    }
}

TEST_CASE("failures are listed by end, wavelength, fibre, what", "[grading]") {
    auto run = make_run(make_part(12, FiberMode::SM), 0.05, 70.0);
    find(run, End::B, 2, 1310).il_db = 0.40;      // il, Elite
    find(run, End::B, 2, 1310).rl_db = 62.0;      // rl, Standard
    find(run, End::A, 11, 1550).il_db = 0.76;     // il, Generic
    find(run, End::A, 3, 1550).far_position = 4;  // polarity
    find(run, End::A, 3, 1550).rl_db = 59.0;      // rl, Generic
    add_cycle(run, End::A, 1, 1550, 1, 0.2);      // repeatability 0.15, Standard
    for (auto& m : run.measurements) {
        if (m.end == End::B && m.wavelength_nm == 1550 && m.cycle == 0)
            m.il_db = 0.3;  // mean 0.3 > Elite 0.25
    }
    const auto result = grade_run(run, default_limit_set());
    CHECK(result.grade == Grade::Fail);

    struct Expected {
        End end;
        std::optional<int> fiber;
        std::optional<int> wavelength_nm;
        FailureCause what;
        Grade grade;
    };
    // Polarity is the end's (no fibre, no wavelength): first of end A.
    const std::vector<Expected> expected{
        {End::A, std::nullopt, std::nullopt, FailureCause::Polarity, Grade::Generic},
        {End::A, 1, 1550, FailureCause::Repeatability, Grade::Standard},
        {End::A, 3, 1550, FailureCause::Rl, Grade::Generic},
        {End::A, 11, 1550, FailureCause::Il, Grade::Generic},
        {End::B, 2, 1310, FailureCause::Il, Grade::Elite},
        {End::B, 2, 1310, FailureCause::Rl, Grade::Standard},
        {End::B, std::nullopt, 1550, FailureCause::IlMean, Grade::Elite},
    };
    REQUIRE(result.failures.size() == expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) {
        INFO("failure " << i);
        CHECK(result.failures[i].end == expected[i].end);
        CHECK(result.failures[i].fiber == expected[i].fiber);
        CHECK(result.failures[i].wavelength_nm == expected[i].wavelength_nm);
        CHECK(result.failures[i].what == expected[i].what);
        CHECK(result.failures[i].grade == expected[i].grade);
    }
    CHECK(result.failures[2].value == 59.0);
    CHECK(result.failures[2].limit == 60.0);
    CHECK(result.failures[5].value == 62.0);
    CHECK(result.failures[5].limit == 65.0);
    CHECK(result.failures[6].value == Approx(0.3));
    CHECK(result.failures[6].limit == 0.25);
}

TEST_CASE("apply_grade stores the result and the limit set's identity", "[grading]") {
    auto run = make_run(make_part(12, FiberMode::SM, PolarityType::B, Grade::Elite), 0.05, 70.0);
    find(run, End::A, 1, 1310).il_db = 0.5;
    apply_grade(run, default_limit_set());
    CHECK(run.grade == Grade::Standard);
    CHECK_FALSE(run.pass);
    REQUIRE(run.failures.size() == 1);
    CHECK(run.failures[0].what == FailureCause::Il);
    CHECK(run.limit_set_name == "mpobench-default");
    CHECK(run.limit_set_version == "2");
    CHECK(run.limit_set_hash == default_limit_set().hash);
    CHECK(run.limit_set_hash.size() == 64);
}

TEST_CASE("a repeatability run is graded on its cycles alone", "[grading]") {
    // End A, cycles 1..3, no cycle 0: IL limits do not apply, repeatability does.
    auto production = make_run(make_part(12), 0.05, 70.0);
    RunRecord run;
    run.kind = RunKind::Repeatability;
    run.serial = "SN-REP";
    run.part = production.part;
    for (int cycle = 1; cycle <= 3; ++cycle) {
        for (const auto& m : production.measurements) {
            if (m.end != End::A)
                continue;
            Measurement again = m;
            again.cycle = cycle;
            again.rl_db.reset();
            // IL far above every max: only repeatability may judge it.
            again.il_db = 2.0 + (m.fiber == 4 && m.wavelength_nm == 1550 ? 0.05 * cycle : 0.0);
            run.measurements.push_back(again);
        }
    }
    auto result = grade_run(run, default_limit_set());
    // Fibre 4 at 1550 nm spans 0.10 dB: equal to the Elite and Standard maxima, so it meets them.
    CHECK(result.grade == Grade::Elite);
    for (auto& m : run.measurements) {
        if (m.fiber == 4 && m.wavelength_nm == 1550 && m.cycle == 3)
            m.il_db = 2.20;
    }
    result = grade_run(run, default_limit_set());
    CHECK(result.grade == Grade::Generic);  // 0.15 dB: beyond 0.10, within Generic's 0.20
    REQUIRE(result.failures.size() == 1);
    CHECK(result.failures[0].what == FailureCause::Repeatability);
    CHECK(result.failures[0].fiber == 4);
    CHECK(result.failures[0].value == Approx(0.15));
}

TEST_CASE("runs that cannot be graded", "[grading]") {
    SECTION("no measurements") {
        RunRecord run;
        run.part = make_part();
        CHECK_THROWS_AS(grade_run(run, default_limit_set()), std::invalid_argument);
    }
    SECTION("a production run with only re-mate cycles") {
        auto run = make_run(make_part(), 0.05, 70.0);
        for (auto& m : run.measurements)
            m.cycle = 1;
        CHECK_THROWS_AS(grade_run(run, default_limit_set()), std::invalid_argument);
    }
    SECTION("a fibre outside the part") {
        auto run = make_run(make_part(12), 0.05, 70.0);
        run.measurements.front().fiber = 13;
        CHECK_THROWS_WITH(grade_run(run, default_limit_set()),
                          Catch::Contains("fibre 13") && Catch::Contains("1..12"));
        run.measurements.front().fiber = 0;
        CHECK_THROWS_AS(grade_run(run, default_limit_set()), std::invalid_argument);
    }
    SECTION("an unsupported fibre count") {
        auto run = make_run(make_part(12), 0.05, 70.0);
        run.part.fibers = 13;
        CHECK_THROWS_AS(grade_run(run, default_limit_set()), std::invalid_argument);
    }
}

namespace {

std::vector<int> reversed_rows(int fibers, int row) {
    std::vector<int> map;
    for (int start = 0; start < fibers; start += row) {
        for (int p = start + row; p > start; --p)
            map.push_back(p);
    }
    return map;
}

}  // namespace

TEST_CASE("expected far positions for polarity A, B and C", "[grading][polarity]") {
    CHECK(expected_far_positions(make_part(8, FiberMode::MM, PolarityType::B), End::A) ==
          std::vector<int>{8, 7, 6, 5, 4, 3, 2, 1});
    CHECK(expected_far_positions(make_part(12, FiberMode::MM, PolarityType::B), End::A) ==
          std::vector<int>{12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1});
    CHECK(expected_far_positions(make_part(24, FiberMode::MM, PolarityType::B), End::A) ==
          std::vector<int>{12, 11, 10, 9,  8,  7,  6,  5,  4,  3,  2,  1,
                           24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13});
    CHECK(expected_far_positions(make_part(12, FiberMode::SM, PolarityType::C), End::A) ==
          std::vector<int>{2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11});

    for (const int fibers : {8, 12, 16, 24, 32, 72}) {
        const int row = fibers == 32 ? 16 : (fibers <= 16 ? fibers : 12);
        std::vector<int> identity, pairs;
        for (int p = 1; p <= fibers; ++p) {
            identity.push_back(p);
            pairs.push_back(p % 2 == 1 ? p + 1 : p - 1);
        }
        const std::vector<std::pair<PolarityType, std::vector<int>>> cases{
            {PolarityType::A, identity},
            {PolarityType::B, reversed_rows(fibers, row)},
            {PolarityType::C, pairs}};
        for (const auto& [type, from_a] : cases) {
            INFO(fibers << "F type " << to_string(type));
            const auto part = make_part(fibers, FiberMode::SM, type);
            const auto a = expected_far_positions(part, End::A);
            const auto b = expected_far_positions(part, End::B);
            CHECK(a == from_a);
            // End B launched: the inverse, so going there and back is the identity.
            REQUIRE(b.size() == a.size());
            for (int p = 1; p <= fibers; ++p) {
                const auto i = static_cast<std::size_t>(p - 1);
                CHECK(b[static_cast<std::size_t>(a[i] - 1)] == p);
                CHECK(a[static_cast<std::size_t>(b[i] - 1)] == p);
            }
        }
    }
    CHECK_THROWS_AS(expected_far_positions(make_part(10), End::A), std::invalid_argument);
}

TEST_CASE("a Type B assembly graded from both ends", "[grading][polarity]") {
    for (const int fibers : {8, 12, 16, 24, 32, 72}) {
        const auto run = make_run(make_part(fibers, FiberMode::SM, PolarityType::B), 0.05, 70.0);
        CHECK(grade_run(run, default_limit_set()).grade == Grade::Elite);
    }
}
