#include "app/labels.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>

#include "app/audit.hpp"
#include "app/certificates.hpp"
#include "app/guarded.hpp"
#include "drivers/errors.hpp"
#include "drivers/tcp_transport.hpp"
#include "reports/errors.hpp"
#include "reports/label.hpp"
#include "vocabulary/logger.hpp"

namespace mpobench::app {

namespace {

constexpr std::chrono::milliseconds kConnectTimeout{5000};
constexpr std::chrono::milliseconds kWriteTimeout{5000};

// A file descriptor closed on every path.
class Descriptor {
  public:
    explicit Descriptor(int fd) : fd_(fd) {}
    ~Descriptor() {
        if (fd_ >= 0)
            ::close(fd_);
    }
    Descriptor(const Descriptor&) = delete;
    Descriptor& operator=(const Descriptor&) = delete;
    int get() const { return fd_; }
    // Closes now, so a failing close (a full NFS disk) is seen.
    int close() {
        const int result = ::close(fd_);
        fd_ = -1;
        return result;
    }

  private:
    int fd_;
};

void write_all(int fd, std::string_view bytes, const std::string& what) {
    while (!bytes.empty()) {
        const ssize_t written = ::write(fd, bytes.data(), bytes.size());
        if (written < 0) {
            if (errno == EINTR)
                continue;
            throw LabelDeliveryError(fmt::format("{}: {}", what, std::strerror(errno)));
        }
        bytes.remove_prefix(static_cast<std::size_t>(written));
    }
}

void send_tcp(const acquisition::LabelDestination& destination, std::string_view zpl) {
    drivers::TcpTransport transport({0, destination.host, destination.port}, kConnectTimeout);
    try {
        transport.open();
        transport.write(zpl, drivers::Transport::Clock::now() + kWriteTimeout);
        transport.close();
    } catch (const drivers::TransportError& error) {
        throw LabelDeliveryError(fmt::format("{}: {}", destination.text, error.what()));
    }
}

void append_to_file(const acquisition::LabelDestination& destination, std::string_view zpl) {
    const std::string what =
        fmt::format("{}: cannot write {}", destination.text, destination.file.string());
    Descriptor fd(
        ::open(destination.file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
    if (fd.get() < 0)
        throw LabelDeliveryError(fmt::format("{}: {}", what, std::strerror(errno)));
    write_all(fd.get(), zpl, what);
    if (::fsync(fd.get()) != 0 || fd.close() != 0)
        throw LabelDeliveryError(fmt::format("{}: {}", what, std::strerror(errno)));
}

// lp reads the label from a temporary file: `lp -d QUEUE -o raw -- FILE`,
// run without a shell so no name is interpreted.
void send_to_lp(const acquisition::LabelDestination& destination, std::string_view zpl) {
    const auto found = find_printer();
    if (!found) {
        throw LabelDeliveryError(fmt::format(
            "{}: lp not found (install the CUPS client, cups-client)", destination.text));
    }
    const std::filesystem::path lp = *found;
    std::error_code no_temp;
    const auto temp = std::filesystem::temp_directory_path(no_temp);
    if (no_temp) {
        throw LabelDeliveryError(fmt::format("{}: no temporary directory for the label file: {}",
                                             destination.text, no_temp.message()));
    }
    std::string name = (temp / "mpobench-label-XXXXXX").string();
    Descriptor fd(::mkstemp(name.data()));
    if (fd.get() < 0) {
        throw LabelDeliveryError(fmt::format("{}: cannot create a temporary file: {}",
                                             destination.text, std::strerror(errno)));
    }
    struct Remove {
        const std::string& path;
        ~Remove() { ::unlink(path.c_str()); }
    } remove{name};
    write_all(fd.get(), zpl, destination.text + ": writing the temporary label file");
    if (fd.close() != 0) {
        throw LabelDeliveryError(fmt::format("{}: writing the temporary label file: {}",
                                             destination.text, std::strerror(errno)));
    }
    const pid_t child = ::fork();
    if (child < 0)
        throw LabelDeliveryError(
            fmt::format("{}: fork failed: {}", destination.text, std::strerror(errno)));
    if (child == 0) {
        ::execl(lp.c_str(), "lp", "-d", destination.queue.c_str(), "-o", "raw", "--", name.c_str(),
                static_cast<char*>(nullptr));
        ::_exit(127);
    }
    int status = 0;
    while (::waitpid(child, &status, 0) < 0) {
        if (errno != EINTR)
            throw LabelDeliveryError(fmt::format("{}: waiting for {}: {}", destination.text,
                                                 lp.string(), std::strerror(errno)));
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        throw LabelDeliveryError(fmt::format("{}: {} exited with status {}", destination.text,
                                             lp.string(),
                                             WIFEXITED(status) ? WEXITSTATUS(status) : -1));
    }
}

}  // namespace

void send_label(const acquisition::LabelDestination& destination, std::string_view zpl) {
    switch (destination.kind) {
        case acquisition::LabelDestination::Kind::Tcp:
            send_tcp(destination, zpl);
            return;
        case acquisition::LabelDestination::Kind::File:
            append_to_file(destination, zpl);
            return;
        case acquisition::LabelDestination::Kind::Lp:
            send_to_lp(destination, zpl);
            return;
    }
}

LabelOutcome print_run_label(db::Repository& repository, std::int64_t run_id,
                             const acquisition::LabelDestination& destination,
                             const std::string& operator_name, const std::string& command,
                             const reports::SiteClock& clock) {
    const auto run = repository.run(run_id);
    if (!run)
        throw reports::ReportError(fmt::format("there is no run {} in the database", run_id));
    const auto hash = repository.record_hash(run_id);
    // Refuses a run that did not pass before anything is sent or recorded.
    reports::BagLabel label = reports::bag_label_of(*run, hash.value_or(""), clock);
    LabelOutcome outcome;
    outcome.run_id = run_id;
    outcome.destination = destination.text;
    outcome.reprint = repository.label_printed(run_id);
    label.reprint = outcome.reprint;
    try {
        send_label(destination, reports::bag_label_zpl(label));
    } catch (const reports::ReportError& error) {
        outcome.error = error.what();
        outcome.content_error = true;
    } catch (const LabelDeliveryError& error) {
        outcome.error = error.what();
    }
    db::LabelPrint print;
    print.run_id = run_id;
    print.destination = destination.text;
    print.reprint = outcome.reprint;
    print.operator_name = operator_name;
    print.command = command;
    print.error = outcome.error;
    repository.record_label_print(print);
    audit_cli_act(repository, "label.print", operator_name,
                  {{"run_id", run_id},
                   {"serial", run->serial},
                   {"destination", destination.text},
                   {"reprint", outcome.reprint},
                   {"printed", !outcome.error}});
    if (outcome.error) {
        // info, not warn: the command reports it on stderr itself.
        logger("app")->info("label of run {} ({}) not printed: {}", run_id, run->serial,
                            *outcome.error);
    } else {
        logger("app")->info("label of run {} ({}) sent to {}{}", run_id, run->serial,
                            destination.text, outcome.reprint ? " (reprint)" : "");
    }
    return outcome;
}

}  // namespace mpobench::app
