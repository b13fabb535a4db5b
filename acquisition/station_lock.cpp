#include "acquisition/station_lock.hpp"

#include <fcntl.h>
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <netdb.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <set>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "drivers/resource.hpp"
#include "vocabulary/logger.hpp"

namespace mpobench::acquisition {

namespace {

// The numeric address a host name resolves to first, or the name as given
// (lower case) when it does not resolve: "localhost" and "127.0.0.1" are one
// instrument.
std::string canonical_host(const std::string& host) {
    std::string lower = host;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (::getaddrinfo(lower.c_str(), nullptr, &hints, &found) != 0 || found == nullptr)
        return lower;
    char numeric[NI_MAXHOST] = {};
    const int named = ::getnameinfo(found->ai_addr, found->ai_addrlen, numeric, sizeof numeric,
                                    nullptr, 0, NI_NUMERICHOST);
    ::freeaddrinfo(found);
    return named == 0 ? std::string(numeric) : lower;
}

// A file name for a key: its readable characters, then a hash of the
// whole key so that two keys never share a file.
std::string lock_file_name(const std::string& key) {
    std::uint32_t hash = 2166136261u;  // FNV-1a
    std::string readable;
    for (const char c : key) {
        hash = (hash ^ static_cast<unsigned char>(c)) * 16777619u;
        const bool plain = std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-';
        readable += plain ? c : '_';
    }
    if (readable.size() > 80)
        readable.resize(80);
    return fmt::format("{}-{:08x}.lock", readable, hash);
}

// The holder as one JSON object: a reader of the lock file (a person, the
// refused caller) gets every field back whatever characters it holds.
std::string holder_text(const BenchHolder& holder) {
    const auto since_s =
        std::chrono::duration_cast<std::chrono::seconds>(holder.since.time_since_epoch()).count();
    const nlohmann::json fields = {{"station", holder.station}, {"procedure", holder.procedure},
                                   {"run_id", holder.run_id},   {"operator", holder.operator_name},
                                   {"serial", holder.serial},   {"since", since_s},
                                   {"pid", holder.pid}};
    // Invalid UTF-8 is replaced, not thrown: a name is shown, never refused here.
    return fields.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

// What a lock file says; nullopt when it is empty or half written.
std::optional<BenchHolder> read_holder(int fd) {
    std::string text;
    char chunk[512];
    off_t offset = 0;
    while (true) {
        const ssize_t got = ::pread(fd, chunk, sizeof chunk, offset);
        if (got <= 0)
            break;
        text.append(chunk, static_cast<std::size_t>(got));
        offset += got;
    }
    const auto fields = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (!fields.is_object())
        return std::nullopt;
    const auto whole = [&](const char* key) -> std::optional<long long> {
        const auto found = fields.find(key);
        if (found == fields.end() || !found->is_number_integer())
            return std::nullopt;
        return found->get<long long>();
    };
    const auto text_of = [&](const char* key) {
        const auto found = fields.find(key);
        return found != fields.end() && found->is_string() ? found->get<std::string>()
                                                           : std::string();
    };
    const auto pid = whole("pid");
    const auto since = whole("since");
    const auto run_id = whole("run_id");
    if (!pid || !since || !run_id)
        return std::nullopt;
    BenchHolder holder;
    holder.station = text_of("station");
    holder.procedure = text_of("procedure");
    holder.run_id = *run_id;
    holder.operator_name = text_of("operator");
    holder.serial = text_of("serial");
    holder.since = std::chrono::system_clock::time_point(std::chrono::seconds(*since));
    holder.pid = *pid;
    return holder;
}

bool usable_directory(const std::filesystem::path& directory) {
    std::error_code error;
    if (!std::filesystem::is_directory(directory, error)) {
        std::filesystem::create_directories(directory, error);
        if (error)
            return false;
        // Shared by every user of the machine, like /tmp: anyone may add a
        // lock file, only its owner remove it.
        ::chmod(directory.c_str(), 01777);
    }
    return ::access(directory.c_str(), W_OK | X_OK) == 0;
}

}  // namespace

std::string resource_lock_key(const std::string& resource) {
    drivers::Resource parsed;
    try {
        parsed = drivers::parse_resource(resource);
    } catch (const std::invalid_argument&) {
        return "resource:" + resource;
    }
    if (const auto* tcp = std::get_if<drivers::TcpSocketResource>(&parsed))
        return fmt::format("tcp:{}:{}", canonical_host(tcp->host), tcp->port);
    const auto& serial = std::get<drivers::SerialResource>(parsed);
    std::error_code error;
    const auto real = std::filesystem::canonical(serial.device, error);
    return "serial:" + (error ? serial.device : real.string());
}

std::filesystem::path bench_lock_directory() {
    if (const char* configured = std::getenv("MPOBENCH_LOCK_DIR"); configured && *configured) {
        const std::filesystem::path directory(configured);
        if (!usable_directory(directory)) {
            throw StationFileError(fmt::format(
                "MPOBENCH_LOCK_DIR={}: not a directory this user can create lock files in",
                directory.string()));
        }
        return directory;
    }
    const std::filesystem::path run_lock("/run/lock/mpobench");
    if (usable_directory(run_lock))
        return run_lock;
    const std::filesystem::path shared = std::filesystem::temp_directory_path() / "mpobench-locks";
    if (!usable_directory(shared)) {
        throw StationFileError(
            fmt::format("no usable lock directory: neither {} nor {} can hold lock files (set "
                        "MPOBENCH_LOCK_DIR)",
                        run_lock.string(), shared.string()));
    }
    return shared;
}

std::string busy_message(const std::string& station_name, const BenchHolder& holder) {
    const std::string who = holder.serial.empty()
                                ? holder.operator_name
                                : fmt::format("{}, {}", holder.operator_name, holder.serial);
    // A run once it has begun; before that (and for a reference, identify)
    // the procedure.
    const std::string what =
        holder.run_id > 0
            ? fmt::format("{} {} ({})", holder.procedure == "repeat" ? "repeatability run" : "run",
                          holder.run_id, who)
            : fmt::format("{} ({})", holder.procedure, who);
    std::string where = fmt::format("pid {}", holder.pid);
    if (holder.station != station_name)
        where += fmt::format(", station {} on the same instruments", holder.station);
    return fmt::format("station {} busy: {} since {:%H:%M} ({})", station_name, what,
                       fmt::localtime(std::chrono::system_clock::to_time_t(holder.since)), where);
}

std::optional<BenchHolder> bench_holder(const StationConfig& station,
                                        const std::filesystem::path& directory) {
    std::set<std::string> keys;
    for (const auto& instrument : station.instruments)
        keys.insert(resource_lock_key(instrument.resource));
    for (const auto& key : keys) {
        const auto path = directory / lock_file_name(key);
        const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
            continue;
        const auto holder = read_holder(fd);
        ::close(fd);
        // A killed holder's file still names it: only a live process holds.
        if (holder && (::kill(static_cast<pid_t>(holder->pid), 0) == 0 || errno == EPERM))
            return holder;
    }
    return std::nullopt;
}

StationLock::StationLock(const StationConfig& station, BenchHolder holder,
                         const std::filesystem::path& directory)
    : holder_(std::move(holder)) {
    if (holder_.station.empty())
        holder_.station = station.name;
    if (holder_.since == std::chrono::system_clock::time_point{})
        holder_.since = std::chrono::system_clock::now();
    if (holder_.pid == 0)
        holder_.pid = static_cast<long long>(::getpid());

    // Sorted and without repeats: every process takes them in one order,
    // and two modules on one resource share one lock.
    std::set<std::string> keys;
    for (const auto& instrument : station.instruments)
        keys.insert(resource_lock_key(instrument.resource));

    for (const auto& key : keys) {
        const auto path = directory / lock_file_name(key);
        while (true) {
            const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0666);
            if (fd < 0) {
                const int error = errno;
                release();
                throw StationFileError(
                    fmt::format("station {}: cannot open the lock file {} of {}: {}", station.name,
                                path.string(), key, std::strerror(error)));
            }
            // Any user of the machine may lock this instrument after us.
            ::fchmod(fd, 0666);
            if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
                const int error = errno;
                if (error == EWOULDBLOCK) {
                    const auto owner = read_holder(fd);
                    ::close(fd);
                    release();
                    const std::string message =
                        owner ? busy_message(station.name, *owner)
                              : fmt::format("station {} busy: another mpobench is starting on {}",
                                            station.name, key);
                    throw StationBusy(message, owner);
                }
                ::close(fd);
                release();
                throw StationFileError(fmt::format("station {}: cannot lock {} ({}): {}",
                                                   station.name, path.string(), key,
                                                   std::strerror(error)));
            }
            // A holder removes its file when it lets go; one we opened just
            // before that is no longer the lock others see: open it again.
            struct stat opened {};
            struct stat named {};
            if (::fstat(fd, &opened) == 0 && ::stat(path.c_str(), &named) == 0 &&
                opened.st_ino == named.st_ino && opened.st_dev == named.st_dev) {
                held_.push_back({path, fd});
                break;
            }
            ::close(fd);
        }
    }
    write_holder();
    logger("bench")->debug("station {}: {} lock(s) held in {}", station.name, held_.size(),
                           directory.string());
}

