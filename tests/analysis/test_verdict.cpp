// The verdict of a graded run: what JSON, certificate, QA and the console
// render, worked out once.

#include <catch2/catch.hpp>

#include "analysis/grading.hpp"
#include "analysis/verdict.hpp"

using namespace mpobench;
using namespace mpobench::analysis;

namespace {

Failure failure(FailureCause what, std::optional<End> end, std::optional<int> fiber,
                std::optional<int> wavelength_nm, Grade grade) {
    Failure f;
    f.what = what;
    f.end = end;
    f.fiber = fiber;
    f.wavelength_nm = wavelength_nm;
    f.grade = grade;
    return f;
}

// A 12-fibre SM type-B part with target Standard, one reading per fibre of
// end A at 1310 nm, graded with the given failures.
RunRecord graded(std::vector<Failure> failures, Grade grade) {
    RunRecord run;
    run.part.number = "PN";
    run.part.fibers = 12;
    run.part.mode = FiberMode::SM;
    run.part.polarity = PolarityType::B;
    run.part.target = Grade::Standard;
    for (int fiber = 1; fiber <= 12; ++fiber) {
        Measurement m;
        m.end = End::A;
        m.fiber = fiber;
        m.wavelength_nm = 1310;
        m.far_position = 13 - fiber;
        m.il_db = fiber == 12 ? 0.3 : 0.2;
        run.measurements.push_back(m);
    }
    run.polarity = {{End::A, expected_far_positions(run.part, End::A)}};
    run.failures = std::move(failures);
    run.grade = grade;
    run.pass = grade >= run.part.target;
    return run;
}

}  // namespace

TEST_CASE("the failures against the target are those at or below it, most severe first",
          "[verdict]") {
    const std::vector<Failure> failures{
        failure(FailureCause::Il, End::A, 1, 1310, Grade::Elite),
        failure(FailureCause::Rl, End::A, 2, 1310, Grade::Standard),
        failure(FailureCause::Il, End::A, 3, 1310, Grade::Generic),
        failure(FailureCause::IlMean, End::A, std::nullopt, 1310, Grade::Standard),
    };
    const auto counted = failures_against_target(Grade::Standard, failures);
    REQUIRE(counted.size() == 3);
    CHECK(counted[0].fiber == 3);  // Generic: the most severe
    CHECK(counted[1].what == FailureCause::Rl);
    CHECK(counted[2].what == FailureCause::IlMean);
    CHECK(failures_against_target(Grade::Generic, failures).size() == 1);
    CHECK(failures_against_target(Grade::Elite, failures).size() == 4);
    CHECK(failures_against_target(Grade::Fail, failures).empty());
}

TEST_CASE("a verdict marks the rows and mean lines that miss the target's limits", "[verdict]") {
    const auto run =
        graded({failure(FailureCause::Il, End::A, 5, 1310, Grade::Elite),  // above it
                failure(FailureCause::Il, End::A, 12, 1310, Grade::Standard),
                failure(FailureCause::Rl, End::A, 12, 1310, Grade::Generic),
                failure(FailureCause::IlMean, End::A, std::nullopt, 1310, Grade::Standard)},
               Grade::Fail);
    const Verdict verdict = make_verdict(run);
    CHECK(verdict.table_cycle == 0);
    CHECK(verdict.against_target.size() == 3);
    CHECK_FALSE(verdict.row_failures(End::A, 5, 1310));  // misses Elite only: not against Standard
    const auto* row = verdict.row_failures(End::A, 12, 1310);
    REQUIRE(row);
    CHECK(*row == std::vector<FailureCause>{FailureCause::Il, FailureCause::Rl});
    REQUIRE(verdict.means.size() == 1);
    CHECK(verdict.means[0].end == End::A);
    CHECK(verdict.means[0].wavelength_nm == 1310);
    CHECK(verdict.means[0].mean_db == Approx((11 * 0.2 + 0.3) / 12));
    CHECK(verdict.means[0].against_target);
    CHECK(verdict.failing_values() == 2);  // fibre 12's row and the mean
    CHECK(verdict.polarity_ok);
}

TEST_CASE("a verdict's polarity is right only with a map, every map the expected one",
          "[verdict]") {
    auto run = graded({}, Grade::Elite);
    CHECK(make_verdict(run).polarity_ok);
    CHECK(make_verdict(run).failing_values() == 0);
    run.polarity.push_back({End::B, std::vector<int>(12, 1)});
    CHECK_FALSE(make_verdict(run).polarity_ok);
    run.polarity.clear();
    CHECK_FALSE(make_verdict(run).polarity_ok);
}

TEST_CASE("a repeatability run's verdict lists its first mating", "[verdict]") {
    auto run = graded({}, Grade::Elite);
    run.kind = RunKind::Repeatability;
    for (auto& m : run.measurements)
        m.cycle = 3;
    run.measurements.back().cycle = 2;
    run.measurements.back().il_db = 0.5;
    const Verdict verdict = make_verdict(run);
    CHECK(verdict.table_cycle == 2);
    REQUIRE(verdict.means.size() == 1);
    CHECK(verdict.means[0].mean_db == Approx(0.5));
}

