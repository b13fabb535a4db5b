#include "app/run_lifecycle.hpp"

#include <fmt/format.h>

#include <exception>
#include <optional>

#include "analysis/grading.hpp"
#include "app/audit.hpp"
#include "app/cord_wear.hpp"
#include "app/exit_codes.hpp"
#include "app/journal.hpp"
#include "app/station_session.hpp"
#include "drivers/errors.hpp"
#include "vocabulary/logger.hpp"

namespace mpobench::app {

namespace {

acquisition::BenchHolder holder_of(const ProcedureRequest& request) {
    acquisition::BenchHolder holder;
    holder.station = request.station.name;
    holder.procedure = request.procedure;
    holder.operator_name = request.operator_name;
    holder.serial = request.serial;
    return holder;
}

// A run that has begun in the database and not yet ended. It ends once:
// complete() or abort(), or — when control leaves by an exception neither
// saw — aborted by the destructor.
class OpenRun {
  public:
    OpenRun(db::Repository& repository, RunRecord& run, std::function<std::string()> laser_off,
            std::function<int()> take_retries)
        : repository_(repository),
          run_(run),
          laser_off_(std::move(laser_off)),
          take_retries_(std::move(take_retries)),
          journal_(std::make_unique<BackgroundJournal>(repository, run.id)) {}

    // run() ends every run it catches the exception of; what reaches here
    // unended is an exception of no std::exception type.
    ~OpenRun() {
        if (!ended_)
            abort("ended by an exception that is not a std::exception");
    }
    OpenRun(const OpenRun&) = delete;
    OpenRun& operator=(const OpenRun&) = delete;

    acquisition::MeasurementSink& journal() { return *journal_; }

    // The journal drained, the laser off, `grade`, one transaction.
    // Throws what they throw; the run is then still open (abort() it).
    void complete(const RunLifecycle::Grade& grade) {
        journal_->flush();
        if (const auto failure = laser_off_(); !failure.empty())
            logger("bench")->error("run {}: {}", run_.id, failure);
        grade(run_);
        run_.retries = take_retries_();
        run_.status = RunStatus::Completed;
        run_.ended_at = std::chrono::system_clock::now();
        repository_.complete_run(run_);
        ended_ = true;
    }

    // The laser off, what the journal still holds stored, the run aborted
    // with `reason`. Never throws: what fails here is logged (a run whose
    // abort cannot be written stays `running` in the database until the
    // next open marks it interrupted).
    void abort(const std::string& reason) noexcept {
        ended_ = true;
        run_.status = RunStatus::Aborted;
        run_.reason = reason;
        run_.grade.reset();
        run_.pass = false;
        run_.ended_at = std::chrono::system_clock::now();
        if (const auto failure = laser_off_(); !failure.empty())
            logger("bench")->error("run {}: {}", run_.id, failure);
        run_.retries = take_retries_();
        try {
            journal_->flush();
        } catch (const std::exception& error) {
            logger("db")->error("run {}: measurements not journaled: {}", run_.id, error.what());
        }
        journal_.reset();  // the writer thread stops before the last transaction
        try {
            repository_.abort_run(run_.id, reason, run_.retries);
        } catch (const std::exception& error) {
            logger("db")->error("run {}: the abort could not be stored ({}): {}", run_.id, reason,
                                error.what());
            return;
        }
        logger("bench")->warn("run {}: aborted: {}", run_.id, reason);
    }

