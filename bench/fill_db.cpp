// mpobench_fill_db: fills a new database with a realistic production history
// for the QA query benchmark (docs/PERFORMANCE.md). Four stations run two
// shifts a day; eight operators rotate weekly; each station works through
// work orders of one catalogue part at a time; failed assemblies come back
// after rework, aborted ones at once. Readings are drawn per fibre, graded
// with the default limit set and imported a day at a time through
// Repository::import_runs.

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <time.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cmath>
#include <deque>
#include <filesystem>
#include <iostream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "analysis/grading.hpp"
#include "analysis/limits.hpp"
#include "db/repository.hpp"

namespace {

using namespace mpobench;
using Clock = std::chrono::steady_clock;

// ---- The catalogue: a plant's mix of parts, with how often each is built.

struct CatalogueEntry {
    Part part;
    double weight = 1.0;
};

Part part(const std::string& number, int fibers, FiberMode mode, PolarityType polarity,
          Grade target, double length_m) {
    Part p;
    p.number = number;
    p.description =
        fmt::format("{} {}F {} {} type {}, {} m", number.substr(0, 3), fibers, to_string(mode),
                    mode == FiberMode::SM ? "APC" : "PC", to_string(polarity), length_m);
    p.fibers = fibers;
    p.mode = mode;
    p.polarity = polarity;
    p.target = target;
    p.length_m = length_m;
    p.wavelengths_nm = default_wavelengths_nm(mode);
    return p;
}

std::vector<CatalogueEntry> catalogue() {
    using enum FiberMode;
    using enum PolarityType;
    return {
        {part("MTP12-SM-B-E-3M", 12, SM, B, Grade::Elite, 3.0), 14},
        {part("MTP12-SM-A-S-5M", 12, SM, A, Grade::Standard, 5.0), 8},
        {part("MTP12-MM-B-E-2M", 12, MM, B, Grade::Elite, 2.0), 10},
        {part("MTP12-MM-A-S-10M", 12, MM, A, Grade::Standard, 10.0), 8},
        {part("MTP12-MM-C-G-3M", 12, MM, C, Grade::Generic, 3.0), 4},
        {part("MTP12-SM-C-S-30M", 12, SM, C, Grade::Standard, 30.0), 2},
        {part("MPO12-SM-A-G-10M", 12, SM, A, Grade::Generic, 10.0), 4},
        {part("MTP8-SM-B-E-1M", 8, SM, B, Grade::Elite, 1.0), 6},
        {part("MTP8-MM-B-S-2M", 8, MM, B, Grade::Standard, 2.0), 7},
        {part("MTP8-MM-A-G-5M", 8, MM, A, Grade::Generic, 5.0), 3},
        {part("MTP16-SM-B-E-3M", 16, SM, B, Grade::Elite, 3.0), 3},
        {part("MTP16-MM-A-S-3M", 16, MM, A, Grade::Standard, 3.0), 3},
        {part("MTP24-SM-B-E-5M", 24, SM, B, Grade::Elite, 5.0), 6},
        {part("MTP24-MM-A-S-10M", 24, MM, A, Grade::Standard, 10.0), 5},
        {part("MTP24-MM-C-G-20M", 24, MM, C, Grade::Generic, 20.0), 2},
        {part("MPO24-MM-B-G-15M", 24, MM, B, Grade::Generic, 15.0), 2},
        {part("MTP32-SM-B-E-3M", 32, SM, B, Grade::Elite, 3.0), 3},
        {part("MTP32-MM-B-S-5M", 32, MM, B, Grade::Standard, 5.0), 2},
    };
}

// Median IL of one mated pair, by the grade the part is built for (better
// ferrules and polishing for Elite) and the mode.
double median_il_db(const Part& part) {
    const bool sm = part.mode == FiberMode::SM;
    switch (part.target) {
        case Grade::Elite:
            return sm ? 0.13 : 0.06;
        case Grade::Standard:
            return sm ? 0.20 : 0.14;
        default:
            return sm ? 0.28 : 0.20;
    }
}

const std::vector<std::string> operator_names{"ana",  "ben",    "chen", "dara",
                                              "emil", "fatima", "gus",  "hana"};
constexpr int station_count = 4;
constexpr int shift_count = 2;  // 06:00-14:00 and 14:00-22:00
constexpr int first_shift_hour = 6;
constexpr int shift_hours = 8;
constexpr double reading_interval_s = 1.1;  // one fibre at one wavelength, IL and RL together

std::string station_name(int station) {
    return fmt::format("bench-{}", station + 1);
}

std::vector<InstrumentRecord> station_instruments(int station) {
    const std::string s = std::to_string(station + 1);
    return {
        {"source", InstrumentRole::LightSource, "keysight_8165x",
         "TCPIP0::10.0.0." + s + "0::5025::SOCKET", "Keysight", "81657A", "DE5100" + s, "2.1.4",
         "2027-06-30"},
        {"rl", InstrumentRole::ReturnLossMeter, "keysight_81610a",
         "TCPIP0::10.0.0." + s + "0::5025::SOCKET", "Keysight", "81610A", "DE5200" + s, "2.1.4",
         "2027-06-30"},
        {"switch", InstrumentRole::OpticalSwitch, "keysight_n773x",
         "TCPIP0::10.0.0." + s + "1::5025::SOCKET", "Keysight", "N7734A", "MY5300" + s, "1.3.0",
         "2027-03-31"},
        {"meter", InstrumentRole::PowerMeter, "keysight_n774x",
         "TCPIP0::10.0.0." + s + "2::5025::SOCKET", "Keysight", "N7745C", "MY5400" + s, "1.4.2",
         "2027-03-31"},
    };
}

// Local midnight of the day `days_back` days before today.
TimePoint local_midnight(int days_back) {
    const std::time_t now = std::time(nullptr);
    std::tm local{};
    ::localtime_r(&now, &local);
    local.tm_mday -= days_back;
    local.tm_hour = 0;
    local.tm_min = 0;
    local.tm_sec = 0;
    local.tm_isdst = -1;
    return std::chrono::system_clock::from_time_t(std::mktime(&local));
}

std::chrono::milliseconds milliseconds(double seconds) {
    return std::chrono::milliseconds{static_cast<std::int64_t>(std::llround(seconds * 1000.0))};
}

struct Totals {
    std::int64_t runs = 0, measurements = 0, completed = 0, passed = 0, aborted = 0,
                 interrupted = 0, retests = 0;
};

class Plant {
  public:
    Plant(std::uint64_t seed, db::Repository& repository)
        : random_(seed), catalogue_(catalogue()), repository_(repository) {
        for (const auto& entry : catalogue_) {
            weights_.push_back(entry.weight);
        }
        stations_.resize(station_count);
    }

