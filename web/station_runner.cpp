#include "web/station_runner.hpp"

#include <fmt/format.h>

#include <future>

#include "acquisition/station_lock.hpp"
#include "analysis/identifiers.hpp"
#include "analysis/verdict.hpp"
#include "app/golden_rule.hpp"
#include "app/mes.hpp"
#include "app/plant_config.hpp"
#include "app/run_json.hpp"
#include "app/run_lifecycle.hpp"
#include "app/station_session.hpp"
#include "app/test_flow.hpp"
#include "vocabulary/logger.hpp"

namespace mpobench::web {

using nlohmann::json;

namespace {

// How long a start waits for the bench to connect and the run to begin
// before it gives up on answering (the procedure goes on).
constexpr auto kStartTimeout = std::chrono::seconds(60);

std::string step_key(acquisition::OperatorStep step) {
    switch (step) {
        case acquisition::OperatorStep::ConnectReference:
            return "connect_reference";
        case acquisition::OperatorStep::ConnectEndA:
            return "connect_end_a";
        case acquisition::OperatorStep::ConnectEndB:
            return "connect_end_b";
        case acquisition::OperatorStep::Remate:
            return "remate";
        case acquisition::OperatorStep::Disconnect:
            return "disconnect";
    }
    return "connect_end_a";
}

json optional_number(std::optional<double> value) {
    return value ? json(*value) : json(nullptr);
}

// The page as the operator: each step a prompt on the page; on the
// simulated bench the page's Done makes the simulator's operator plug.
class PageOperator final : public acquisition::Operator {
  public:
    PageOperator(StationRunner& runner, std::string name,
                 std::unique_ptr<acquisition::Operator> hands)
        : runner_(runner), name_(std::move(name)), hands_(std::move(hands)) {}

    void perform(acquisition::OperatorStep step, const std::string& context) override {
        runner_.ask_operator(step, context);
        if (hands_)
            hands_->perform(step, context);
    }
    std::string name() const override { return name_; }

