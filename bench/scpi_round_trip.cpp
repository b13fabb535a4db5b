// mpobench_scpi_round_trip: SCPI queries per second over loopback TCP and
// over a pty, through our ScpiSession and through pyvisa-py, against the
// same simulated instruments in the same run (issue 5, benchmark 3).
//
// The simulated bench runs in this process at time scale 0 (no instrument
// time, no simulated line time), so what is measured is the software on
// both sides of the wire: ours (drivers::make_session, the session every
// driver talks through) and pyvisa with its pure-Python backend
// (bench/scpi_pyvisa.py, run by /usr/bin/python3). Each side connects, asks
// the query once, then times N queries; the two alternate, and the median of
// the repetitions is reported.

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "drivers/registry.hpp"
#include "fixtures/dut.hpp"
#include "fixtures/sim_bench.hpp"
#include "tests/support/temp_dir.hpp"  // the same scratch directory as the tests

extern char** environ;

namespace {

using namespace mpobench;
using Seconds = std::chrono::duration<double>;

struct Probe {
    std::string instrument;  // station-file name
    std::string query;
};

// One instrument on each transport of the simulated bench, with a query
// that changes nothing and one that reads power.
const Probe kProbes[] = {
    {"meter", "*IDN?"},  // N7745C simulator, loopback TCP
    {"meter", ":FETC1:POW?"},
    {"monitor", "*IDN?"},  // PM100 simulator, pty at 115200 baud
    {"monitor", "MEAS:POW?"},
};

std::string terminator_name(const std::string& terminator) {
    if (terminator == "\n")
        return "lf";
    if (terminator == "\r\n")
        return "crlf";
    if (terminator == "\r")
        return "cr";
    throw std::invalid_argument(
        fmt::format("no pyvisa name for a terminator of {} bytes", terminator.size()));
}

// Runs a program and returns what it wrote on stdout; its stderr passes
// through. Throws when it cannot start or does not exit 0.
std::string run_and_capture(const std::vector<std::string>& arguments) {
    std::array<int, 2> pipe_ends{};
    if (::pipe2(pipe_ends.data(), O_CLOEXEC) != 0)
        throw std::runtime_error(fmt::format("pipe: {}", std::strerror(errno)));
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, pipe_ends[1], STDOUT_FILENO);
    std::vector<char*> argv;
    for (const auto& argument : arguments)
        argv.push_back(const_cast<char*>(argument.c_str()));
    argv.push_back(nullptr);
    pid_t child = 0;
    const int spawned = ::posix_spawn(&child, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(pipe_ends[1]);
    if (spawned != 0) {
        ::close(pipe_ends[0]);
        throw std::runtime_error(fmt::format("{}: {}", arguments[0], std::strerror(spawned)));
    }
    std::string output;
    std::array<char, 4096> buffer{};
    for (;;) {
        const ssize_t got = ::read(pipe_ends[0], buffer.data(), buffer.size());
        if (got > 0) {
            output.append(buffer.data(), static_cast<std::size_t>(got));
        } else if (got == 0 || errno != EINTR) {
            break;
        }
    }
    ::close(pipe_ends[0]);
    int status = 0;
    while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        throw std::runtime_error(fmt::format("{} {} failed (wait status {})", arguments[0],
                                             arguments.size() > 1 ? arguments[1] : "", status));
    }
    return output;
}

struct Timed {
    double queries_per_second = 0.0;
    std::string reply;
};

Timed ours(const drivers::InstrumentConfig& config, const std::string& query, int count) {
    auto session = drivers::make_session(config);
    session->connect();
    Timed timed;
    timed.reply = session->query(query);
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < count; ++i)
        timed.reply = session->query(query);
    const Seconds elapsed = std::chrono::steady_clock::now() - start;
    timed.queries_per_second = count / elapsed.count();
    return timed;
}