    // One day's runs, imported in one transaction.
    void run_day(int day_index, TimePoint midnight, std::int64_t runs_today, Totals& totals) {
        references_.clear();
        std::vector<RunRecord> records;
        records.reserve(static_cast<std::size_t>(runs_today));
        const std::int64_t slots = station_count * shift_count;
        for (std::int64_t slot = 0; slot < slots; ++slot) {
            const int station = static_cast<int>(slot % station_count);
            const int shift = static_cast<int>(slot / station_count);
            // Eight operators, eight station-shifts a day; the roster turns weekly.
            const auto& operator_name =
                operator_names[static_cast<std::size_t>(station + station_count * shift +
                                                        day_index / 7) %
                               operator_names.size()];
            const std::int64_t runs = runs_today / slots + (slot < runs_today % slots ? 1 : 0);
            const double spacing_s =
                shift_hours * 3600.0 / static_cast<double>(std::max<std::int64_t>(runs, 1));
            const TimePoint shift_start =
                midnight + std::chrono::hours{first_shift_hour + shift * shift_hours};
            for (std::int64_t i = 0; i < runs; ++i) {
                const double offset_s = (static_cast<double>(i) + uniform(0.0, 0.5)) * spacing_s;
                records.push_back(
                    next_run(station, operator_name, shift_start + milliseconds(offset_s), totals));
            }
        }
        repository_.import_runs(records);
    }

