// mpobench_cert_bench: milliseconds per certificate PDF (docs/PERFORMANCE.md).
// Renders the certificate of a completed, graded 12F, 24F and 72F SM run
// with reports::write_certificate under the repository's site file, several
// times each, and reports the first render of the process (fonts and
// fontconfig still cold) apart from the median, p95 and max of the rest.

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <stdlib.h>
#include <time.h>

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
#include "analysis/record_hash.hpp"
#include "bench/bench_support.hpp"
#include "reports/certificate.hpp"
#include "reports/site.hpp"
#include "tests/support/temp_dir.hpp"  // the same scratch directory as the tests

namespace {

using namespace mpobench;
using Clock = std::chrono::steady_clock;

double milliseconds_since(Clock::time_point start) {
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// CPU time of the whole process (every thread): on a shared machine the
// wall time also holds the time spent waiting for a core.
double process_cpu_ms() {
    timespec now{};
    if (::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now) != 0) {
        throw std::runtime_error(
            fmt::format("clock_gettime(CLOCK_PROCESS_CPUTIME_ID): {}", std::strerror(errno)));
    }
    return static_cast<double>(now.tv_sec) * 1e3 + static_cast<double>(now.tv_nsec) / 1e6;
}

// A completed production run of a well-made SM type B Elite assembly, as
// the database returns it (times to the millisecond), graded with the
// default limit set: IL lognormal around 0.13 dB per mated pair, RL around
// 70.5 dB, every fibre of both ends at both wavelengths.
RunRecord completed_run(int fibers, std::mt19937_64& random) {
    using std::chrono::milliseconds;
    const TimePoint started_at{milliseconds{1'795'000'000'000}};  // 2026-11-17
    RunRecord run;
    run.id = 1000 + fibers;
    run.kind = RunKind::Production;
    run.serial = fmt::format("W000042-{:04}", fibers);
    run.part.number = fmt::format("MTP{}-SM-B-E-5M", fibers);
    run.part.description = fmt::format("MTP {}F SM APC type B, 5 m", fibers);
    run.part.fibers = fibers;
    run.part.mode = FiberMode::SM;
    run.part.polarity = PolarityType::B;
    run.part.target = Grade::Elite;
    run.part.length_m = 5.0;
    run.part.wavelengths_nm = default_wavelengths_nm(FiberMode::SM);
    run.station = "bench-1";
    run.operator_name = "ana";
    run.software_version = "0.1.0";
    run.started_at = started_at;
    run.reference_id = 7;
    run.instruments = bench::production_bench_instruments();
    for (const End end : {End::A, End::B})
        run.polarity.push_back({end, analysis::expected_far_positions(run.part, end)});
    run.measurements = bench::elite_readings(run.part, started_at, random);
    run.status = RunStatus::Completed;
    run.ended_at = run.measurements.back().taken_at + milliseconds{20'000};
    analysis::apply_grade(run, analysis::default_limit_set());
    return run;
}

reports::CertificateInput certificate_input(int fibers, const reports::Site& site,
                                            std::mt19937_64& random) {
    reports::CertificateInput input;
    input.run = completed_run(fibers, random);
    Reference reference;
    reference.id = input.run.reference_id;
    reference.station = input.run.station;
    reference.operator_name = input.run.operator_name;
    reference.taken_at = input.run.started_at - std::chrono::minutes{95};
    reference.launch_cord = "LC-SM-1";
    reference.mode = input.run.part.mode;
    reference.fibers = fibers;
    input.reference = reference;
    input.limits = analysis::default_limit_set();
    input.record_hash = analysis::record_hash(input.run);
    input.site = site;
    input.paper = site.paper;
    return input;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"mpobench_cert_bench: milliseconds per certificate PDF (12F, 24F, 72F)"};
    std::filesystem::path site_file = std::filesystem::path(MPOBENCH_SOURCE_DIR) / "site.toml";
    std::filesystem::path out_directory;
    int repetitions = 20;
    app.add_option("--site", site_file, "the site file (default: the repository's site.toml)")
        ->check(CLI::ExistingFile);
    app.add_option("--out", out_directory,
                   "keep the PDFs in this directory (default: a temporary one, removed)")
        ->check(CLI::ExistingDirectory);
    app.add_option("--repetitions", repetitions, "renders per fibre count after the first")
        ->check(CLI::PositiveNumber);
    CLI11_PARSE(app, argc, argv);
    spdlog::set_level(spdlog::level::warn);

    try {
        const reports::Site site = reports::load_site(site_file);
        std::optional<mpobench::testing::TempDir> temporary;
        if (out_directory.empty()) {
            temporary.emplace();
            out_directory = temporary->path();
        }
        std::mt19937_64 random(1);
        std::cout << fmt::format(
            "site {}, paper {}; {} renders per fibre count after the first\n\n", site_file.string(),
            reports::to_string(site.paper), repetitions);
        std::cout << "| record | rows | grade | first render ms | median ms | p95 ms | max ms | "
                     "median CPU ms | PDF bytes |\n"
                     "|---|---:|---|---:|---:|---:|---:|---:|---:|\n";
        for (const int fibers : {12, 24, 72}) {
            const auto input = certificate_input(fibers, site, random);
            const auto out = out_directory / fmt::format("certificate-{}F.pdf", fibers);
            auto start = Clock::now();
            reports::write_certificate(input, out);
            const double first_ms = milliseconds_since(start);
            std::vector<double> render_ms, cpu_ms;
            for (int i = 0; i < repetitions; ++i) {
                start = Clock::now();
                const double cpu_start_ms = process_cpu_ms();
                reports::write_certificate(input, out);
                render_ms.push_back(milliseconds_since(start));
                cpu_ms.push_back(process_cpu_ms() - cpu_start_ms);
            }
            const bench::Summary render = bench::summarise(render_ms);
            std::cout << fmt::format(
                "| {}F SM | {} | {} | {:.1f} | {:.1f} | {:.1f} | {:.1f} | {:.1f} | {} |\n", fibers,
                input.run.measurements.size(), to_string(*input.run.grade), first_ms, render.median,
                render.p95, render.max, bench::summarise(cpu_ms).median,
                std::filesystem::file_size(out));
        }
    } catch (const std::exception& error) {
        std::cerr << "mpobench_cert_bench: " << error.what() << "\n";
        return 1;
    }
    return 0;
}
