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

// How noisy one window of the return-loss meter is, as the bench measured
// it at the reference (acquisition takes the windows, analysis fits them).
// Reflectance r = 10^(-RL/10); one window's reading scatters about the
// truth with sd sqrt(white^2 + (relative * r)^2) (the detector's additive
// noise floor, and what scales with the reflection), and a slow part
// (slow_reflectance) that windows taken together share, so no averaging
// removes it.
struct RlNoiseModel {
    int window_ms = 0;  // the window length the figures hold for
    double white_reflectance = 0.0;
    double relative = 0.0;
    double slow_reflectance = 0.0;
    // The reflections it was fitted at (RL, dB) and from how many windows.
    double level_low_db = 0.0, level_high_db = 0.0;
    int windows = 0;
    TimePoint calibrated_at{};
};

// One window of the return-loss meter at the reference, for the noise model.
struct RlCalibrationWindow {
    int fiber = 0;
    int wavelength_nm = 0;
    int pass = 0;                 // 1 or 2: the reference's two passes
    std::optional<double> rl_db;  // empty: beyond the module's range
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
    // The RL windows taken for the noise model (not stored), and the model
    // fitted from them (stored; empty without an RL meter, and for
    // references from before RL decisions were sequential).
    std::vector<RlCalibrationWindow> rl_calibration;
    std::optional<RlNoiseModel> rl_noise;

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
    // How the RL reading was decided (runs with a sequential RL rule; 0 and
    // empty otherwise): the windows averaged (in linear units) and the
    // confidence interval of their mean, RL from rl_low_db to rl_high_db
    // (empty high: no upper end, the reflection may be below the module's
    // floor). Marginal: the interval still straddled an RL minimum when the
    // rule's maximum time ran out, and the mean decided.
    int rl_windows = 0;
    std::optional<double> rl_low_db, rl_high_db;
    bool rl_marginal = false;
};

// One window of the return-loss meter during a test: its RL, or empty when
// the reading lay beyond the module's range (range_db): a censored value,
// the RL is at least the range.
struct RlWindow {
    std::optional<double> rl_db;
    double range_db = 0.0;
};

// What a reading's windows so far say. decided: no more windows are
// needed (the interval lies inside one grade band, the maximum time ran
// out, or the rule takes one window).
struct RlEstimate {
    bool decided = true;
    std::optional<double> rl_db;        // the mean, when any window read a value
    std::optional<double> rl_above_db;  // every window beyond the range: a bound
    std::optional<double> low_db, high_db;
    bool marginal = false;
};

// How a run decided its RL readings.
struct RlDecisionMethod {
    // Sequential: windows of window_ms until the interval at `confidence`
    // lies inside one grade band, or max_time_ms; fixed: one window.
    bool sequential = false;
    int window_ms = 0;
    double confidence = 0.0;  // sequential only
    int max_time_ms = 0;      // sequential only
    // The reference's noise model the rule used, and the run's own check
    // of it: the scatter of the run's windows against the model's, as a
    // ratio of standard deviations, over noise_dof degrees of freedom (0:
    // no reading took two windows). When the run's windows were
    // significantly noisier, the rule widened its intervals by the ratio
    // from then on (noise_widened).
    std::optional<RlNoiseModel> model;
    double noise_ratio = 0.0;
    int noise_dof = 0;
    bool noise_widened = false;
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
    // What the MES's pre-test interlock said (or the site policy, when the
    // MES could not be asked) before the run began; empty: the station asks
    // no MES. Kept with the run, outside the record hash.
    std::string mes_interlock;
    // How the RL readings were decided; empty: no RL measured, or a record
    // from before the method was recorded.
    std::optional<RlDecisionMethod> rl_method;

    // Filled by grading.
    std::optional<Grade> grade;
    bool pass = false;
    std::vector<Failure> failures;
    std::string limit_set_name, limit_set_version, limit_set_hash;
};

}  // namespace mpobench
