#include "app/run_json.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "analysis/verdict.hpp"
#include "vocabulary/time_text.hpp"

namespace mpobench::app {

std::string iso_utc(TimePoint time) {
    // With its milliseconds, as the record keeps it (fmt's %S of a
    // time_point dropped them).
    return format_utc_ms(time);
}

namespace {

// Measured values keep 0.0001 dB, not binary noise; dividing by a power of
// ten gives the double nearest the decimal (multiplying by 1e-4 does not).
double rounded(double value) {
    return std::round(value * 1e4) / 1e4;
}

nlohmann::json optional_number(const std::optional<double>& value) {
    return value ? nlohmann::json(rounded(*value)) : nlohmann::json(nullptr);
}

// How the run decided RL: the method, the reference's noise model, the
// run's check of it, and the windows its readings took.
nlohmann::json rl_decision_json(const RunRecord& run) {
    const RlDecisionMethod& method = *run.rl_method;
    nlohmann::json out = {{"method", method.sequential ? "sequential" : "fixed"},
                          {"window_ms", method.window_ms}};
    if (!method.sequential)
        return out;
    out["confidence"] = method.confidence;
    out["max_time_ms"] = method.max_time_ms;
    if (const auto& model = method.model) {
        out["noise_model"] = {
            {"reference_id", run.reference_id},
            {"calibrated_at", iso_utc(model->calibrated_at)},
            {"window_ms", model->window_ms},
            {"white_reflectance", model->white_reflectance},
            {"relative", model->relative},
            {"slow_reflectance", model->slow_reflectance},
            {"levels_db", {rounded(model->level_low_db), rounded(model->level_high_db)}},
            {"windows", model->windows}};
    }
    out["noise_check"] = {{"ratio", rounded(method.noise_ratio)},
                          {"dof", method.noise_dof},
                          {"widened", method.noise_widened}};
    int readings = 0, windows = 0, most = 0, marginal = 0;
    for (const auto& m : run.measurements) {
        if (m.rl_windows == 0)
            continue;
        ++readings;
        windows += m.rl_windows;
        most = std::max(most, m.rl_windows);
        marginal += m.rl_marginal ? 1 : 0;
    }
    out["readings"] = readings;
    out["windows"] = windows;
    out["most_windows"] = most;
    out["marginal"] = marginal;
    return out;
}

}  // namespace

nlohmann::json run_to_json(const RunRecord& run) {
    nlohmann::json out;
    out["run_id"] = run.id;
    out["serial"] = run.serial;
    out["part"] = run.part.number;
    out["kind"] = std::string(to_string(run.kind));
    out["status"] = to_string(run.status);
    if (!run.reason.empty())
        out["reason"] = run.reason;
    out["grade"] = run.grade ? nlohmann::json(to_string(*run.grade)) : nlohmann::json(nullptr);
    out["target_grade"] = to_string(run.part.target);
    out["pass"] = run.pass;
    out["station"] = run.station;
    out["operator"] = run.operator_name;
    out["retries"] = run.retries;
    if (!run.mes_interlock.empty())
        out["mes_interlock"] = run.mes_interlock;
    out["started_at"] = iso_utc(run.started_at);
    if (run.ended_at)
        out["ended_at"] = iso_utc(*run.ended_at);
    out["reference_id"] = run.reference_id;
    if (!run.limit_set_hash.empty()) {
        out["limit_set"] = {{"name", run.limit_set_name},
                            {"version", run.limit_set_version},
                            {"hash", run.limit_set_hash}};
    }

    if (run.rl_method)
        out["rl_decision"] = rl_decision_json(run);

    const analysis::Verdict verdict = analysis::make_verdict(run);
    nlohmann::json polarity = {{"expected", std::string(to_string(run.part.polarity))}};
    for (const auto& map : run.polarity) {
        // The standard type the map is, null when it is none: what was built.
        const auto measured = analysis::polarity_type_of(map, run.part.fibers);
        const nlohmann::json measured_type =
            measured ? nlohmann::json(std::string(to_string(*measured))) : nlohmann::json();
        if (map.launched_end == End::A) {
            polarity["map"] = map.far_positions;
            polarity["measured"] = measured_type;
        } else {
            polarity["map_end_b"] = map.far_positions;
            polarity["measured_end_b"] = measured_type;
        }
    }
    polarity["ok"] = verdict.polarity_ok;
    out["polarity"] = polarity;

    auto measurements = nlohmann::json::array();
    for (const auto& m : run.measurements) {
        nlohmann::json row = {
            {"end", std::string(to_string(m.end))}, {"fiber", m.fiber},
            {"wavelength_nm", m.wavelength_nm},     {"il_db", optional_number(m.il_db)},
            {"rl_db", optional_number(m.rl_db)},    {"rl_above_db", optional_number(m.rl_above_db)},
            {"far_position", m.far_position},       {"status", std::string(to_string(m.status))}};
        if (m.cycle != 0)
            row["cycle"] = m.cycle;
        // The tap monitor in the launch's window (M_now), on a bench with one.
        if (m.monitor_dbm)
            row["monitor_dbm"] = *m.monitor_dbm;
        // A sequentially decided RL: its windows, the interval of their
        // mean (null high end: no upper end) and whether it is marginal.
        if (m.rl_windows > 0) {
            row["rl_windows"] = m.rl_windows;
            row["rl_interval_db"] = {optional_number(m.rl_low_db), optional_number(m.rl_high_db)};
            row["rl_marginal"] = m.rl_marginal;
        }
        measurements.push_back(std::move(row));
    }
    out["measurements"] = std::move(measurements);

    auto failures = nlohmann::json::array();
    for (const auto& f : run.failures) {
        nlohmann::json row = {{"what", std::string(to_string(f.what))},
                              {"grade", std::string(to_string(f.grade))}};
        if (f.end)
            row["end"] = std::string(to_string(*f.end));
        if (f.fiber)
            row["fiber"] = *f.fiber;
        if (f.wavelength_nm)
            row["wavelength_nm"] = *f.wavelength_nm;
        row["value"] = optional_number(f.value);
        row["limit"] = optional_number(f.limit);
        row["text"] = analysis::describe_failure(f, run);
        failures.push_back(std::move(row));
    }
    out["failures"] = std::move(failures);
    return out;
}

std::string json_text(const nlohmann::json& value) {
    return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace mpobench::app