Timed pyvisa(const std::string& python, const drivers::InstrumentConfig& config,
             const std::string& query, int count) {
    const auto script = std::filesystem::path(MPOBENCH_SOURCE_DIR) / "bench" / "scpi_pyvisa.py";
    const std::string output = run_and_capture(
        {python, script.string(), "--resource", config.resource, "--query", query, "--count",
         std::to_string(count), "--write-terminator", terminator_name(config.write_terminator),
         "--read-terminator", terminator_name(config.read_terminator), "--baud",
         std::to_string(config.transport.serial.baud)});
    const auto result = nlohmann::json::parse(output);
    return {result.at("count").get<double>() / result.at("seconds").get<double>(),
            result.at("reply").get<std::string>()};
}

double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    const std::size_t middle = values.size() / 2;
    return values.size() % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2.0;
}

std::string transport_of(const std::string& resource) {
    return resource.starts_with("ASRL") ? "pty" : "TCP";
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App cli{
        "mpobench_scpi_round_trip: SCPI queries per second, ours against pyvisa-py, on the "
        "simulated bench"};
    int count = 2000;
    int repetitions = 3;
    std::string python = "/usr/bin/python3";
    cli.add_option("--queries", count, "timed queries per side and repetition")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    cli.add_option("--repetitions", repetitions, "alternating repetitions (the median counts)")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    cli.add_option("--python", python, "the Python with pyvisa and pyvisa-py")
        ->capture_default_str();
    CLI11_PARSE(cli, argc, argv);
    // The session logs every exchange at debug level, the simulators each
    // client at info: neither is wanted between the table's rows.
    spdlog::set_level(spdlog::level::warn);

    try {
        const testing::TempDir scratch;
        fixtures::SimBenchOptions options;
        options.dut = fixtures::load_dut(std::filesystem::path(MPOBENCH_SOURCE_DIR) / "fixtures" /
                                         "data" / "elite_sm_12f_b.json");
        options.time_scale = 0.0;
        options.run_dir = scratch.file("sim");
        fixtures::SimBench simulated(options);
        simulated.start();
        const auto station = simulated.station();

        std::cout << fmt::format(
            "{} queries per side, {} alternating repetitions, median; simulated bench at time "
            "scale 0\n\n| transport | instrument | query | ours q/s | pyvisa-py q/s | ours / "
            "pyvisa-py | ours µs/query | pyvisa-py µs/query |\n|---|---|---|---:|---:|---:|---:|"
            "---:|\n",
            count, repetitions);
        for (const Probe& probe : kProbes) {
            const auto* config = station.find(probe.instrument);
            if (!config)
                throw std::logic_error("the simulated bench has no " + probe.instrument);
            std::vector<double> our_rates, their_rates;
            for (int repetition = 0; repetition < repetitions; ++repetition) {
                const Timed mine = ours(*config, probe.query, count);
                const Timed theirs = pyvisa(python, *config, probe.query, count);
                // Both sides talked to the same instrument: the identity must agree.
                if (probe.query == "*IDN?" && mine.reply != theirs.reply) {
                    throw std::runtime_error(fmt::format(
                        "*IDN? answered '{}' to us, '{}' to pyvisa", mine.reply, theirs.reply));
                }
                our_rates.push_back(mine.queries_per_second);
                their_rates.push_back(theirs.queries_per_second);
            }
            const double our_rate = median(our_rates), their_rate = median(their_rates);
            std::cout << fmt::format(
                "| {} | {} | `{}` | {:.0f} | {:.0f} | {:.2f} | {:.1f} | {:.1f} |\n",
                transport_of(config->resource), probe.instrument, probe.query, our_rate, their_rate,
                our_rate / their_rate, 1e6 / our_rate, 1e6 / their_rate);
        }
    } catch (const std::exception& error) {
        std::cerr << "mpobench_scpi_round_trip: " << error.what() << "\n";
        return 1;
    }
    return 0;
}
