// mpobench_db_latency: what the database costs a station per run
// (docs/PERFORMANCE.md). Runs graded 24F SM assemblies through the public
// Repository API the way `mpobench test` does: begin_run, one durable
// append_measurement per reading (WAL, synchronous FULL), then grading and
// complete_run. Times every call on a new database file and reports the
// per-row, per-completion and per-run latencies over all runs.

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <stdlib.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "analysis/grading.hpp"
#include "analysis/limits.hpp"
#include "bench/bench_support.hpp"
#include "db/repository.hpp"
#include "tests/support/temp_dir.hpp"  // the same scratch directory as the tests

namespace {

using namespace mpobench;
using Clock = std::chrono::steady_clock;

double milliseconds_since(Clock::time_point start) {
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// The name `stat -f -c %T` prints for the file systems a bench is likely to
// sit on; the magic number otherwise.
std::string file_system_type(const std::filesystem::path& directory) {
    struct statfs info {};
    if (::statfs(directory.c_str(), &info) != 0) {
        throw std::runtime_error(
            fmt::format("statfs {}: {}", directory.string(), std::strerror(errno)));
    }
    switch (static_cast<unsigned long>(info.f_type)) {
        case 0xEF53:
            return "ext2/ext3/ext4";
        case 0x01021994:
            return "tmpfs";
        case 0x58465342:
            return "xfs";
        case 0x9123683E:
            return "btrfs";
        case 0x794C7630:
            return "overlayfs";
        case 0x6969:
            return "nfs";
        default:
            return fmt::format("f_type 0x{:x}", static_cast<unsigned long>(info.f_type));
    }
}

Part part_24f_sm() {
    Part part;
    part.number = "MTP24-SM-B-E-5M";
    part.description = "MTP 24F SM APC type B, 5 m";
    part.fibers = 24;
    part.mode = FiberMode::SM;
    part.polarity = PolarityType::B;
    part.target = Grade::Elite;
    part.length_m = 5.0;
    part.wavelengths_nm = default_wavelengths_nm(FiberMode::SM);
    return part;
}

Reference launch_cord_reference(const Part& part) {
    Reference reference;
    reference.station = "bench-1";
    reference.operator_name = "ana";
    reference.taken_at = std::chrono::system_clock::now() - std::chrono::minutes{30};
    reference.launch_cord = "LC-SM-1";
    reference.mode = part.mode;
    reference.fibers = part.fibers;
    for (const int wavelength_nm : part.wavelengths_nm) {
        for (int fiber = 1; fiber <= part.fibers; ++fiber) {
            reference.points.push_back(
                {fiber, wavelength_nm, bench::kLaunchPowerDbm, 0.0, std::nullopt});
        }
    }
    return reference;
}

struct Timings {
    std::vector<double> begin_ms, append_ms, grade_ms, store_limits_ms, complete_ms, run_ms;
    int passed = 0;
};

// One run as `mpobench test` stores it (app/test_flow.cpp), every call timed.
void time_one_run(db::Repository& repository, const analysis::LimitSet& limits,
                  std::int64_t reference_id, int index, std::mt19937_64& random, Timings& timings) {
    RunRecord run;
    run.kind = RunKind::Production;
    run.serial = fmt::format("W000001-{:04}", index + 1);
    run.part = part_24f_sm();
    run.station = "bench-1";
    run.operator_name = "ana";
    run.software_version = "0.1.0";
    run.started_at = std::chrono::system_clock::now();
    run.reference_id = reference_id;
    run.instruments = bench::production_bench_instruments();
    // Drawn before the clock starts: the instruments' time is not ours.
    const auto measurements = bench::elite_readings(run.part, run.started_at, random);
    std::vector<PolarityMap> polarity;
    for (const End end : {End::A, End::B}) {
        PolarityMap map{end, {}};
        for (const auto& m : measurements) {
            if (m.end == end && m.wavelength_nm == run.part.wavelengths_nm.front()) {
                map.far_positions.push_back(m.far_position);
            }
        }
        polarity.push_back(std::move(map));
    }

    const auto run_start = Clock::now();
    auto start = Clock::now();
    run.id = repository.begin_run(run);
    timings.begin_ms.push_back(milliseconds_since(start));
    for (const auto& m : measurements) {
        start = Clock::now();
        repository.append_measurement(run.id, m);
        timings.append_ms.push_back(milliseconds_since(start));
        run.measurements.push_back(m);
    }
    run.polarity = std::move(polarity);
    start = Clock::now();
    analysis::apply_grade(run, limits);
    timings.grade_ms.push_back(milliseconds_since(start));
    run.status = RunStatus::Completed;
    run.ended_at = std::chrono::system_clock::now();
    start = Clock::now();
    repository.store_limit_set({0, limits.name, limits.version, limits.hash, limits.body});
    timings.store_limits_ms.push_back(milliseconds_since(start));
    start = Clock::now();
    repository.complete_run(run);
    timings.complete_ms.push_back(milliseconds_since(start));
    timings.run_ms.push_back(milliseconds_since(run_start));
    if (run.pass) {
        ++timings.passed;
    }
}

void print_row(const std::string& what, std::size_t count, const std::vector<double>& values_ms) {
    const bench::Summary s = bench::summarise(values_ms);
    std::cout << fmt::format("| {} | {} | {:.3f} | {:.3f} | {:.3f} |\n", what, count, s.median,
                             s.p95, s.max);
}

void remove_database(const std::filesystem::path& db_path) {
    for (const char* suffix : {"", "-wal", "-shm"}) {
        std::error_code error;
        std::filesystem::remove(db_path.string() + suffix, error);
        if (error) {
            std::cerr << fmt::format("mpobench_db_latency: could not remove {}{}: {}\n",
                                     db_path.string(), suffix, error.message());
        }
    }
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"mpobench_db_latency: commit latency of graded 24F runs through db::Repository"};
    std::filesystem::path directory;
    int runs = 50;
    std::uint64_t seed = 1;
    app.add_option("--dir", directory,
                   "directory for the new database file (default: a temporary directory in /tmp)")
        ->check(CLI::ExistingDirectory);
    app.add_option("--runs", runs, "runs to store")->check(CLI::PositiveNumber);
    app.add_option("--seed", seed, "random seed of the readings");
    CLI11_PARSE(app, argc, argv);
    // The repository logs every run; the table is the output here.
    spdlog::set_level(spdlog::level::warn);

    try {
        std::optional<mpobench::testing::TempDir> temporary;
        if (directory.empty()) {
            temporary.emplace();
            directory = temporary->path();
        }
        const auto db_path = directory / fmt::format("mpobench-db-latency-{}.db", ::getpid());
        if (std::filesystem::exists(db_path)) {
            throw std::runtime_error(fmt::format("{} exists", db_path.string()));
        }
        std::cout << fmt::format("database {} on {} ({} runs of {}F SM)\n", db_path.string(),
                                 file_system_type(directory), runs, part_24f_sm().fibers);

        Timings timings;
        {
            db::Repository repository(db_path);
            const auto& limits = analysis::default_limit_set();
            const auto reference_id =
                repository.save_reference(launch_cord_reference(part_24f_sm()));
            std::mt19937_64 random(seed);
            for (int i = 0; i < runs; ++i) {
                time_one_run(repository, limits, reference_id, i, random, timings);
            }
            db::RunFilter completed_runs;
            completed_runs.status = RunStatus::Completed;
            const auto completed = repository.find_runs(completed_runs);
            if (completed.size() != static_cast<std::size_t>(runs) || !repository.integrity_ok()) {
                throw std::runtime_error(
                    fmt::format("{}: {} completed runs of {} stored, or the integrity check failed",
                                db_path.string(), completed.size(), runs));
            }
        }
        const auto size = std::filesystem::file_size(db_path);
        remove_database(db_path);

        const auto rows_per_run = timings.append_ms.size() / timings.run_ms.size();
        std::cout << fmt::format("{} rows per run, {} of {} runs passed; file {:.1f} MB\n\n",
                                 rows_per_run, timings.passed, runs,
                                 static_cast<double>(size) / 1e6);
        std::cout << "| step | count | median ms | p95 ms | max ms |\n"
                     "|---|---:|---:|---:|---:|\n";
        print_row("begin_run", timings.begin_ms.size(), timings.begin_ms);
        print_row("append_measurement (per row)", timings.append_ms.size(), timings.append_ms);
        print_row("apply_grade (no I/O)", timings.grade_ms.size(), timings.grade_ms);
        print_row("store_limit_set (known hash)", timings.store_limits_ms.size(),
                  timings.store_limits_ms);
        print_row("complete_run", timings.complete_ms.size(), timings.complete_ms);
        print_row("whole run", timings.run_ms.size(), timings.run_ms);
    } catch (const std::exception& error) {
        std::cerr << "mpobench_db_latency: " << error.what() << "\n";
        return 1;
    }
    return 0;
}
