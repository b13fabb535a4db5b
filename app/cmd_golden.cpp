// Golden assemblies: `golden add`, `golden bias`, `check --golden SN`, and
// the site's rule that a station passes a check every shift or day.

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <map>

#include "acquisition/procedures.hpp"
#include "analysis/golden.hpp"
#include "analysis/identifiers.hpp"
#include "analysis/shifts.hpp"
#include "app/audit.hpp"
#include "app/certificates.hpp"
#include "app/commands.hpp"
#include "app/golden_rule.hpp"
#include "app/guarded.hpp"
#include "app/plant_config.hpp"
#include "app/progress.hpp"
#include "app/run_json.hpp"
#include "app/signals.hpp"
#include "app/station_session.hpp"
#include "app/test_flow.hpp"
#include "reports/site_clock.hpp"

namespace mpobench::app {

namespace {

// A no-op journal: a check is stored whole when it ends, like a reference.
class KeptInMemory final : public acquisition::MeasurementSink {
  public:
    void on_measurement(const Measurement&) override {}
};

nlohmann::json bias_json(const std::vector<analysis::WavelengthBias>& bias) {
    auto out = nlohmann::json::array();
    for (const auto& b : bias) {
        out.push_back({{"wavelength_nm", b.wavelength_nm},
                       {"mean_bias_db", b.mean_bias_db},
                       {"readings", b.readings}});
    }
    return out;
}

}  // namespace

std::string golden_period(const reports::Site& site, TimePoint time) {
    const reports::SiteClock clock(site.time_zone);
    const auto local = clock.local(time);
    if (site.golden.required == analysis::GoldenPolicy::Every::Shift && !site.shifts.empty())
        return analysis::shift_of(local.day, local.minute_of_day, site.shifts).key();
    return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(local.day.year()),
                       static_cast<unsigned>(local.day.month()),
                       static_cast<unsigned>(local.day.day()));
}

void require_golden_check(const db::Repository& repository, const reports::Site& site,
                          const std::string& station) {
    if (site.golden.required == analysis::GoldenPolicy::Every::None)
        return;
    const auto now = golden_period(site, std::chrono::system_clock::now());
    const auto latest = repository.latest_golden_check(station);
    if (latest && latest->comparison.pass && golden_period(site, latest->at) == now)
        return;
    // A failed check stops testing too: the station no longer measures as it did.
    throw acquisition::Refused(fmt::format(
        "station {} has no passing golden check this {} ({}){}: run mpobench check --golden "
        "SERIAL --station FILE first",
        station,
        site.golden.required == analysis::GoldenPolicy::Every::Shift && !site.shifts.empty()
            ? "shift"
            : "day",
        now,
        !latest ? std::string()
                : fmt::format("; the last one, {} with {}, {}", iso_utc(latest->at), latest->serial,
                              latest->comparison.pass ? "passed" : "failed")));
}

int run_golden_add(const GoldenAddOptions& options) {
    return guarded("golden add", [&] {
        const std::string serial = analysis::validate_serial(options.serial);
        const std::string added_by = analysis::validate_operator_name(options.added_by);
        db::Repository repository(database_path(options.db));
        const auto run_id = options.run_id != 0
                                ? std::optional<std::int64_t>(options.run_id)
                                : latest_completed_production_run(repository, serial);
        const auto run = run_id ? repository.run(*run_id) : std::nullopt;
        if (!run || run->serial != serial || run->kind != RunKind::Production ||
            run->status != RunStatus::Completed) {
            throw UsageError(fmt::format(
                "{} has no completed production run{} to take its known "
                "values from",
                serial, options.run_id != 0 ? fmt::format(" {}", options.run_id) : std::string()));
        }
        db::GoldenAssembly golden;
        golden.serial = serial;
        golden.part_number = run->part.number;
        golden.source_run_id = run->id;
        golden.added_at = std::chrono::system_clock::now();
        golden.added_by = added_by;
        golden.values = analysis::golden_values_of(*run);
        if (repository.golden(serial))
            throw UsageError(fmt::format("{} is a golden assembly already", serial));
        repository.add_golden(golden);
        audit_cli_act(repository, "golden.add", added_by,
                      {{"serial", serial}, {"run_id", run->id}, {"values", golden.values.size()}});
        fmt::print("{} ({}) is a golden assembly: {} known IL values from run {}\n", serial,
                   golden.part_number, golden.values.size(), run->id);
        return static_cast<int>(kPassed);
    });
}

