#pragma once
// The run record: the central object. Acquisition fills it, analysis grades
// it, db stores it, reports render it. Plain data, no I/O.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vocabulary/assembly.hpp"

namespace mpobench {

using TimePoint = std::chrono::system_clock::time_point;

// Ordered: a higher grade is better.
enum class Grade { Fail = 0, Generic = 1, Standard = 2, Elite = 3 };

inline std::string_view to_string(Grade grade) {
    switch (grade) {
        case Grade::Fail:
            return "fail";
        case Grade::Generic:
            return "generic";
        case Grade::Standard:
            return "standard";
        case Grade::Elite:
            return "elite";
    }
    return "fail";
}

inline std::optional<Grade> parse_grade(std::string_view text) {
    if (text == "fail")
        return Grade::Fail;
    if (text == "generic")
        return Grade::Generic;
    if (text == "standard")
        return Grade::Standard;
    if (text == "elite")
        return Grade::Elite;
    return std::nullopt;
}

// A part number of the catalogue (DESIGN.md §5).
struct Part {
    std::string number;
    std::string description;
    int fibers = 12;
    FiberMode mode = FiberMode::SM;
    PolarityType polarity = PolarityType::B;
    Grade target = Grade::Elite;
    double length_m = 1.0;
    std::vector<int> wavelengths_nm;  // default_wavelengths_nm(mode) when the catalogue omits them
    int mating_cycles = 0;            // production re-mates
};

// What a reading turned out to be (sanity rules, DESIGN.md §2).
enum class ReadingStatus {
    Ok,         // a value
    NoLight,    // below the meter's floor: broken or misrouted fibre
    Overrange,  // a far-end detector reported overrange
    Invalid,    // the instrument reported not-a-number
};

inline std::string_view to_string(ReadingStatus status) {
    switch (status) {
        case ReadingStatus::Ok:
            return "ok";
        case ReadingStatus::NoLight:
            return "no_light";
        case ReadingStatus::Overrange:
            return "overrange";
        case ReadingStatus::Invalid:
            return "invalid";
    }
    return "invalid";
}

// P_ref of one launch fibre at one wavelength (one-cord method).
struct ReferencePoint {
    int fiber = 0;
    int wavelength_nm = 0;
    double power_dbm = 0.0;
    // Second read minus first: the stability check; less the monitor's
    // second minus first when the tap monitor read both (source drift).
    double drift_db = 0.0;
    // The tap monitor (after the source) in the same two windows, their
    // mean: M_ref. Empty when the station has no monitor.
    std::optional<double> monitor_dbm;
};

struct Reference {
    std::int64_t id = 0;  // set by db
    std::string station;
    std::string operator_name;
    TimePoint taken_at{};
    std::string launch_cord;  // identifies the reference-grade cord used
    // Its matings since it was qualified when the reference was taken
    // (nullopt: the station names no launch cord, or a reference from before
    // cords were counted).
    std::optional<std::int64_t> launch_cord_matings;
    FiberMode mode = FiberMode::SM;
    int fibers = 0;  // launch positions referenced
    std::vector<ReferencePoint> points;

