#include "app/station_session.hpp"

#include <pwd.h>
#include <unistd.h>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "acquisition/procedures.hpp"
#include "analysis/identifiers.hpp"
#include "analysis/rl_decision.hpp"
#include "app/guarded.hpp"
#include "app/rl_rule.hpp"
#include "vocabulary/logger.hpp"

namespace mpobench::app {

std::string login_name() {
    if (const char* user = std::getenv("USER"); user && *user)
        return user;
    // No $USER (a service, a container): the account the process runs as.
    if (const passwd* account = ::getpwuid(::geteuid()); account && account->pw_name)
        return account->pw_name;
    return "unknown";
}

std::string resolve_operator(const std::string& option, const acquisition::StationConfig& station) {
    if (!option.empty())
        return analysis::validate_operator_name(option);
    if (station.requires_operator()) {
        throw UsageError(fmt::format(
            "station {} requires the operator's name: give --operator NAME (the person at the "
            "bench; [station] require_operator in {})",
            station.name, station.source_path.string()));
    }
    if (!station.operator_channel.name.empty()) {
        try {
            return analysis::validate_operator_name(station.operator_channel.name);
        } catch (const analysis::IdentifierError& bad) {
            throw acquisition::StationFileError(
                fmt::format("{}: operator.name: {}", station.source_path.string(), bad.what()));
        }
    }
    throw UsageError(fmt::format(
        "station {} does not require an operator but names none: give --operator NAME, or "
        "[operator] name in {}",
        station.name, station.source_path.string()));
}

std::string today_iso() {
    const auto today = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now());
    return fmt::format("{:%F}", std::chrono::sys_days(today));
}

Reference take_and_store_reference(RunLifecycle& lifecycle, FiberMode mode, int fibers,
                                   const std::string& launch_cord,
                                   const acquisition::ProgressCallback& progress) {
    acquisition::Bench& bench = lifecycle.bench();
    acquisition::ReferenceOptions options;
    options.mode = mode;
    options.fibers = fibers > 0
                         ? fibers
                         : std::min(bench.far_position_count(), bench.launch_switch().port_count());
    options.wavelengths_nm = default_wavelengths_nm(mode);
    options.launch_cord = launch_cord;
    options.operator_name = lifecycle.operator_name();
    return lifecycle.reference([&] {
        Reference reference = acquisition::take_reference(bench, lifecycle.op(), options, progress);
        if (!reference.rl_calibration.empty()) {
            const int window_ms =
                static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                     bench.timing().rl_window_sequential)
                                     .count());
            try {
                reference.rl_noise =
                    analysis::fit_rl_noise(reference.rl_calibration, window_ms, reference.taken_at);
            } catch (const analysis::RlNoiseModelError& error) {
                // IL needs no model; a limit set deciding RL sequentially
                // refuses tests against this reference, saying so.
                logger("bench")->warn("{}", error.what());
            }
        }
        return reference;
    });
}

std::string reference_summary(const Reference& reference) {
    double worst_drift_db = 0.0;
    for (const auto& point : reference.points)
        worst_drift_db = std::max(worst_drift_db, std::abs(point.drift_db));
    std::vector<int> wavelengths;
    for (const auto& point : reference.points) {
        if (std::find(wavelengths.begin(), wavelengths.end(), point.wavelength_nm) ==
            wavelengths.end()) {
            wavelengths.push_back(point.wavelength_nm);
        }
    }
    std::string summary =
        fmt::format("reference {} taken on {}: {} fibres at {} nm ({}), stable to {:.3f} dB",
                    reference.id, reference.station, reference.fibers, fmt::join(wavelengths, "/"),
                    to_string(reference.mode), worst_drift_db);
    if (reference.rl_noise)
        summary += "\n" + describe_rl_noise(*reference.rl_noise, reference.mode);
    return summary;
}

}  // namespace mpobench::app
