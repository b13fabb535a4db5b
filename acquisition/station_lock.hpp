#pragma once
// One procedure per bench at a time, across processes (DESIGN.md §8).
//
// The lock belongs to the instruments, not to a station file: every
// instrument resource of the station has a lock file, named after the
// resource normalised (TCP: the resolved host address and port; serial: the
// device's real path), so two station files naming one instrument contend
// for it, and two instruments on one resource (modules of one mainframe)
// share one. All of a station's locks are taken at once, in sorted order,
// without waiting (flock(2), LOCK_NB): the second caller is refused at
// once, before it touches any instrument. The kernel drops an flock with
// its process, so a killed test never leaves a bench locked.
//
// The holder writes who it is into each lock file; a refused caller reads
// it back for its message: "station NAME busy: run 17 (ana, SN1) since 14:02".

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "acquisition/bench.hpp"
#include "acquisition/station.hpp"

namespace mpobench::acquisition {

// Who holds a bench: what the holder writes, what a refused caller reads.
struct BenchHolder {
    std::string station;      // the holder's station name
    std::string procedure;    // "test", "repeat", "reference", "identify", "demo"
    std::int64_t run_id = 0;  // 0 until the run has begun (a reference has none)
    std::string operator_name;
    std::string serial;  // empty for a reference or identify
    std::chrono::system_clock::time_point since{};
    long long pid = 0;
};

// The lock is held: exit 4 like every refusal. holder() is what the lock
// file said (nullopt when it could not be read: the holder was still
// writing it).
class StationBusy : public Refused {
  public:
    StationBusy(const std::string& what, std::optional<BenchHolder> holder)
        : Refused(what), holder_(std::move(holder)) {}
    const std::optional<BenchHolder>& holder() const { return holder_; }

  private:
    std::optional<BenchHolder> holder_;
};

// The key of one instrument resource, the same for every spelling of it:
// "tcp:127.0.0.1:5025", "serial:/dev/ttyUSB0". A resource that does not
// parse is its own key.
std::string resource_lock_key(const std::string& resource);

// The lock directory: $MPOBENCH_LOCK_DIR when set, else /run/lock/mpobench
// when it exists or can be made and is writable, else /tmp/mpobench-locks
// (one per machine, open to every user like /tmp). Made when missing.
// Throws StationFileError when the chosen directory cannot be used.
std::filesystem::path bench_lock_directory();

// "station NAME busy: run 17 (ana, SN1) since 14:02 (pid 4242)": the run
// once it has begun ("repeatability run" for a repeat), otherwise the
// procedure ("reference (ana)", "test (ana, SN1)" before its run begins).
std::string busy_message(const std::string& station_name, const BenchHolder& holder);

// Who holds `station`'s bench as its lock files say, without taking or
// waiting for any lock (a screen showing "busy: ana, SN1 since 14:02"):
// nullopt when no file names a holder whose process is alive.
std::optional<BenchHolder> bench_holder(
    const StationConfig& station, const std::filesystem::path& directory = bench_lock_directory());

class StationLock {
  public:
    // Takes the lock of every instrument resource of `station` in
    // `directory`, or none: throws StationBusy naming the holder when one
    // is held. holder.station, since and pid are filled in when empty.
    // Throws StationFileError when a lock file cannot be made.
    StationLock(const StationConfig& station, BenchHolder holder,
                const std::filesystem::path& directory = bench_lock_directory());
    ~StationLock();  // releases every lock
    StationLock(const StationLock&) = delete;
    StationLock& operator=(const StationLock&) = delete;

    // Rewrites who holds the bench (the run id once the run has begun).
    void update(const BenchHolder& holder);
    const BenchHolder& holder() const { return holder_; }
    // The lock files held, sorted.
    std::vector<std::filesystem::path> files() const;

  private:
    struct Held {
        std::filesystem::path path;
        int fd = -1;
    };
    void write_holder();
    void release() noexcept;

    BenchHolder holder_;
    std::vector<Held> held_;
};

}  // namespace mpobench::acquisition