int run_check(const CheckOptions& options) {
    return guarded("check", [&] {
        const auto station = acquisition::load_station(options.station_file);
        const reports::Site site = load_site_option(options.site);
        const std::string serial = analysis::validate_serial(options.golden);
        const std::string operator_name = resolve_operator(options.operator_name, station);
        db::Repository repository(database_path(options.db));
        const auto golden = repository.golden(serial);
        if (!golden) {
            throw UsageError(
                fmt::format("{} is not a golden assembly (mpobench golden add {} "
                            "--by NAME)",
                            serial, serial));
        }
        const Part part =
            find_in_catalogue(catalogue_in_use(repository, options.parts), golden->part_number);
        const Reference reference = usable_reference(repository, station, part);

        SignalStop stop;
        RunLifecycle lifecycle({station, "check", operator_name, serial, &stop, {}, {}},
                               repository);
        RunRecord measured;
        measured.kind = RunKind::Production;
        measured.serial = serial;
        measured.part = part;
        KeptInMemory sink;
        TerminalProgress progress(serial, !options.json);
        lifecycle.measure_without_run([&] {
            acquisition::run_production_test(lifecycle.bench(), lifecycle.op(), reference, measured,
                                             sink, progress.callback());
        });
        progress.clear();
        db::GoldenCheck check;
        check.station = station.name;
        check.serial = serial;
        check.at = std::chrono::system_clock::now();
        check.operator_name = operator_name;
        check.reference_id = reference.id;
        check.il_tolerance_db = site.golden.il_tolerance_db;
        check.comparison = analysis::compare_with_golden(golden->values, measured.measurements,
                                                         site.golden.il_tolerance_db);
        check.id = repository.save_golden_check(check);
        audit_cli_act(repository, "golden.check", operator_name,
                      {{"station", check.station},
                       {"serial", serial},
                       {"check_id", check.id},
                       {"pass", check.comparison.pass},
                       {"worst_deviation_db", check.comparison.worst_deviation_db}});
        const auto& c = check.comparison;
        if (options.json) {
            fmt::print("{}\n", json_text({{"check_id", check.id},
                                          {"station", check.station},
                                          {"golden", serial},
                                          {"pass", c.pass},
                                          {"compared", c.compared},
                                          {"il_tolerance_db", check.il_tolerance_db},
                                          {"worst_deviation_db", c.worst_deviation_db},
                                          {"worst_where", c.worst_where},
                                          {"missing", c.missing ? nlohmann::json(*c.missing)
                                                                : nlohmann::json(nullptr)},
                                          {"bias", bias_json(c.bias)}}));
        } else {
            fmt::print(
                "golden check of station {} with {}: {}  {} readings, worst {:.3f} dB at "
                "{} (tolerance {:.3f} dB){}\n",
                check.station, serial, c.pass ? "PASS" : "FAIL", c.compared, c.worst_deviation_db,
                c.worst_where, check.il_tolerance_db,
                c.missing ? fmt::format("; {}", *c.missing) : std::string());
            for (const auto& b : c.bias) {
                fmt::print("    {} nm: bias {:+.3f} dB over {} readings\n", b.wavelength_nm,
                           b.mean_bias_db, b.readings);
            }
        }
        return static_cast<int>(c.pass ? kPassed : kBelowTarget);
    });
}

int run_golden_bias(const GoldenBiasOptions& options) {
    return guarded("golden bias", [&] {
        const db::Repository repository = open_database_for_reading(options.db);
        const auto checks = repository.golden_checks();
        // Per station and wavelength: the mean of its checks' biases.
        std::map<std::pair<std::string, int>, std::pair<double, int>> by_station;
        for (const auto& check : checks) {
            for (const auto& b : check.comparison.bias) {
                auto& [sum, count] = by_station[{check.station, b.wavelength_nm}];
                sum += b.mean_bias_db;
                ++count;
            }
        }
        if (options.json) {
            auto out_checks = nlohmann::json::array();
            for (const auto& check : checks) {
                out_checks.push_back({{"check_id", check.id},
                                      {"station", check.station},
                                      {"golden", check.serial},
                                      {"at", iso_utc(check.at)},
                                      {"operator", check.operator_name},
                                      {"pass", check.comparison.pass},
                                      {"worst_deviation_db", check.comparison.worst_deviation_db},
                                      {"bias", bias_json(check.comparison.bias)}});
            }
            auto stations = nlohmann::json::array();
            for (const auto& [key, sum_count] : by_station) {
                stations.push_back({{"station", key.first},
                                    {"wavelength_nm", key.second},
                                    {"mean_bias_db", sum_count.first / sum_count.second},
                                    {"checks", sum_count.second}});
            }
            fmt::print("{}\n", json_text({{"checks", out_checks}, {"stations", stations}}));
            return static_cast<int>(kPassed);
        }
        if (checks.empty()) {
            fmt::print("no golden checks yet\n");
            return static_cast<int>(kPassed);
        }
        fmt::print("{:<16} {:>8} {:>14} {:>7}\n", "STATION", "λ (nm)", "MEAN BIAS dB", "CHECKS");
        for (const auto& [key, sum_count] : by_station) {
            fmt::print("{:<16} {:>8} {:>+14.3f} {:>7}\n", key.first, key.second,
                       sum_count.first / sum_count.second, sum_count.second);
        }
        fmt::print("\n{:<24} {:<16} {:<14} {:<5} {:>9}  {}\n", "AT (UTC)", "STATION", "GOLDEN",
                   "PASS", "WORST dB", "BIAS");
        for (const auto& check : checks) {
            std::vector<std::string> bias;
            for (const auto& b : check.comparison.bias)
                bias.push_back(fmt::format("{} nm {:+.3f}", b.wavelength_nm, b.mean_bias_db));
            fmt::print("{:<24} {:<16} {:<14} {:<5} {:>9.3f}  {}\n", iso_utc(check.at),
                       check.station, check.serial, check.comparison.pass ? "yes" : "no",
                       check.comparison.worst_deviation_db, fmt::join(bias, ", "));
        }
        return static_cast<int>(kPassed);
    });
}

}  // namespace mpobench::app
