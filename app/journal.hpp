#pragma once
// Journals measurements into the database from a writer thread, so a
// commit (an fsync with synchronous=FULL) never waits on the measurement
// path. flush() before the run's final transaction makes every measurement
// taken so far durable. A write that fails (disk full, database error)
// stops the journal: the next measurement handed to it throws that error,
// so the run aborts at once with the database's message instead of
// measuring on unrecorded until the end of the sweep.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>

#include "acquisition/procedures.hpp"
#include "db/repository.hpp"

namespace mpobench::app {

class BackgroundJournal final : public acquisition::MeasurementSink {
  public:
    BackgroundJournal(db::Repository& repository, std::int64_t run_id);
    ~BackgroundJournal() override;  // flushes

    // Queues the measurement; throws the write failure (db::DatabaseError)
    // once one happened.
    void on_measurement(const Measurement& measurement) override;
    // Waits until every queued measurement is committed; rethrows a write failure.
    void flush();

  private:
    void write_loop();

    db::Repository& repository_;
    std::int64_t run_id_;
    std::mutex mutex_;
    std::condition_variable changed_;
    std::deque<Measurement> queue_;
    bool writing_ = false;
    bool stopping_ = false;
    std::exception_ptr failure_;
    std::thread writer_;
};

}  // namespace mpobench::app