  private:
    StationRunner& runner_;
    std::string name_;
    std::unique_ptr<acquisition::Operator> hands_;
};

// What a technician does after an abort, from what stopped it.
std::string what_to_do(const std::string& reason) {
    if (reason.find("operator abort") != std::string::npos)
        return "Start the test again when the assembly is ready.";
    if (reason.find("server stopping") != std::string::npos)
        return "The station's server was stopped: start it again, then test the assembly again.";
    if (reason.find("database") != std::string::npos || reason.find("disk") != std::string::npos)
        return "The record could not be written: call the station's administrator.";
    return "Check the instrument named and its cable, then start the test again.";
}

}  // namespace

json part_json(const Part& part) {
    const int row_width = part.fibers == 16 || part.fibers == 32 ? 16 : 12;
    const int rows = part.fibers <= row_width ? 1 : (part.fibers + row_width - 1) / row_width;
    json wavelengths = part.wavelengths_nm.empty() ? json(default_wavelengths_nm(part.mode))
                                                   : json(part.wavelengths_nm);
    return {{"number", part.number},
            {"description", part.description},
            {"fibers", part.fibers},
            {"mode", std::string(to_string(part.mode))},
            {"polarity", std::string(to_string(part.polarity))},
            {"target", std::string(to_string(part.target))},
            {"wavelengths_nm", wavelengths},
            {"rows", rows},
            {"row_width", row_width}};
}

std::optional<std::string> StationRunner::Stop::reason() const {
    {
        std::lock_guard lock(runner_.mutex_);
        if (runner_.abort_reason_)
            return runner_.abort_reason_;
    }
    if (runner_.setup_.server_stop)
        return runner_.setup_.server_stop->reason();
    return std::nullopt;
}

StationRunner::StationRunner(StationSetup setup)
    : setup_(std::move(setup)), limits_(setup_.limits) {}

StationRunner::~StationRunner() {
    {
        std::lock_guard lock(mutex_);
        shutting_down_ = true;
        // A signal's own reason ("operator abort (SIGTERM)") is kept, as in the CLI.
        const bool signalled = setup_.server_stop && setup_.server_stop->reason();
        if (worker_active_ && !abort_reason_ && !signalled)
            abort_reason_ = "web server stopping";
        changed_cv_.notify_all();
    }
    if (worker_.joinable())
        worker_.join();
    wait_for_identify();
}

void StationRunner::wait_for_identify() {
    std::lock_guard lock(identify_mutex_);
    if (identify_thread_.joinable())
        identify_thread_.join();
}

void StationRunner::remember_instruments(const acquisition::Bench& bench) {
    auto instruments = bench.instruments();
    std::lock_guard lock(mutex_);
    identified_ = std::move(instruments);
    identify_problem_.clear();
}

void StationRunner::identify_in_background() {
    std::lock_guard guard(identify_mutex_);
    identify_thread_ = std::thread([this] {
        try {
            acquisition::BenchHolder holder;
            holder.procedure = "identify";
            holder.operator_name = "web server";
            acquisition::StationLock lock(setup_.station, holder);
            acquisition::Bench bench(setup_.station);
            bench.set_stop_request(&stop_);
            bench.connect();
            remember_instruments(bench);
        } catch (const std::exception& error) {
            // Shown in the station header; the first procedure connects again.
            logger("web")->warn("identifying the bench at start: {}", error.what());
            std::lock_guard lock(mutex_);
            identify_problem_ = error.what();
        }
        std::lock_guard lock(mutex_);
        changed();
    });
}

std::vector<InstrumentRecord> StationRunner::identified_instruments() const {
    std::lock_guard lock(mutex_);
    return identified_;
}

std::string StationRunner::identify_problem() const {
    std::lock_guard lock(mutex_);
    return identify_problem_;
}

void StationRunner::changed() {
    ++seq_;
    changed_cv_.notify_all();
}

void StationRunner::join_finished_worker() {
    // Called with worker_active_ false: the thread has finished or is about to.
    if (worker_.joinable())
        worker_.join();
}

void StationRunner::begin_procedure(const Starter& starter, const std::string& procedure) {
    procedure_ = procedure;
    phase_ = "running";
    run_id_ = 0;
    operator_ = starter.user;
    session_ = starter.session;
    started_at_ = std::chrono::system_clock::now();
    finished_at_.reset();
    waiting_for_ = "instruments";
    activity_ = "connecting the bench";
    progress_ = nullptr;
    prompt_ = nullptr;
    prompt_answer_.reset();
    measurements_.clear();
    result_ = nullptr;
    aborted_ = nullptr;
    changed();
}

void StationRunner::claim_bench() {
    std::lock_guard lock(mutex_);
    if (worker_active_ || shutting_down_)
        throw RunnerBusy(fmt::format("station {} is busy: {} {} by {}", setup_.station.name,
                                     procedure_, serial_, operator_));
    worker_active_ = true;
    abort_reason_.reset();
}

void StationRunner::release_bench() {
    std::lock_guard lock(mutex_);
    worker_active_ = false;
}

std::int64_t StationRunner::launch(const std::string& what, const Procedure& procedure) {
    join_finished_worker();
    auto begun = std::make_shared<std::promise<std::int64_t>>();
    auto begun_future = begun->get_future();
    worker_ = std::thread([this, what, procedure, begun] {
        bool has_begun = false;
        try {
            procedure([&](std::int64_t run_id) {
                has_begun = true;
                begun->set_value(run_id);
            });
        } catch (const std::exception& error) {
            logger("web")->warn("{}: {}", what, error.what());
            if (has_begun)
                finish_failure(error.what());
            else
                begun->set_exception(std::current_exception());
        }
        std::lock_guard lock(mutex_);
        worker_active_ = false;
        changed();
    });
    if (begun_future.wait_for(kStartTimeout) != std::future_status::ready)
        throw RunnerBusy(fmt::format(
            "the bench did not begin the {} within a minute; see the station log", what));
    return begun_future.get();
}

std::int64_t StationRunner::start_test(const Starter& starter, const std::string& part_number,
                                       const std::string& serial_text,
                                       const std::string& retest_reason_code) {
    wait_for_identify();
    const std::string serial = analysis::validate_serial(serial_text, setup_.site.serial_pattern);
    const std::string operator_name = analysis::validate_operator_name(starter.user);
    const Part part = [&] {
        db::Repository repository(setup_.db_path);
        // The plant's parts, limits and users, as they are now or as last fetched.
        app::refresh_before_test(repository, setup_.station, "serve");
        return app::find_in_catalogue(app::catalogue_in_use(repository, setup_.parts_option),
                                      part_number);
    }();
    claim_bench();
    Reference reference;
    std::string retest_reason;
    std::string mes_interlock;
    analysis::LimitSet limits;
    try {
        db::Repository repository(setup_.db_path);
        limits = setup_.limits_given ? setup_.limits : app::limits_in_use(repository, {});
        reference = app::usable_reference(repository, setup_.station, part);
        app::require_golden_check(repository, setup_.site, setup_.station.name);
        // No one to ask here: the page sends the reason with the start.
        retest_reason =
            app::retest_reason_for(repository, setup_.site.retest, serial, retest_reason_code, {});
        mes_interlock =
            app::mes_interlock_for(setup_.station, repository, serial, part, operator_name, "");
    } catch (const std::exception&) {
        release_bench();
        throw;
    }
    return launch("test of " + serial, [=, this](const std::function<void(std::int64_t)>& begun) {
        db::Repository repository(setup_.db_path);
        std::optional<RunRecord> ended;
        {  // the lifecycle ends (laser off, lock released) before the result shows
            app::ProcedureRequest request{
                setup_.station, "test", operator_name, serial, &stop_, starter.address, [&] {
                    return make_page_operator(operator_name);
                }};
            app::RunLifecycle lifecycle(std::move(request), repository);
            remember_instruments(lifecycle.bench());
            app::TestEnvironment environment{lifecycle, limits, reference, mes_interlock};
            app::RunObserver observer;
            observer.progress = [this](const acquisition::ProgressEvent& event) {
                on_progress(event);
            };
            observer.begun = [&](std::int64_t run_id) {
                {
                    std::lock_guard lock(mutex_);
                    begin_procedure(starter, "test");
                    run_id_ = run_id;
                    serial_ = serial;
                    part_ = part;
                    limits_ = limits;
                    activity_ = "starting the test";
                }
                begun(run_id);
            };
            observer.measured = [this](const Measurement& m) { on_measurement(m); };
            ended = app::run_test(environment, serial, part, retest_reason, observer).run;
        }
        finish_run(*ended);
    });
}

std::unique_ptr<acquisition::Operator> StationRunner::make_page_operator(
    const std::string& operator_name) {
    std::unique_ptr<acquisition::Operator> hands;
    if (!setup_.station.operator_channel.resource.empty()) {
        acquisition::OperatorConfig simulated = setup_.station.operator_channel;
        simulated.kind = acquisition::OperatorConfig::Kind::Simulated;
        hands = acquisition::make_simulated_operator(simulated, operator_name, &stop_);
    }
    return std::make_unique<PageOperator>(*this, operator_name, std::move(hands));
}

void StationRunner::start_reference(const Starter& starter, FiberMode mode) {
    const std::string operator_name = analysis::validate_operator_name(starter.user);
    wait_for_identify();
    claim_bench();
    launch("reference", [=, this](const std::function<void(std::int64_t)>& begun) {
        db::Repository repository(setup_.db_path);
        std::optional<Reference> taken;
        {  // the lifecycle ends (laser off, lock released) before the result shows
            app::ProcedureRequest request{
                setup_.station, "reference", operator_name, "", &stop_, starter.address, [&] {
                    return make_page_operator(operator_name);
                }};
            app::RunLifecycle lifecycle(std::move(request), repository);
            remember_instruments(lifecycle.bench());
            {
                std::lock_guard lock(mutex_);
                begin_procedure(starter, "reference");
                serial_.clear();
                part_.reset();
                activity_ = "taking a reference";
            }
            begun(0);
            const auto* cord = setup_.station.launch_cord();
            taken = app::take_and_store_reference(
                lifecycle, mode, 0, cord ? cord->id : "launch cord",
                [this](const acquisition::ProgressEvent& event) { on_progress(event); });
        }
        finish_reference(*taken);
    });
}

void StationRunner::finish_reference(const Reference& reference) {
    std::lock_guard lock(mutex_);
    phase_ = "finished";
    finished_at_ = std::chrono::system_clock::now();
    waiting_for_.clear();
    activity_ = app::reference_summary(reference);
    prompt_ = nullptr;
    result_ = {{"procedure", "reference"},
               {"reference_id", reference.id},
               {"summary", app::reference_summary(reference)}};
}

void StationRunner::ask_operator(acquisition::OperatorStep step, const std::string& context) {
    std::unique_lock lock(mutex_);
    ++prompt_id_;
    prompt_ = {{"id", prompt_id_}, {"step", step_key(step)}, {"context", context}};
    prompt_answer_.reset();
    phase_ = "prompt";
    waiting_for_ = "operator";
    changed();
    while (!prompt_answer_) {
        if (abort_reason_)
            throw acquisition::Stopped(*abort_reason_);
        if (setup_.server_stop) {
            if (auto reason = setup_.server_stop->reason())
                throw acquisition::Stopped(*reason);
        }
        // Woken by an answer or an abort; a signal is looked at every 100 ms.
        changed_cv_.wait_for(lock, std::chrono::milliseconds(100));
    }
    const bool done = *prompt_answer_;
    prompt_ = nullptr;
    prompt_answer_.reset();
    phase_ = "running";
    waiting_for_ = "instruments";
    changed();
    if (!done)
        throw acquisition::OperatorAbort(
            fmt::format("operator abort ({} at the prompt on the web page)", operator_));
}

void StationRunner::answer_prompt(const std::string& session, bool may_override, bool done) {
    std::lock_guard lock(mutex_);
    if (prompt_.is_null() || prompt_answer_)
        throw PromptError("no prompt is waiting for an answer", false);
    if (session != session_ && !may_override)
        throw PromptError(
            fmt::format("only {} (who started it) or QA may answer this prompt", operator_), true);
    prompt_answer_ = done;
    changed_cv_.notify_all();
}

void StationRunner::abort(const std::string& session, bool may_override, const std::string& user) {
    std::lock_guard lock(mutex_);
    if (!worker_active_)
        throw PromptError("nothing is running on this station", false);
    if (session != session_ && !may_override)
        throw PromptError(
            fmt::format("only {} (who started it) or QA may stop this {}", operator_, procedure_),
            true);
    if (!abort_reason_)
        abort_reason_ = fmt::format("operator abort (stop button on the web page, {})", user);
    changed_cv_.notify_all();
}

void StationRunner::on_progress(const acquisition::ProgressEvent& event) {
    std::lock_guard lock(mutex_);
    if (event.kind == acquisition::ProgressEvent::Kind::Step) {
        activity_ = event.message;
    } else {
        const int fibers = part_ ? part_->fibers : 0;
        activity_ = fibers > 0
                        ? fmt::format("end {}, {} nm, fibre {} of {}", to_string(event.end),
                                      event.wavelength_nm, event.fiber, fibers)
                        : fmt::format("{} nm, position {}", event.wavelength_nm, event.fiber);
        progress_ = {{"done", event.done},
                     {"total", event.total},
                     {"end", std::string(to_string(event.end))},
                     {"wavelength_nm", event.wavelength_nm},
                     {"fiber", event.fiber}};
    }
    waiting_for_ = "instruments";
    changed();
}

void StationRunner::on_measurement(const Measurement& measurement) {
    std::lock_guard lock(mutex_);
    measurements_.push_back(measurement);
    changed();
}

void StationRunner::finish_run(const RunRecord& run) {
    std::lock_guard lock(mutex_);
    phase_ = "finished";
    finished_at_ = std::chrono::system_clock::now();
    waiting_for_.clear();
    prompt_ = nullptr;
    if (run.status == RunStatus::Completed) {
        result_ = app::run_to_json(run);
        json texts = json::array();
        for (const auto& failure : analysis::make_verdict(run).against_target)
            texts.push_back(analysis::describe_failure(failure, run));
        result_["failure_texts"] = texts;
        result_["certificate"] = fmt::format("/api/runs/{}/certificate.pdf", run.id);
        activity_ = run.pass ? "passed" : "below target";
    } else {
        aborted_ = {{"reason", run.reason},
                    {"what_to_do", what_to_do(run.reason)},
                    {"run_id", run.id},
                    {"measurements_stored", run.measurements.size()},
                    {"nothing_lost", true}};
        activity_ = "aborted";
    }
}

void StationRunner::finish_failure(const std::string& what) {
    std::lock_guard lock(mutex_);
    phase_ = "finished";
    finished_at_ = std::chrono::system_clock::now();
    waiting_for_.clear();
    prompt_ = nullptr;
    activity_ = "aborted";
    aborted_ = {{"reason", what},
                {"what_to_do", what_to_do(what)},
                {"run_id", run_id_ == 0 ? json(nullptr) : json(run_id_)},
                {"measurements_stored", measurements_.size()},
                {"nothing_lost", true}};
}

json StationRunner::state() const {
    std::lock_guard lock(mutex_);
    json measurements = json::array();
    for (const auto& m : measurements_) {
        const FiberMode mode = part_ ? part_->mode : FiberMode::SM;
        measurements.push_back(
            {{"end", std::string(to_string(m.end))},
             {"fiber", m.fiber},
             {"wavelength_nm", m.wavelength_nm},
             {"cycle", m.cycle},
             {"status", std::string(to_string(m.status))},
             {"il_db", optional_number(m.il_db)},
             {"rl_db", optional_number(m.rl_db)},
             {"rl_above_db", optional_number(m.rl_above_db)},
             {"far_position", m.far_position},
             {"grade", std::string(to_string(analysis::reading_grade(m, limits_, mode)))}});
    }
    const auto time_or_null = [](const std::optional<TimePoint>& time) {
        return time ? json(app::iso_utc(*time)) : json(nullptr);
    };
    return {{"seq", seq_},
            {"state", phase_},
            {"procedure", procedure_.empty() ? json(nullptr) : json(procedure_)},
            {"run_id", run_id_ == 0 ? json(nullptr) : json(run_id_)},
            {"serial", serial_},
            {"operator", operator_},
            {"started_by", operator_},  // the logged-in user who pressed Start
            {"part", part_ ? part_json(*part_) : json(nullptr)},
            {"started_at", procedure_.empty() ? json(nullptr) : json(app::iso_utc(started_at_))},
            {"finished_at", time_or_null(finished_at_)},
            {"waiting_for", waiting_for_.empty() ? json(nullptr) : json(waiting_for_)},
            {"activity", activity_},
            {"progress", progress_},
            {"prompt", prompt_},
            {"measurements", measurements},
            {"result", result_},
            {"aborted", aborted_}};
}

std::uint64_t StationRunner::wait_for_change(std::uint64_t seen,
                                             std::chrono::milliseconds timeout) const {
    std::unique_lock lock(mutex_);
    changed_cv_.wait_for(lock, timeout, [&] { return seq_ > seen || shutting_down_; });
    return seq_;
}

void StationRunner::wake_all() {
    std::lock_guard lock(mutex_);
    shutting_down_ = true;
    changed_cv_.notify_all();
}

bool StationRunner::shutting_down() const {
    std::lock_guard lock(mutex_);
    return shutting_down_;
}

std::optional<json> StationRunner::procedure_holder() const {
    std::lock_guard lock(mutex_);
    if (!worker_active_)
        return std::nullopt;
    return json{{"held", true},
                {"procedure", procedure_},
                {"operator", operator_},
                {"serial", serial_},
                {"since", app::iso_utc(started_at_)},
                {"by_this_server", true}};
}

}  // namespace mpobench::web