  private:
    struct WorkOrder {
        std::size_t entry = 0;
        int number = 0, remaining = 0, next_serial = 1;
    };
    struct Retest {
        std::string serial;
        std::size_t entry = 0;
        std::int64_t due = 0;  // the station's run count when it comes back
    };
    struct Station {
        WorkOrder order;
        std::deque<Retest> retests;
        std::int64_t runs = 0;
    };

    double uniform(double low, double high) {
        return std::uniform_real_distribution<double>(low, high)(random_);
    }
    double normal(double mean, double sigma) {
        return std::normal_distribution<double>(mean, sigma)(random_);
    }
    double lognormal_factor(double sigma) { return std::exp(normal(0.0, sigma)); }
    bool chance(double probability) { return uniform(0.0, 1.0) < probability; }
    int uniform_int(int low, int high) {
        return std::uniform_int_distribution<int>(low, high)(random_);
    }

    std::int64_t reference_id(int station, const RunRecord& run) {
        const auto key = std::make_pair(station, run.part.mode);
        const auto found = references_.find(key);
        if (found != references_.end()) {
            return found->second;
        }
        // Each station references each launch cord once a day, before its first run.
        Reference reference;
        reference.station = run.station;
        reference.operator_name = run.operator_name;
        reference.taken_at = run.started_at - std::chrono::minutes{5};
        reference.launch_cord = fmt::format("LC-{}-{}", to_string(run.part.mode), station + 1);
        reference.mode = run.part.mode;
        reference.fibers = 32;
        for (const int wavelength_nm : default_wavelengths_nm(run.part.mode)) {
            for (int fiber = 1; fiber <= reference.fibers; ++fiber) {
                reference.points.push_back({fiber, wavelength_nm, reference_power_dbm(fiber),
                                            normal(0.0, 0.002), std::nullopt});
            }
        }
        const auto id = repository_.save_reference(reference);
        references_[key] = id;
        return id;
    }

    static double reference_power_dbm(int fiber) { return -3.1 - 0.004 * fiber; }

    RunRecord next_run(int station_index, const std::string& operator_name, TimePoint started_at,
                       Totals& totals) {
        Station& station = stations_[static_cast<std::size_t>(station_index)];
        ++station.runs;
        RunRecord run;
        bool retest = false;
        std::size_t entry = 0;
        if (!station.retests.empty() && station.retests.front().due <= station.runs) {
            run.serial = station.retests.front().serial;
            entry = station.retests.front().entry;
            station.retests.pop_front();
            retest = true;
            ++totals.retests;
        } else {
            if (station.order.remaining == 0) {
                station.order.entry = std::discrete_distribution<std::size_t>(
                    weights_.begin(), weights_.end())(random_);
                station.order.number = ++work_orders_;
                station.order.remaining = uniform_int(30, 300);
                station.order.next_serial = 1;
            }
            --station.order.remaining;
            entry = station.order.entry;
            run.serial =
                fmt::format("W{:06}-{:04}", station.order.number, station.order.next_serial++);
        }
        run.kind = RunKind::Production;
        run.part = catalogue_[entry].part;
        run.station = station_name(station_index);
        run.operator_name = operator_name;
        run.software_version = "0.1.0";
        run.started_at = started_at;
        run.instruments = station_instruments(station_index);
        run.reference_id = reference_id(station_index, run);
        measure(run, retest);

        ++totals.runs;
        totals.measurements += static_cast<std::int64_t>(run.measurements.size());
        // About 1 % of runs stop on a fault or the operator, one in two
        // thousand dies with the process; both come back at once.
        const double fate = uniform(0.0, 1.0);
        if (fate < 0.0105) {
            const bool aborted = fate < 0.01;
            const auto kept = static_cast<std::size_t>(
                uniform(0.0, 1.0) * static_cast<double>(run.measurements.size()));
            run.measurements.resize(kept);
            run.polarity.clear();
            run.status = aborted ? RunStatus::Aborted : RunStatus::Interrupted;
            run.reason = aborted ? abort_reason() : "process 4242 ended without finishing the run";
            if (aborted) {
                run.ended_at = started_at + milliseconds(reading_interval_s * (kept + 1));
                ++totals.aborted;
            } else {
                ++totals.interrupted;
            }
            station.retests.push_back({run.serial, entry, station.runs + 1});
            return run;
        }
        analysis::apply_grade(run, analysis::default_limit_set());
        run.status = RunStatus::Completed;
        run.ended_at =
            started_at + milliseconds(reading_interval_s * run.measurements.size() + 20.0);
        ++totals.completed;
        if (run.pass) {
            ++totals.passed;
        } else if (chance(0.8)) {
            // Reworked (cleaned, re-polished or re-terminated) and tested again later.
            station.retests.push_back({run.serial, entry, station.runs + uniform_int(5, 40)});
        }
        return run;
    }