    const ReferencePoint* find(int fiber, int wavelength_nm) const {
        for (const auto& point : points) {
            if (point.fiber == fiber && point.wavelength_nm == wavelength_nm)
                return &point;
        }
        return nullptr;
    }
};

// One fibre, one wavelength, one launch end, one mating cycle.
struct Measurement {
    End end = End::A;  // the launched end
    int fiber = 0;     // launched position, 1-based
    int wavelength_nm = 0;
    int cycle = 0;  // 0 = the production measurement; 1..N = mating cycles
    ReadingStatus status = ReadingStatus::Ok;
    int far_position = 0;    // far-end detector that lit (0 = none): the polarity map
    double power_dbm = 0.0;  // far-end power (meaningful when status is Ok)
    // P_ref - P_dut, less the source's drift since the reference when the
    // tap monitor read both times: (P_ref - P_dut) - (M_ref - M_now).
    std::optional<double> il_db;
    std::optional<double> rl_db;  // return loss at the launched end
    // RL beyond the RL module's range: a bound, the RL is greater than this
    // (rl_db is then empty). Kept apart from rl_db so that no bound is ever
    // taken for a value (averaged, plotted, compared as a reading).
    std::optional<double> rl_above_db;
    TimePoint taken_at{};
    // The tap monitor in the same launch window: M_now (empty without a
    // monitor). power_dbm stays the raw far-end power.
    std::optional<double> monitor_dbm;
};

// Element i: the far-end position that launched fibre i+1 reached (0 = none).
struct PolarityMap {
    End launched_end = End::A;
    std::vector<int> far_positions;
};

// What a failure is about. The text (to_string) is a contract: the JSON
// result's "what" and the database's failures.what (DESIGN.md §6). Declared
// in the order failures are listed.
enum class FailureCause { Il, IlMean, Rl, Repeatability, Continuity, Polarity };

inline constexpr FailureCause kFailureCauses[] = {
    FailureCause::Il,         FailureCause::IlMean,  FailureCause::Rl, FailureCause::Repeatability,
    FailureCause::Continuity, FailureCause::Polarity};

inline std::string_view to_string(FailureCause cause) {
    switch (cause) {
        case FailureCause::Il:
            return "il";
        case FailureCause::IlMean:
            return "il_mean";
        case FailureCause::Rl:
            return "rl";
        case FailureCause::Repeatability:
            return "repeatability";
        case FailureCause::Continuity:
            return "continuity";
        case FailureCause::Polarity:
            return "polarity";
    }
    return "?";
}

inline std::optional<FailureCause> parse_failure_cause(std::string_view text) {
    for (const auto cause : kFailureCauses) {
        if (text == to_string(cause))
            return cause;
    }
    return std::nullopt;
}

// One value that misses a limit, with the grade whose limit it misses.
struct Failure {
    FailureCause what = FailureCause::Il;
    std::optional<End> end;
    std::optional<int> fiber;
    std::optional<int> wavelength_nm;
    std::optional<double> value;
    std::optional<double> limit;
    Grade grade = Grade::Fail;
};

// What an instrument does on the bench. The text is the one records have
// always stored ("return-loss meter"); the station file spells the same
// roles with underscores (return_loss_meter), parsed by acquisition.
enum class InstrumentRole { PowerMeter, LightSource, OpticalSwitch, ReturnLossMeter };

inline std::string_view to_string(InstrumentRole role) {
    switch (role) {
        case InstrumentRole::PowerMeter:
            return "power meter";
        case InstrumentRole::LightSource:
            return "light source";
        case InstrumentRole::OpticalSwitch:
            return "optical switch";
        case InstrumentRole::ReturnLossMeter:
            return "return-loss meter";
    }
    return "unknown role";
}

inline std::optional<InstrumentRole> parse_instrument_role(std::string_view text) {
    for (const auto role : {InstrumentRole::PowerMeter, InstrumentRole::LightSource,
                            InstrumentRole::OpticalSwitch, InstrumentRole::ReturnLossMeter}) {
        if (text == to_string(role))
            return role;
    }
    return std::nullopt;
}

struct InstrumentRecord {
    std::string name;
    InstrumentRole role = InstrumentRole::PowerMeter;
    std::string model_key, resource;
    std::string vendor, model, serial, firmware;
    std::string calibration_due;  // ISO date or empty
};

enum class RunStatus { Running, Completed, Aborted, Interrupted };

inline std::string_view to_string(RunStatus status) {
    switch (status) {
        case RunStatus::Running:
            return "running";
        case RunStatus::Completed:
            return "completed";
        case RunStatus::Aborted:
            return "aborted";
        case RunStatus::Interrupted:
            return "interrupted";
    }
    return "interrupted";
}

enum class RunKind { Production, Repeatability };

// The text is a contract (JSON "kind", the database's runs.kind).
inline std::string_view to_string(RunKind kind) {
    return kind == RunKind::Production ? "production" : "repeatability";
}

inline std::optional<RunKind> parse_run_kind(std::string_view text) {
    for (const auto kind : {RunKind::Production, RunKind::Repeatability}) {
        if (text == to_string(kind))
            return kind;
    }
    return std::nullopt;
}

struct RunRecord {
    std::int64_t id = 0;  // set by db
    RunKind kind = RunKind::Production;
    std::string serial;
    Part part;
    std::string station;
    std::string operator_name;
    std::string software_version;
    TimePoint started_at{};
    std::optional<TimePoint> ended_at;
    RunStatus status = RunStatus::Running;
    std::string reason;  // why aborted / interrupted
    std::int64_t reference_id = 0;
    std::vector<InstrumentRecord> instruments;
    std::vector<Measurement> measurements;
    std::vector<PolarityMap> polarity;  // one per launched end
    int mating_cycles_run = 0;
    // Queries asked again after a transient instrument fault (a lost or
    // garbled reply): station health, not part of the measured record.
    int retries = 0;
    // Why a serial whose last attempt failed is tested again (a reason code
    // of the site's retest policy); empty for a first test or a retest after
    // a pass. Kept with the run, outside the record hash.
    std::string retest_reason;

    // Filled by grading.
    std::optional<Grade> grade;
    bool pass = false;
    std::vector<Failure> failures;
    std::string limit_set_name, limit_set_version, limit_set_hash;
};

}  // namespace mpobench
