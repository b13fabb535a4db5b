#include "app/forwarder.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <nlohmann/json.hpp>

#include <cerrno>
#include <set>
#include <system_error>

#include "analysis/limits.hpp"
#include "analysis/record_hash.hpp"
#include "app/guarded.hpp"
#include "app/logging.hpp"
#include "app/plant_config.hpp"
#include "app/plant_payload.hpp"
#include "app/run_json.hpp"
#include "db/plant.hpp"

namespace mpobench::app {

namespace {

// Records per pipeline: the plant's answers to one batch (a row each) fit
// in the socket buffers, so sending a batch before reading its answers
// cannot stall either side.
constexpr std::size_t batch_size = 64;

// How often serve's forwarder looks at the outbox.
constexpr std::chrono::milliseconds outbox_poll{2000};
// How often serve takes the plant's users, parts and limits between tests
// (a test takes them at its start).
constexpr std::chrono::seconds config_refresh_interval{30};

}  // namespace

void keep_payload(db::Repository& repository, db::OutboxEntry& entry) {
    // Built once and kept: a replay sends the same bytes.
    if (!entry.payload.empty())
        return;
    entry.payload = json_text(plant_payload_v2(repository, entry));
    entry.payload_sha256 = analysis::sha256_hex(entry.payload);
    repository.keep_outbox_payload(entry.run_id, entry.payload, entry.payload_sha256);
}

ForwardReport forward_outbox(db::Repository& repository, const std::string& url) {
    ForwardReport report;
    std::unique_ptr<db::plant::Connection> plant;
    std::set<std::int64_t> refused_runs;
    const auto drain = [&] {
        for (;;) {
            auto waiting = repository.outbox_waiting();
            std::erase_if(waiting, [&](const db::OutboxEntry& entry) {
                return refused_runs.contains(entry.run_id);
            });
            if (waiting.empty())
                return;
            if (!plant) {
                plant = std::make_unique<db::plant::Connection>(url);
                report.plant = plant->describe();
            }
            for (std::size_t first = 0; first < waiting.size(); first += batch_size) {
                const std::size_t end = std::min(waiting.size(), first + batch_size);
                std::vector<db::plant::OutboundRecord> records;
                for (std::size_t i = first; i < end; ++i) {
                    auto& entry = waiting[i];
                    keep_payload(repository, entry);
                    records.push_back({entry.payload, entry.payload_sha256});
                }
                plant->forward_all(records,
                                   [&](std::size_t index, const db::plant::ForwardResult& result) {
                                       const auto& entry = waiting[first + index];
                                       switch (result.outcome) {
                                           case db::plant::Forwarded::Stored:
                                               ++report.stored;
                                               break;
                                           case db::plant::Forwarded::AlreadyPresent:
                                               ++report.present;
                                               break;
                                           case db::plant::Forwarded::Refused:
                                               report.refused.push_back(
                                                   {entry.run_id, entry.run_uuid, result.refusal});
                                               refused_runs.insert(entry.run_id);
                                               return;
                                       }
                                       repository.mark_forwarded(entry.run_id);
                                   });
            }
        }
    };
    try {
        drain();
    } catch (const db::plant::PlantUnreachable& error) {
        report.unreachable = error.what();
    }
    report.left = repository.outbox_summary();
    return report;
}

void check_plant_url(const std::string& url) {
    try {
        db::plant::check_connection_string(url);
    } catch (const db::plant::PlantUrlError& error) {
        throw UsageError(error.what());
    }
}

std::optional<std::string> plant_url_of(const acquisition::StationConfig& station) {
    if (!station.plant_url)
        return std::nullopt;
    try {
        db::plant::check_connection_string(*station.plant_url);
    } catch (const db::plant::PlantUrlError& error) {
        throw UsageError(
            fmt::format("{}: [plant] url: {}", station.source_path.string(), error.what()));
    }
    return station.plant_url;
}

ForwardLock::ForwardLock(const std::filesystem::path& db) {
    const std::string path = db.string() + ".forward-lock";
    descriptor_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (descriptor_ < 0) {
        throw std::system_error(errno, std::generic_category(),
                                fmt::format("{}: opening the forwarder's lock", path));
    }
    while (::flock(descriptor_, LOCK_EX) != 0) {
        if (errno != EINTR) {
            const int error = errno;
            ::close(descriptor_);
            throw std::system_error(error, std::generic_category(),
                                    fmt::format("{}: taking the forwarder's lock", path));
        }
    }
}

ForwardLock::~ForwardLock() {
    ::close(descriptor_);  // releases the flock
}

void start_background_forward(const std::filesystem::path& db,
                              const std::filesystem::path& station_file) {
    const auto binary = std::filesystem::read_symlink("/proc/self/exe");
    std::vector<std::string> arguments{binary.string()};
    if (const auto log_file = log_file_in_use(); !log_file.empty())
        arguments.insert(arguments.end(), {"--log-file", log_file.string()});
    arguments.insert(arguments.end(),
                     {"sync", "--background", "--db", std::filesystem::absolute(db).string(),
                      "--station", std::filesystem::absolute(station_file).string()});
    std::vector<char*> argv;
    for (auto& argument : arguments)
        argv.push_back(argument.data());
    argv.push_back(nullptr);

    const pid_t child = ::fork();
    if (child < 0)
        throw std::system_error(errno, std::generic_category(), "starting the plant forwarder");
    if (child == 0) {
        // Only async-signal-safe calls from here to exec: this process may
        // have other threads. The intermediate child exits at once, so the
        // forwarder belongs to init and never to the command's terminal.
        if (::setsid() < 0)
            ::_exit(127);
        const pid_t forwarder = ::fork();
        if (forwarder != 0)
            ::_exit(forwarder < 0 ? 127 : 0);
        const int null = ::open("/dev/null", O_RDWR);
        if (null < 0)
            ::_exit(127);
        ::dup2(null, STDIN_FILENO);
        ::dup2(null, STDOUT_FILENO);
        ::dup2(null, STDERR_FILENO);
        // Nothing else of this process's: above all not the bench lock,
        // which would otherwise stay held until the forwarder ends.
        ::close_range(3, ~0U, 0);
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    int status = 0;
    while (::waitpid(child, &status, 0) < 0) {
        if (errno != EINTR)
            throw std::system_error(errno, std::generic_category(), "starting the plant forwarder");
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        throw std::runtime_error("starting the plant forwarder: its process could not be created");
}

void forward_in_background(const acquisition::StationConfig& station,
                           const std::filesystem::path& db, std::string_view command) {
    if (!station.plant_url && !station.mes_url)
        return;
    try {
        start_background_forward(db, station.source_path);
    } catch (const std::exception& error) {
        fmt::print(stderr,
                   "mpobench {}: WARNING: the run is stored but its forwarder did not start ({}); "
                   "it waits in the outbox for the next one or `mpobench sync`\n",
                   command, error.what());
    }
}

std::string plant_status_text(const db::OutboxSummary& summary) {
    if (summary.waiting > 0) {
        return fmt::format("plant: {} run{} waiting since {}", summary.waiting,
                           summary.waiting == 1 ? "" : "s", iso_utc(*summary.oldest_waiting_since));
    }
    if (summary.last_forwarded_at) {
        return fmt::format("plant: every ended run forwarded (last at {})",
                           iso_utc(*summary.last_forwarded_at));
    }
    return "plant: no run ended yet";
}

BackgroundForwarder::BackgroundForwarder(std::filesystem::path db,
                                         std::optional<std::string> plant_url,
                                         std::optional<MesSettings> mes,
                                         std::chrono::milliseconds retry_interval)
    : db_(std::move(db)),
      plant_url_(std::move(plant_url)),
      mes_(std::move(mes)),
      retry_interval_(retry_interval) {
    thread_ = std::thread([this] { run(); });
}

BackgroundForwarder::~BackgroundForwarder() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
}

std::string BackgroundForwarder::last_problem() const {
    std::lock_guard lock(mutex_);
    return last_problem_;
}

void BackgroundForwarder::run() {
    std::unique_lock lock(mutex_);
    auto next_attempt = std::chrono::steady_clock::now();
    auto next_config_refresh = next_attempt;
    std::unique_ptr<db::Repository> repository;
    while (!wake_.wait_for(lock, outbox_poll, [this] { return stopping_; })) {
        if (std::chrono::steady_clock::now() < next_attempt)
            continue;
        lock.unlock();
        std::string problem;
        try {
            if (!repository)
                repository = std::make_unique<db::Repository>(db_);
            const auto outbox = repository->outbox_summary();
            if ((plant_url_ && outbox.waiting > 0) ||
                (mes_ && mes_->push && outbox.mes_waiting > 0)) {
                const ForwardLock forwarding(db_);
                std::vector<std::string> problems;
                if (plant_url_) {
                    const auto report = forward_outbox(*repository, *plant_url_);
                    if (report.stored + report.present > 0) {
                        spdlog::info("plant {}: {} runs forwarded ({} already there)", report.plant,
                                     report.stored + report.present, report.present);
                    }
                    if (report.unreachable) {
                        problems.push_back(fmt::format("{}; {} runs wait", *report.unreachable,
                                                       report.left.waiting));
                    } else if (!report.refused.empty()) {
                        problems.push_back(fmt::format(
                            "the plant refused run {} ({}): {}", report.refused.front().run_id,
                            report.refused.front().run_uuid, report.refused.front().reason));
                    }
                }
                if (mes_ && mes_->push) {
                    const auto report = push_outbox_to_mes(*repository, *mes_);
                    if (report.acknowledged > 0) {
                        spdlog::info("MES {}: {} runs acknowledged", mes_->push->text,
                                     report.acknowledged);
                    }
                    if (report.problem)
                        problems.push_back(*report.problem);
                }
                problem = fmt::format("{}", fmt::join(problems, "; "));
            }
            // The plant's users (logins), parts and limits, kept fresh
            // between tests too.
            if (plant_url_ && std::chrono::steady_clock::now() >= next_config_refresh) {
                const auto refresh =
                    refresh_from_plant(*repository, *plant_url_, std::chrono::seconds(10));
                if (!refresh.reached)
                    spdlog::debug("plant configuration not taken: {}", refresh.problem);
                next_config_refresh = std::chrono::steady_clock::now() + config_refresh_interval;
            }
        } catch (const std::exception& error) {
            // A fault of this attempt (database busy, plant fault): the runs
            // stay waiting and the next attempt comes after retry_interval.
            problem = error.what();
        }
        lock.lock();
        last_problem_ = problem;
        if (!problem.empty()) {
            spdlog::warn("plant forwarder: {}", problem);
            next_attempt = std::chrono::steady_clock::now() + retry_interval_;
        }
    }
}

}  // namespace mpobench::app