StationLock::~StationLock() {
    release();
}

void StationLock::update(const BenchHolder& holder) {
    holder_ = holder;
    write_holder();
}

std::vector<std::filesystem::path> StationLock::files() const {
    std::vector<std::filesystem::path> out;
    for (const auto& held : held_)
        out.push_back(held.path);
    return out;
}

void StationLock::write_holder() {
    const std::string text = holder_text(holder_);
    for (const auto& held : held_) {
        // Best effort: the lock itself is the flock; a holder that cannot
        // say who it is still holds the bench.
        if (::ftruncate(held.fd, 0) != 0 ||
            ::pwrite(held.fd, text.data(), text.size(), 0) != static_cast<ssize_t>(text.size())) {
            logger("bench")->warn("cannot write who holds the bench into {}: {}",
                                  held.path.string(), std::strerror(errno));
        }
    }
}

void StationLock::release() noexcept {
    // Removed while still held (a process that opened it meanwhile sees the
    // name gone and opens a new one), then closing drops the flock. Where
    // another user made the file, the sticky directory keeps it: it is
    // emptied instead, so no later reader takes us for the holder.
    for (const auto& held : held_) {
        if (::unlink(held.path.c_str()) != 0 && ::ftruncate(held.fd, 0) != 0) {
            logger("bench")->debug("cannot remove or empty {}: {}", held.path.string(),
                                   std::strerror(errno));
        }
        ::close(held.fd);
    }
    held_.clear();
}

}  // namespace mpobench::acquisition
