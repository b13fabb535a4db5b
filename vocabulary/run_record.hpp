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
    Overrange,  // the instrument reported overrange
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
    double drift_db = 0.0;  // second read minus first: the stability check
};

struct Reference {
    std::int64_t id = 0;  // set by db
    std::string station;
    std::string operator_name;
    TimePoint taken_at{};
    std::string launch_cord;  // identifies the reference-grade cord used
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
    int far_position = 0;         // far-end detector that lit (0 = none): the polarity map
    double power_dbm = 0.0;       // far-end power (meaningful when status is Ok)
    std::optional<double> il_db;  // P_ref - P_dut
    std::optional<double> rl_db;  // return loss at the launched end
    TimePoint taken_at{};
};

// Element i: the far-end position that launched fibre i+1 reached (0 = none).
struct PolarityMap {
    End launched_end = End::A;
    std::vector<int> far_positions;
};

// One value that misses a limit, with the grade whose limit it misses.
struct Failure {
    std::string what;  // il, il_mean, rl, repeatability, continuity, polarity
    std::optional<End> end;
    std::optional<int> fiber;
    std::optional<int> wavelength_nm;
    std::optional<double> value;
    std::optional<double> limit;
    Grade grade = Grade::Fail;
};

struct InstrumentRecord {
    std::string name, role, model_key, resource;
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

    // Filled by grading.
    std::optional<Grade> grade;
    bool pass = false;
    std::vector<Failure> failures;
    std::string limit_set_name, limit_set_version, limit_set_hash;
};

}  // namespace mpobench