TEST_CASE("a fault listed once is crossed on every row that shows it", "[verdict][polarity]") {
    SECTION("a dark fibre: its rows at every wavelength") {
        auto run =
            graded({failure(FailureCause::Continuity, End::A, 7, std::nullopt, Grade::Generic)},
                   Grade::Fail);
        run.measurements[6].far_position = 0;
        const Verdict verdict = make_verdict(run);
        const auto* row = verdict.row_failures(End::A, 7, 1310);
        REQUIRE(row);
        CHECK(*row == std::vector<FailureCause>{FailureCause::Continuity});
        CHECK(verdict.failing_values() == 1);
    }
    SECTION("a miswired end: the rows whose far position is wrong") {
        auto run = graded(
            {failure(FailureCause::Polarity, End::A, std::nullopt, std::nullopt, Grade::Generic)},
            Grade::Fail);
        std::swap(run.measurements[0].far_position, run.measurements[1].far_position);
        run.polarity[0].far_positions = {11, 12, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1};
        const Verdict verdict = make_verdict(run);
        CHECK(verdict.row_failures(End::A, 1, 1310));
        CHECK(verdict.row_failures(End::A, 2, 1310));
        CHECK_FALSE(verdict.row_failures(End::A, 3, 1310));
        CHECK(verdict.failing_values() == 2);
        CHECK_FALSE(verdict.polarity_ok);
    }
}

TEST_CASE("the standard type a measured map is", "[verdict][polarity]") {
    Part part;
    part.fibers = 12;
    for (const PolarityType type : {PolarityType::A, PolarityType::B, PolarityType::C}) {
        part.polarity = type;
        for (const End end : {End::A, End::B}) {
            INFO(to_string(type) << " from end " << to_string(end));
            CHECK(polarity_type_of({end, expected_far_positions(part, end)}, 12) == type);
        }
    }
    CHECK_FALSE(polarity_type_of({End::A, {2, 1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}}, 12));
    CHECK_FALSE(polarity_type_of({End::A, {1, 2, 3}}, 12));  // not the part's fibre count
    CHECK_FALSE(polarity_type_of({End::A, std::vector<int>(13, 1)}, 13));
}

TEST_CASE("failures in words say where, what and which grade's limit", "[verdict]") {
    auto run = graded({}, Grade::Fail);
    auto with = [](Failure f, std::optional<double> value, std::optional<double> limit) {
        f.value = value;
        f.limit = limit;
        return f;
    };
    CHECK(describe_failure(
              with(failure(FailureCause::Il, End::A, 3, 1310, Grade::Standard), 0.92, 0.75), run) ==
          "end A fibre 3 1310 nm: IL 0.92 dB > standard max 0.75 dB");
    CHECK(describe_failure(
              with(failure(FailureCause::IlMean, End::B, std::nullopt, 1550, Grade::Elite), 0.3,
                   0.25),
              run) == "end B 1550 nm: mean IL 0.30 dB > elite typical 0.25 dB");
    CHECK(describe_failure(
              with(failure(FailureCause::Rl, End::A, 5, 1550, Grade::Generic), 59.04, 60.0), run) ==
          "end A fibre 5 1550 nm: RL 59.0 dB < generic min 60.0 dB");
    CHECK(describe_failure(failure(FailureCause::Rl, End::A, 5, 1550, Grade::Generic), run) ==
          "end A fibre 5 1550 nm: no valid RL reading");
    CHECK(
        describe_failure(
            with(failure(FailureCause::Repeatability, End::A, 1, 1310, Grade::Standard), 0.15, 0.1),
            run) == "end A fibre 1 1310 nm: IL range over matings 0.15 dB > standard max 0.10 dB");
    CHECK(describe_failure(
              failure(FailureCause::Continuity, End::A, 7, std::nullopt, Grade::Generic), run) ==
          "end A fibre 7: no light");

    const auto polarity =
        failure(FailureCause::Polarity, End::A, std::nullopt, std::nullopt, Grade::Generic);
    run.polarity[0].far_positions = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    CHECK(describe_failure(polarity, run) ==
          "end A polarity: measured type A (map 1,2,3,4,5,6,7,8,9,10,11,12), expected B");
    run.polarity[0].far_positions = {12, 11, 10, 9, 8, 0, 6, 5, 4, 3, 1, 2};
    CHECK(describe_failure(polarity, run) ==
          "end A polarity: measured no standard type (map 12,11,10,9,8,-,6,5,4,3,1,2), "
          "expected B");
    run.polarity.clear();
    CHECK(describe_failure(polarity, run) == "end A polarity: not the map type B expects");
}