    std::string abort_reason() {
        static const std::vector<std::string> reasons{
            "power meter: timeout after 2000 ms waiting for the reply to FETC:POW?",
            "operator stopped the test",
            "light source: SYST:ERR? -> -222,\"Data out of range\"",
            "optical switch: connection reset by peer",
            "reference expired during the run",
        };
        return reasons[static_cast<std::size_t>(
            uniform_int(0, static_cast<int>(reasons.size()) - 1))];
    }

    // Readings of one assembly: per end and fibre a mated-pair loss around
    // the part's median (an assembly-wide factor for the build, one per
    // fibre for the ferrule), slightly lower at the longer wavelength;
    // RL per reading. A few assemblies carry a defect: a dirty end face, a
    // broken fibre or the wrong polarity. Rework removes most of them.
    void measure(RunRecord& run, bool reworked) {
        const Part& p = run.part;
        const int fibers = p.fibers;
        const double build = lognormal_factor(0.2);
        const double defect_scale = reworked ? 0.3 : 1.0;
        const bool dirty = chance(0.02 * defect_scale);
        const bool broken = chance(0.002 * defect_scale);
        const bool wrong_polarity = chance(0.001 * defect_scale);
        const End dirty_end = chance(0.5) ? End::A : End::B;
        const int dirty_fiber = uniform_int(1, fibers);
        const int broken_fiber = uniform_int(1, fibers);
        Part built = p;
        if (wrong_polarity) {
            built.polarity = p.polarity == PolarityType::A ? PolarityType::B : PolarityType::A;
        }
        const bool sm = p.mode == FiberMode::SM;
        TimePoint taken_at = run.started_at + std::chrono::seconds{15};
        for (const End end : {End::A, End::B}) {
            const auto far_positions = analysis::expected_far_positions(built, end);
            std::vector<double> fibre_il_db(static_cast<std::size_t>(fibers));
            for (auto& il : fibre_il_db) {
                il = median_il_db(p) * build * lognormal_factor(0.3);
            }
            PolarityMap map{end, {}};
            for (std::size_t w = 0; w < p.wavelengths_nm.size(); ++w) {
                const double wavelength_factor = w == 0 ? 1.0 : 0.92;
                for (int fiber = 1; fiber <= fibers; ++fiber) {
                    Measurement m;
                    m.end = end;
                    m.fiber = fiber;
                    m.wavelength_nm = p.wavelengths_nm[w];
                    m.cycle = 0;
                    m.taken_at = taken_at;
                    taken_at += milliseconds(reading_interval_s);
                    const bool dark = broken && fiber == broken_fiber;
                    m.far_position = dark ? 0 : far_positions[static_cast<std::size_t>(fiber - 1)];
                    if (w == 0) {
                        map.far_positions.push_back(m.far_position);
                    }
                    if (dark) {
                        m.status = ReadingStatus::NoLight;
                        m.power_dbm = std::nan("");
                        m.rl_db = normal(14.5, 0.3);  // the glass-air reflection at the break
                        run.measurements.push_back(m);
                        continue;
                    }
                    double il_db =
                        fibre_il_db[static_cast<std::size_t>(fiber - 1)] * wavelength_factor +
                        normal(0.0, 0.004);
                    double rl_db = sm ? normal(70.5, 1.5) : normal(45.0, 2.5);
                    if (dirty && end == dirty_end && fiber == dirty_fiber) {
                        il_db += uniform(0.25, 0.8);
                        rl_db -= uniform(8.0, 20.0);
                    }
                    // Readings are reported to the thousandth of a dB.
                    m.il_db = std::round(std::max(il_db, 0.0) * 1000.0) / 1000.0;
                    m.rl_db = std::round(rl_db * 100.0) / 100.0;
                    m.power_dbm =
                        std::round((reference_power_dbm(fiber) - *m.il_db) * 1000.0) / 1000.0;
                    run.measurements.push_back(m);
                }
            }
            run.polarity.push_back(std::move(map));
        }
    }

