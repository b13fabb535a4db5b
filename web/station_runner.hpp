#pragma once
// The station's bench as the web server drives it: one procedure at a time
// (a test or a reference) on a thread of its own, inside the same run
// lifecycle as the CLI (station lock, journal, laser off, an abort recorded
// whatever way it ends), with the page as its operator. Its state — what
// runs, each measurement as it is taken, the prompt waiting for a person,
// the result — is one JSON object with a sequence number that grows with
// every change; any number of pages watch it, and the last result stays
// until the next start.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "acquisition/bench.hpp"
#include "acquisition/operator.hpp"
#include "acquisition/parts.hpp"
#include "acquisition/procedures.hpp"
#include "acquisition/station.hpp"
#include "acquisition/stop.hpp"
#include "analysis/limits.hpp"
#include "reports/site.hpp"
#include "vocabulary/run_record.hpp"

namespace mpobench::web {

// This server is running a procedure already, or the CLI holds the bench.
class RunnerBusy : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// An answer to a prompt when none is open; a prompt or abort from a session
// that may not give it.
class PromptError : public std::runtime_error {
  public:
    PromptError(const std::string& what, bool forbidden)
        : std::runtime_error(what), forbidden_(forbidden) {}
    bool forbidden() const { return forbidden_; }

  private:
    bool forbidden_;
};

struct StationSetup {
    acquisition::StationConfig station;
    std::filesystem::path db_path;
    // --parts FILE; empty: the plant's catalogue as last fetched, else the
    // default one (app::catalogue_in_use, read at each test start).
    std::filesystem::path parts_option;
    analysis::LimitSet limits;
    reports::Site site;
    // The server's own stop (SIGINT/SIGTERM); may be null.
    const acquisition::StopRequest* server_stop = nullptr;
    // `limits` came from --limits FILE: every test grades with them. Otherwise
    // each test start reads the limit set in use (app::limits_in_use): an
    // activation applies to the next test, never to one running.
    bool limits_given = false;
};

struct Starter {
    std::string user;     // the logged-in user: the run's operator
    std::string session;  // the session token that started it
    std::string address;  // the client's, for the audit log
};

class StationRunner {
  public:
    explicit StationRunner(StationSetup setup);
    // A procedure still running is asked to stop ("web server stopping") and joined.
    ~StationRunner();
    StationRunner(const StationRunner&) = delete;
    StationRunner& operator=(const StationRunner&) = delete;

    const StationSetup& setup() const { return setup_; }

    // Checks as `mpobench test` does (part, serial, reference, golden check,
    // retest policy), starts the test and returns its run id once the run
    // has begun. Throws what those checks throw (PartCatalogueError,
    // IdentifierError, Refused, UsageError), RunnerBusy, and what the
    // lifecycle throws before the run begins (StationBusy, Refused,
    // BenchConfigurationError, an instrument error).
    std::int64_t start_test(const Starter& starter, const std::string& part_number,
                            const std::string& serial, const std::string& retest_reason);
    // A reference for `mode` with every position the bench has; returns once
    // the bench is connected (the reference goes on).
    void start_reference(const Starter& starter, FiberMode mode);

    // The page's answer to the open prompt. `may_override`: a qa/admin
    // session may answer another's. Throws PromptError.
    void answer_prompt(const std::string& session, bool may_override, bool done);
    // The stop button: the procedure stops between instrument operations,
    // the run is recorded aborted. Throws PromptError when nothing runs or
    // the session may not.
    void abort(const std::string& session, bool may_override, const std::string& user);

    // The state as GET /api/tests/current gives it.
    nlohmann::json state() const;
    // Waits until the sequence passes `seen` or `timeout` passes; returns the
    // sequence then.
    std::uint64_t wait_for_change(std::uint64_t seen, std::chrono::milliseconds timeout) const;
    // Wakes every waiter for good (the server is stopping).
    void wake_all();
    bool shutting_down() const;

    // Connects to the bench once, inside its lock, for the instruments' own
    // *IDN? answers (the station header's model and serial), on a thread of
    // its own: the server answers meanwhile. A bench busy or unreachable is
    // logged and shown as such.
    void identify_in_background();
    // The instruments as they last answered (at start, and at each
    // procedure's connect), and what went wrong the last time, if anything.
    std::vector<InstrumentRecord> identified_instruments() const;
    std::string identify_problem() const;

    // What the bench is doing right now for GET /api/station: nullopt when idle.
    std::optional<nlohmann::json> procedure_holder() const;

    // Used by the page operator (station_runner.cpp): blocks until the page answers.
    void ask_operator(acquisition::OperatorStep step, const std::string& context);

  private:
    class Stop final : public acquisition::StopRequest {
      public:
        explicit Stop(const StationRunner& runner) : runner_(runner) {}
        std::optional<std::string> reason() const override;

      private:
        const StationRunner& runner_;
    };

    std::unique_ptr<acquisition::Operator> make_page_operator(const std::string& operator_name);
    // This server's one procedure at a time: RunnerBusy when one runs.
    void claim_bench();
    void release_bench();
    // Runs `procedure` on the worker thread (the bench claimed); it calls
    // `begun(run id, or 0)` once the bench is connected and the procedure
    // under way. Returns that id, or rethrows what the procedure threw before.
    using Procedure = std::function<void(const std::function<void(std::int64_t)>& begun)>;
    std::int64_t launch(const std::string& what, const Procedure& procedure);
    void begin_procedure(const Starter& starter, const std::string& procedure);  // under mutex_
    void changed();  // under mutex_: sequence + 1, waiters woken
    void on_progress(const acquisition::ProgressEvent& event);
    void on_measurement(const Measurement& measurement);
    void finish_run(const RunRecord& run);
    void finish_reference(const Reference& reference);
    void finish_failure(const std::string& what);
    void join_finished_worker();
    void remember_instruments(const acquisition::Bench& bench);
    // A procedure starts once the start-up identification let go of the bench.
    void wait_for_identify();

    StationSetup setup_;
    Stop stop_{*this};

    mutable std::mutex mutex_;
    mutable std::condition_variable changed_cv_;
    std::thread worker_;
    std::mutex identify_mutex_;  // joins identify_thread_ once
    std::thread identify_thread_;
    std::vector<InstrumentRecord> identified_;
    std::string identify_problem_;
    bool worker_active_ = false;
    bool shutting_down_ = false;
    std::optional<std::string> abort_reason_;

    // The state (see state()).
    std::uint64_t seq_ = 1;
    std::string phase_ = "idle";  // idle | running | prompt | finished
    std::string procedure_;
    std::int64_t run_id_ = 0;
    std::string serial_, operator_, session_;
    std::optional<Part> part_;
    TimePoint started_at_{};
    std::optional<TimePoint> finished_at_;
    std::string waiting_for_;
    std::string activity_;
    nlohmann::json progress_;
    nlohmann::json prompt_;
    int prompt_id_ = 0;
    std::optional<bool> prompt_answer_;
    std::vector<Measurement> measurements_;
    analysis::LimitSet limits_;  // what the current (or last) test grades with
    nlohmann::json result_;
    nlohmann::json aborted_;
};

// A part as the pages draw it: rows of the end face and their width
// (8F on positions 1-4 and 9-12 of one row of 12; 16/32F rows of 16;
// 12/24/72F rows of 12).
nlohmann::json part_json(const Part& part);

}  // namespace mpobench::web