  private:
    db::Repository& repository_;
    RunRecord& run_;
    std::function<std::string()> laser_off_;
    std::function<int()> take_retries_;
    std::unique_ptr<BackgroundJournal> journal_;
    bool ended_ = false;
};

}  // namespace

void RunLifecycle::audit_act(const std::string& action, const nlohmann::json& detail) {
    if (request_.client_address.empty())
        audit_cli_act(repository_, action, request_.operator_name, detail);
    else
        audit_web_act(repository_, action, request_.operator_name, request_.client_address, detail);
}

RunLifecycle::RunLifecycle(ProcedureRequest request, db::Repository& repository)
    : request_(std::move(request)),
      repository_(repository),
      lock_(request_.station, holder_of(request_)),
      bench_(request_.station) {
    acquisition::throw_if_stopped(request_.stop);
    check_cord_wear(request_.station, repository_);
    bench_.set_stop_request(request_.stop);
    // A source a killed process left shining goes dark in its prepare().
    bench_.connect();
    bench_.check_calibration(today_iso());
    op_ = counting_cord_matings(
        request_.make_operator
            ? request_.make_operator()
            : acquisition::make_operator(bench_.station(), request_.operator_name, request_.stop),
        bench_.station(), repository_);
}

RunLifecycle::~RunLifecycle() {
    if (const auto failure = laser_off(); !failure.empty())
        logger("bench")->error("{}", failure);
}

std::string RunLifecycle::laser_off() noexcept {
    try {
        bench_.laser_off();
        return {};
    } catch (const std::exception& error) {
        return fmt::format("the laser could not be turned off: {}", error.what());
    }
}

void RunLifecycle::update_holder(std::int64_t run_id, const std::string& serial) {
    auto holder = lock_.holder();
    holder.run_id = run_id;
    holder.serial = serial;
    lock_.update(holder);
}

RunRecord RunLifecycle::run(RunRecord run, const Measure& measure, const Grade& grade) {
    acquisition::throw_if_stopped(request_.stop);
    run.station = bench_.station().name;
    run.operator_name = request_.operator_name;
    run.software_version = MPOBENCH_VERSION;
    run.started_at = std::chrono::system_clock::now();
    run.instruments = bench_.instruments();
    run.status = RunStatus::Running;
    try {
        // The MES gets this run and the ones after it, not the station's
        // whole record (README "Pushing results to the MES").
        if (bench_.station().mes_url)
            repository_.link_mes();
        run.id = repository_.begin_run(run);
    } catch (const db::DatabaseError& error) {
        throw StorageFault(
            fmt::format("the run of {} could not begin: {}", run.serial, error.what()));
    }
    update_holder(run.id, run.serial);
    logger("bench")->info("run {}: {} of {} ({})", run.id, request_.procedure, run.serial,
                          run.part.number);

    // The retries counted from here on are this run's (its record shows
    // them, and the per-run budget starts full).
    bench_.take_retries();
    OpenRun open(
        repository_, run, [this] { return laser_off(); }, [this] { return bench_.take_retries(); });
    // Each way out: an abort the run records and returns, or one it records
    // and passes on (another exit code than 3).
    try {
        audit_act("run.start", {{"run_id", run.id},
                                {"procedure", request_.procedure},
                                {"serial", run.serial},
                                {"part", run.part.number},
                                {"station", run.station}});
        measure(run, open.journal());
        open.complete(grade);
    } catch (const acquisition::TestAborted& error) {
        open.abort(error.what());
    } catch (const acquisition::Stopped& error) {
        open.abort(error.what());
    } catch (const acquisition::OperatorAbort& error) {
        open.abort(fmt::format("operator abort: {}", error.what()));
    } catch (const drivers::InstrumentError& error) {
        open.abort(error.what());
    } catch (const db::DatabaseError& error) {
        open.abort(fmt::format("storage fault: {}", error.what()));
    } catch (const analysis::CannotGrade& error) {
        // A record missing a fibre, a wavelength, an end or a required RL
        // is never graded: the run ends aborted with what is missing.
        open.abort(error.what());
    } catch (const acquisition::Refused& error) {
        open.abort(error.what());
        throw;
    } catch (const std::exception& error) {
        // A configuration error found late, or a fault of the program's
        // own: the run says what ended it, the command's exit code what it was.
        open.abort(error.what());
        throw;
    }
    if (run.status == RunStatus::Aborted) {
        // The run is recorded aborted whatever becomes of this entry.
        try {
            audit_act("run.abort",
                      {{"run_id", run.id}, {"serial", run.serial}, {"reason", run.reason}});
        } catch (const db::DatabaseError& error) {
            logger("db")->error("run {}: the audit entry of its abort was not written: {}", run.id,
                                error.what());
        }
    }
    if (run.status == RunStatus::Completed) {
        logger("bench")->info("run {}: {} grade {} ({})", run.id, run.serial,
                              run.grade ? to_string(*run.grade) : "-",
                              run.pass ? "pass" : "below target");
    }
    update_holder(0, request_.serial);
    return run;
}

Reference RunLifecycle::reference(const std::function<Reference()>& take) {
    acquisition::throw_if_stopped(request_.stop);
    std::optional<Reference> taken;
    try {
        taken = take();
    } catch (const std::exception&) {
        if (const auto failure = laser_off(); !failure.empty())
            logger("bench")->error("reference: {}", failure);
        throw;
    }
    if (const auto failure = laser_off(); !failure.empty())
        logger("bench")->error("reference: {}", failure);
    try {
        // The launch cord's wear as the reference found it (its plug into
        // the meter counted).
        if (const auto* cord = bench_.station().launch_cord();
            cord && cord->id == taken->launch_cord)
            taken->launch_cord_matings = repository_.cord_wear(cord->id).matings;
        taken->id = repository_.save_reference(*taken);
    } catch (const db::DatabaseError& error) {
        throw StorageFault(fmt::format("the reference could not be stored: {}", error.what()));
    }
    try {
        audit_act("reference.take", {{"reference_id", taken->id},
                                     {"station", taken->station},
                                     {"launch_cord", taken->launch_cord},
                                     {"mode", std::string(to_string(taken->mode))}});
    } catch (const db::DatabaseError& error) {
        throw StorageFault(fmt::format("reference {} is stored, but its audit entry was not: {}",
                                       taken->id, error.what()));
    }
    return *taken;
}

void RunLifecycle::measure_without_run(const std::function<void()>& measure) {
    acquisition::throw_if_stopped(request_.stop);
    try {
        measure();
    } catch (const std::exception&) {
        if (const auto failure = laser_off(); !failure.empty())
            logger("bench")->error("{}: {}", request_.procedure, failure);
        throw;
    }
    if (const auto failure = laser_off(); !failure.empty())
        logger("bench")->error("{}: {}", request_.procedure, failure);
}

int run_exit_code(const RunRecord& run) {
    if (run.status != RunStatus::Completed)
        return kAborted;
    return run.pass ? kPassed : kBelowTarget;
}

}  // namespace mpobench::app