    std::mt19937_64 random_;
    std::vector<CatalogueEntry> catalogue_;
    std::vector<double> weights_;
    db::Repository& repository_;
    std::vector<Station> stations_;
    int work_orders_ = 0;
    std::map<std::pair<int, FiberMode>, std::int64_t> references_;  // today's
};

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"mpobench_fill_db: fill a new database with a realistic production history"};
    std::filesystem::path db_path;
    std::int64_t runs = 1'000'000;
    std::uint64_t seed = 1;
    int days = 1000;
    app.add_option("--db", db_path, "the database to create (must not exist)")->required();
    app.add_option("--runs", runs, "runs in all")->check(CLI::PositiveNumber);
    app.add_option("--seed", seed, "random seed");
    app.add_option("--days", days, "days of history, ending today")->check(CLI::PositiveNumber);
    CLI11_PARSE(app, argc, argv);
    // The repository logs every import and reference; progress is enough here.
    spdlog::set_level(spdlog::level::warn);

    if (std::filesystem::exists(db_path)) {
        std::cerr << fmt::format("mpobench_fill_db: {} exists; give a new file\n",
                                 db_path.string());
        return 2;
    }
    try {
        const auto start = Clock::now();
        Totals totals;
        {
            db::Repository repository(db_path);
            const auto& limits = analysis::default_limit_set();
            repository.store_limit_set({0, limits.name, limits.version, limits.hash, limits.body});
            Plant plant(seed, repository);
            for (int day = 0; day < days; ++day) {
                const std::int64_t runs_today = runs / days + (day < runs % days ? 1 : 0);
                plant.run_day(day, local_midnight(days - 1 - day), runs_today, totals);
                if ((day + 1) % 50 == 0 || day + 1 == days) {
                    const double elapsed_s = seconds_since(start);
                    std::cerr << fmt::format(
                        "day {}/{}: {} runs, {} measurements, {:.0f} s, {:.0f} runs/s\n", day + 1,
                        days, totals.runs, totals.measurements, elapsed_s,
                        static_cast<double>(totals.runs) / elapsed_s);
                }
            }
        }
        // Closed: the write-ahead log is checkpointed into the file.
        const double elapsed_s = seconds_since(start);
        const auto size = std::filesystem::file_size(db_path);
        std::cout << fmt::format(
            "{}: {} runs ({} completed, {} passed = {:.1f} %, {} aborted, {} interrupted, {} "
            "retests), {} measurements in {:.0f} s ({:.0f} runs/s); file {:.2f} GB\n",
            db_path.string(), totals.runs, totals.completed, totals.passed,
            100.0 * static_cast<double>(totals.passed) / static_cast<double>(totals.completed),
            totals.aborted, totals.interrupted, totals.retests, totals.measurements, elapsed_s,
            static_cast<double>(totals.runs) / elapsed_s, static_cast<double>(size) / 1e9);
    } catch (const std::exception& error) {
        std::cerr << "mpobench_fill_db: " << error.what() << "\n";
        return 1;
    }
    return 0;
}
