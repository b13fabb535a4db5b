#include "analysis/record_hash.hpp"

#include <fmt/format.h>

#include <cmath>
#include <optional>
#include <stdexcept>

#include "analysis/limits.hpp"
#include "vocabulary/time_text.hpp"

namespace mpobench::analysis {

std::string escape_canonical_text(std::string_view value) {
    std::string out;
    out.reserve(value.size());
    for (const char c : value) {
        switch (c) {
            case '%':
                out += "%25";
                break;
            case '|':
                out += "%7C";
                break;
            case '\r':
                out += "%0D";
                break;
            case '\n':
                out += "%0A";
                break;
            default:
                out += c;
        }
    }
    return out;
}

namespace {

std::string text(std::string_view value) {
    return escape_canonical_text(value);
}

// "-" marks an absent value; numbers in fmt's shortest round-trip form.
std::string number(double value) {
    return std::isnan(value) ? "-" : fmt::format("{}", value);
}

template <typename T>
std::string optional_value(const std::optional<T>& value) {
    if (!value) {
        return "-";
    }
    if constexpr (std::is_floating_point_v<T>) {
        return number(*value);
    } else {
        return fmt::format("{}", *value);
    }
}

}  // namespace

bool known_record_hash_version(int version) {
    return version >= 1 && version <= kRecordHashVersion;
}

std::string canonical_record(const RunRecord& run, int version) {
    if (!known_record_hash_version(version)) {
        throw std::invalid_argument(
            fmt::format("record hash version {} is unknown to this mpobench (it knows 1..{})",
                        version, kRecordHashVersion));
    }
    if (version == 1) {
        for (const auto& m : run.measurements) {
            if (m.rl_above_db) {
                throw std::invalid_argument(fmt::format(
                    "run {}: record hash version 1 cannot hold the RL bound of end {} fibre {} "
                    "{} nm",
                    run.id, to_string(m.end), m.fiber, m.wavelength_nm));
            }
        }
    }
    if (version < 3) {
        for (const auto& m : run.measurements) {
            if (m.monitor_dbm) {
                throw std::invalid_argument(fmt::format(
                    "run {}: record hash version {} cannot hold the tap-monitor reading of end "
                    "{} fibre {} {} nm",
                    run.id, version, to_string(m.end), m.fiber, m.wavelength_nm));
            }
        }
    }
    if (version < 4) {
        if (run.rl_method) {
            throw std::invalid_argument(fmt::format(
                "run {}: record hash version {} cannot hold how RL was decided", run.id, version));
        }
        for (const auto& m : run.measurements) {
            if (m.rl_windows != 0 || m.rl_low_db || m.rl_high_db || m.rl_marginal) {
                throw std::invalid_argument(fmt::format(
                    "run {}: record hash version {} cannot hold the RL windows of end {} fibre {} "
                    "{} nm",
                    run.id, version, to_string(m.end), m.fiber, m.wavelength_nm));
            }
        }
    }
    std::string out = fmt::format("mpobench-record {}\n", version);
    const auto line = [&out](std::string_view key, std::string_view value) {
        out += key;
        out += '=';
        out += value;
        out += '\n';
    };
    line("run", fmt::format("{}", run.id));
    line("kind", to_string(run.kind));
    line("serial", text(run.serial));
    const Part& part = run.part;
    line("part",
         fmt::format("{}|{}|{}|{}|{}|{}|{}|{}|{}", text(part.number), text(part.description),
                     part.fibers, to_string(part.mode), to_string(part.polarity),
                     to_string(part.target), number(part.length_m),
                     fmt::join(part.wavelengths_nm, ","), part.mating_cycles));
    line("station", text(run.station));
    line("operator", text(run.operator_name));
    line("software", text(run.software_version));
    line("started", format_utc_ms(run.started_at));
    line("ended", run.ended_at ? format_utc_ms(*run.ended_at) : "-");
    line("status", to_string(run.status));
    line("reason", text(run.reason));
    line("reference", fmt::format("{}", run.reference_id));
    for (const auto& instrument : run.instruments) {
        line("instrument",
             fmt::format("{}|{}|{}|{}|{}|{}|{}|{}|{}", text(instrument.name),
                         text(to_string(instrument.role)), text(instrument.model_key),
                         text(instrument.resource), text(instrument.vendor), text(instrument.model),
                         text(instrument.serial), text(instrument.firmware),
                         text(instrument.calibration_due)));
    }
    for (const auto& m : run.measurements) {
        std::string fields = fmt::format(
            "{}|{}|{}|{}|{}|{}|{}|{}|{}|{}", to_string(m.end), m.fiber, m.wavelength_nm, m.cycle,
            to_string(m.status), m.far_position, number(m.power_dbm), optional_value(m.il_db),
            optional_value(m.rl_db), format_utc_ms(m.taken_at));
        if (version >= 2)
            fields += "|" + optional_value(m.rl_above_db);
        if (version >= 3)
            fields += "|" + optional_value(m.monitor_dbm);
        if (version >= 4) {
            fields += fmt::format("|{}|{}|{}|{}", m.rl_windows, optional_value(m.rl_low_db),
                                  optional_value(m.rl_high_db), m.rl_marginal ? 1 : 0);
        }
        line("measurement", fields);
    }
    if (version >= 4 && run.rl_method) {
        const RlDecisionMethod& method = *run.rl_method;
        std::string fields =
            fmt::format("{}|{}|{}|{}|{}|{}|{}", method.sequential ? "sequential" : "fixed",
                        method.window_ms, number(method.confidence), method.max_time_ms,
                        number(method.noise_ratio), method.noise_dof, method.noise_widened ? 1 : 0);
        if (const auto& model = method.model) {
            fields += fmt::format("|{}|{}|{}|{}|{}|{}|{}|{}", model->window_ms,
                                  number(model->white_reflectance), number(model->relative),
                                  number(model->slow_reflectance), number(model->level_low_db),
                                  number(model->level_high_db), model->windows,
                                  format_utc_ms(model->calibrated_at));
        }
        line("rl_method", fields);
    }
    for (const auto& map : run.polarity) {
        line("polarity",
             fmt::format("{}|{}", to_string(map.launched_end), fmt::join(map.far_positions, ",")));
    }
    for (const auto& failure : run.failures) {
        line("failure",
             fmt::format("{}|{}|{}|{}|{}|{}|{}", text(to_string(failure.what)),
                         failure.end ? to_string(*failure.end) : "-", optional_value(failure.fiber),
                         optional_value(failure.wavelength_nm), optional_value(failure.value),
                         optional_value(failure.limit), to_string(failure.grade)));
    }
    line("grade", run.grade ? to_string(*run.grade) : "-");
    line("pass", run.pass ? "1" : "0");
    line("mating_cycles_run", fmt::format("{}", run.mating_cycles_run));
    line("limit_set", fmt::format("{}|{}|{}", text(run.limit_set_name), text(run.limit_set_version),
                                  text(run.limit_set_hash)));
    return out;
}

std::string record_hash(const RunRecord& run, int version) {
    return sha256_hex(canonical_record(run, version));
}

}  // namespace mpobench::analysis
