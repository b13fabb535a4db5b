#pragma once
// Store-and-forward to the plant database (README "The plant database"):
// the station's outbox drained in order, by `mpobench sync`, by a detached
// forwarder each `mpobench test` starts, and by `mpobench serve`'s thread.
// The operator never waits on the network; an unreachable plant leaves the
// runs waiting, nothing is lost.

#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "acquisition/station.hpp"
#include "app/mes.hpp"
#include "db/repository.hpp"

namespace mpobench::app {

struct RefusedRun {
    std::int64_t run_id = 0;
    std::string run_uuid;
    std::string reason;  // the plant's
};

struct ForwardReport {
    std::string plant;  // "host:port/database" once connected
    int stored = 0;
    int present = 0;  // the plant had them already (a replay)
    std::vector<RefusedRun> refused;
    // Why the plant could not be reached, or was lost mid-way.
    std::optional<std::string> unreachable;
    db::OutboxSummary left;  // the outbox afterwards
};

// The entry's payload (form 2, app/plant_payload.hpp) built and kept in the outbox
// if it has none yet; what the plant and the MES are sent.
void keep_payload(db::Repository& repository, db::OutboxEntry& entry);

// Forwards every waiting run, oldest first, until the outbox holds none but
// refused ones. Runs that end meanwhile are forwarded too. Throws
// db::plant::PlantUrlError for a bad connection string, db::plant::PlantError
// for a plant fault that is not a lost connection, db::DatabaseError.
ForwardReport forward_outbox(db::Repository& repository, const std::string& url);

// A plant connection string given on the command line, checked: one libpq
// cannot parse, or one holding a password, is a UsageError.
void check_plant_url(const std::string& url);
// The station file's [plant] url, checked (a connection string libpq cannot
// parse, or one holding a password, is a UsageError naming the file).
std::optional<std::string> plant_url_of(const acquisition::StationConfig& station);

// Held while a station database's outbox is drained: one forwarder per
// database at a time, across processes (flock on DB.forward-lock); blocks
// until the one before has finished.
class ForwardLock {
  public:
    explicit ForwardLock(const std::filesystem::path& db);
    ~ForwardLock();
    ForwardLock(const ForwardLock&) = delete;
    ForwardLock& operator=(const ForwardLock&) = delete;

  private:
    int descriptor_ = -1;
};

// Starts `mpobench sync --background --db DB --station FILE` detached from
// this process (its own session, no terminal, stdio on /dev/null; it logs to
// the log file): the command that started it exits without waiting for it.
// It forwards to the station file's plant and pushes to its MES. Throws
// std::system_error when the process cannot be started.
void start_background_forward(const std::filesystem::path& db,
                              const std::filesystem::path& station_file);

// After a command that ended runs: starts the background forwarder when the
// station has a plant or an MES. A forwarder that cannot be started is a warning on
// stderr, not a failure: the runs wait in the outbox for the next one.
void forward_in_background(const acquisition::StationConfig& station,
                           const std::filesystem::path& db, std::string_view command);

// "plant: 3 runs waiting since 2026-12-07T18:30:00.000Z" or "plant: every
// ended run forwarded (last 2026-…)" for identify.
std::string plant_status_text(const db::OutboxSummary& summary);

// `mpobench serve`'s forwarder: looks at the outbox every poll interval,
// drains it to the plant and pushes it to the MES when runs wait; after a
// failure waits retry_interval first.
class BackgroundForwarder {
  public:
    // plant_url, mes: where to (at least one).
    BackgroundForwarder(std::filesystem::path db, std::optional<std::string> plant_url,
                        std::optional<MesSettings> mes, std::chrono::milliseconds retry_interval);
    ~BackgroundForwarder();  // stops the thread (a drain in progress finishes its batch)
    BackgroundForwarder(const BackgroundForwarder&) = delete;
    BackgroundForwarder& operator=(const BackgroundForwarder&) = delete;

    // The last attempt's problem (unreachable plant, refused run); empty
    // when it went through.
    std::string last_problem() const;

  private:
    void run();

    const std::filesystem::path db_;
    const std::optional<std::string> plant_url_;
    const std::optional<MesSettings> mes_;
    const std::chrono::milliseconds retry_interval_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::string last_problem_;
    std::thread thread_;
};

}  // namespace mpobench::app
