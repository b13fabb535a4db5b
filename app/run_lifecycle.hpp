#pragma once
// The run lifecycle (DESIGN.md §1): every procedure — reference, test,
// repeat, and each assembly of a demo — runs inside one, like a test
// executive's process model. In order:
//
//   1. the station lock (acquisition::StationLock): a busy bench refuses
//      (acquisition::StationBusy, exit 4) before any instrument is touched;
//   2. the bench connected (every laser dark) and its calibration checked,
//      the operator made; the stop request given to both;
//   3. per run: begin the run in the database, journal each measurement as
//      it is taken, turn the laser off when measuring is over, and end the
//      run exactly once — completed (graded) or aborted with its reason —
//      whatever way control leaves: an instrument fault, the operator, a
//      signal, a database error, any other exception;
//   4. the laser off and the lock released when the lifecycle goes.
//
// It knows nothing of terminals or command lines: the CLI and the web
// server both run procedures through it.

#include <functional>
#include <memory>
#include <stdexcept>
#include <string>

#include "acquisition/bench.hpp"
#include "acquisition/operator.hpp"
#include "acquisition/procedures.hpp"
#include "acquisition/station_lock.hpp"
#include "acquisition/stop.hpp"
#include "db/repository.hpp"

#include <nlohmann/json.hpp>

namespace mpobench::app {

// The database failed after the procedure began (disk full, I/O error, a
// write refused): a storage fault, exit 3 — unlike a database path that
// cannot be opened before anything starts, which is bad input (exit 2).
class StorageFault : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

struct ProcedureRequest {
    acquisition::StationConfig station;
    std::string procedure;  // "test", "repeat", "reference", "demo": what the lock file says
    std::string operator_name;
    std::string serial;  // the assembly, when the procedure has one
    // Looked at between instrument operations and while waiting for the
    // operator (a signal, a stop button); may be null.
    const acquisition::StopRequest* stop = nullptr;
    // Where the request came from, for the audit log: empty for this
    // command line; the web client's address for the web server.
    std::string client_address;
    // Makes the operator the steps are asked of; empty: the one the station
    // file names (acquisition::make_operator). The web server gives its page's.
    std::function<std::unique_ptr<acquisition::Operator>()> make_operator;
};

class RunLifecycle {
  public:
    // Steps 1 and 2 above. Throws acquisition::StationBusy (the lock),
    // acquisition::Stopped (asked to stop before connecting), and what
    // Bench::connect and check_calibration throw.
    RunLifecycle(ProcedureRequest request, db::Repository& repository);
    // The laser off (a failure is logged), then the lock released.
    ~RunLifecycle();
    RunLifecycle(const RunLifecycle&) = delete;
    RunLifecycle& operator=(const RunLifecycle&) = delete;

    acquisition::Bench& bench() { return bench_; }
    acquisition::Operator& op() { return *op_; }
    const std::string& operator_name() const { return request_.operator_name; }
    const acquisition::StationConfig& station() const { return bench_.station(); }
    db::Repository& repository() { return repository_; }

    // Measures `run` into its record through the journal sink.
    using Measure = std::function<void(RunRecord& run, acquisition::MeasurementSink& journal)>;
    // Grades the measured record (and stores what grading needs, such as
    // the limit set); throwing aborts the run with the reason.
    using Grade = std::function<void(RunRecord& run)>;

    // One run (step 3): `run` as the caller filled it (kind, serial, part,
    // reference); station, operator, software version, start time and
    // instruments are filled in here. Returns the record as it ended:
    // completed, or aborted with the reason (an instrument or operator
    // abort, a stop request, a storage fault, a grading that could not be
    // made). Exceptions that mean something other than "aborted" are
    // rethrown after the run is recorded aborted with their message:
    // acquisition::Refused (exit 4), acquisition::BenchConfigurationError
    // (exit 2), and any other std::exception. A run whose begin fails
    // throws StorageFault (no run exists).
    RunRecord run(RunRecord run, const Measure& measure, const Grade& grade);

    // A reference (step 3 without a run row): taken by `take`, the laser
    // off, then stored; its id filled in. Whatever `take` throws goes on
    // after the laser is off; a store that fails is a StorageFault.
    Reference reference(const std::function<Reference()>& take);

    // A measurement that makes no run (a golden check): `measure` inside the
    // lock, the laser off after it whatever way it ends; what it throws goes on.
    void measure_without_run(const std::function<void()>& measure);

  private:
    void update_holder(std::int64_t run_id, const std::string& serial);
    // An audit entry as the command line's or as the web client's.
    void audit_act(const std::string& action, const nlohmann::json& detail);
    // Turns the laser off; the failure, if any, as text (empty: it is off).
    std::string laser_off() noexcept;

    ProcedureRequest request_;
    db::Repository& repository_;
    acquisition::StationLock lock_;  // before the bench: taken before any instrument is touched
    acquisition::Bench bench_;
    std::unique_ptr<acquisition::Operator> op_;
};

// The exit code of a run as it ended (DESIGN.md §6): 0 passed, 1 below
// target, 3 aborted.
int run_exit_code(const RunRecord& run);

}  // namespace mpobench::app
