#include "app/test_flow.hpp"

#include <fmt/format.h>

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "acquisition/parts.hpp"
#include "analysis/grading.hpp"
#include "analysis/identifiers.hpp"
#include "analysis/verdict.hpp"
#include "app/guarded.hpp"
#include "app/rl_rule.hpp"
#include "vocabulary/logger.hpp"

namespace mpobench::app {

std::filesystem::path database_path(const std::filesystem::path& option) {
    if (!option.empty())
        return option;
    if (const char* env = std::getenv("MPOBENCH_DB"); env && *env)
        return env;
    return "mpobench.db";
}

std::filesystem::path existing_database_path(const std::filesystem::path& option) {
    auto path = database_path(option);
    std::error_code error;
    if (!std::filesystem::is_regular_file(path, error)) {
        throw db::DatabaseError(fmt::format(
            "{}: no database there (give --db PATH or set MPOBENCH_DB)", path.string()));
    }
    return path;
}

db::Repository open_database_for_reading(const std::filesystem::path& option) {
    return db::Repository::open_read_only(existing_database_path(option));
}

analysis::LimitSet load_limits(const std::filesystem::path& option) {
    if (option.empty())
        return analysis::default_limit_set();
    std::ifstream in(option);
    if (!in)
        throw analysis::LimitSetError(fmt::format("{}: cannot open limit set", option.string()));
    std::ostringstream text;
    text << in.rdbuf();
    return analysis::parse_limit_set(text.str(), option.string());
}

analysis::LimitSet stored_limit_set(const db::StoredLimitSet& stored) {
    auto parsed = analysis::parse_limit_set(
        stored.body, fmt::format("limit set {} ('{}' {})", stored.id, stored.name, stored.version));
    // The body is what was hashed when it was uploaded: a body that no
    // longer hashes so was changed behind mpobench's back.
    if (parsed.hash != stored.hash)
        throw db::DatabaseError(fmt::format(
            "limit set {} ('{}' {}): the stored body hashes to {}, not to its stored hash {}",
            stored.id, stored.name, stored.version, parsed.hash, stored.hash));
    return parsed;
}

analysis::LimitSet limits_in_use(const db::Repository& repository,
                                 const std::filesystem::path& option) {
    if (!option.empty())
        return load_limits(option);
    if (const auto active = repository.active_limit_set())
        return stored_limit_set(*active);
    return analysis::default_limit_set();
}

const Part& find_in_catalogue(const acquisition::PartCatalogue& catalogue,
                              const std::string& number) {
    const std::string wanted = analysis::trim_identifier(number);
    if (const Part* part = catalogue.find(wanted))
        return *part;
    std::vector<std::string> numbers;
    for (const auto& part : catalogue.parts)
        numbers.push_back(part.number);
    const auto suggestion = analysis::closest_identifier(wanted, numbers);
    throw acquisition::PartCatalogueError(
        fmt::format("part '{}' is not in {}{}", wanted, catalogue.source_path.string(),
                    suggestion ? fmt::format(" (did you mean {}?)", *suggestion) : ""));
}

Reference usable_reference(const db::Repository& repository,
                           const acquisition::StationConfig& station, const Part& part) {
    auto reference = repository.latest_reference(station.name);
    if (!reference) {
        throw acquisition::Refused(
            fmt::format("station {} has no reference yet: run mpobench reference", station.name));
    }
    acquisition::check_reference(*reference, part, station, std::chrono::system_clock::now());
    return *reference;
}

std::string retest_reason_for(const db::Repository& repository,
                              const analysis::RetestPolicy& policy, const std::string& serial,
                              const std::string& given, const AskRetestReason& ask) {
    const auto attempts = repository.serial_attempts(serial);
    const auto verdict = analysis::retest_verdict(policy, attempts);
    if (verdict == analysis::RetestVerdict::Held) {
        throw acquisition::Refused(fmt::format(
            "{} is on QA hold: {} attempts without a pass (the site allows {}), the last run "
            "{}: a QA engineer releases it with mpobench hold release {} --by NAME --reason TEXT",
            serial, attempts.attempts, policy.attempts_before_hold, *attempts.last_run_id, serial));
    }
    const auto checked = [&](const std::string& typed) {
        const auto code = analysis::match_reason_code(policy, typed);
        if (!code) {
            throw UsageError(
                fmt::format("--retest-reason {}: not one of the site's retest "
                            "reasons ({})",
                            typed, fmt::join(policy.reason_codes, ", ")));
        }
        return *code;
    };
    if (verdict != analysis::RetestVerdict::RetestAfterFail || policy.reason_codes.empty())
        return given.empty() ? std::string() : checked(given);
    if (!given.empty())
        return checked(given);
    const std::string question = fmt::format(
        "{} failed its last test (run {}); attempt {} of {}. Why is it tested "
        "again? ({})",
        serial, *attempts.last_run_id, attempts.attempts + 1,
        policy.attempts_before_hold > 0 ? std::to_string(policy.attempts_before_hold)
                                        : std::string("any"),
        fmt::join(policy.reason_codes, ", "));
    if (ask) {
        // A person may mistype: asked until a code or no answer comes.
        for (auto answer = ask(question); answer; answer = ask(question)) {
            if (const auto code = analysis::match_reason_code(policy, *answer))
                return *code;
            fmt::print(stderr, "'{}' is not one of {}\n", *answer,
                       fmt::join(policy.reason_codes, ", "));
        }
    }
    throw UsageError(fmt::format("{}: give --retest-reason", question));
}

AskRetestReason terminal_retest_question(const acquisition::StationConfig& station) {
    if (station.operator_channel.kind != acquisition::OperatorConfig::Kind::Console ||
        !::isatty(STDIN_FILENO)) {
        return {};
    }
    return [](const std::string& question) -> std::optional<std::string> {
        fmt::print(stderr, "{}\n> ", question);
        std::string line;
        if (!std::getline(std::cin, line))
            return std::nullopt;
        return analysis::trim_identifier(line);
    };
}

namespace {

// The journal first (a measurement is on record before anyone is shown it),
// then the observer.
class ObservedSink final : public acquisition::MeasurementSink {
  public:
    ObservedSink(acquisition::MeasurementSink& journal,
                 const std::function<void(const Measurement&)>& observer)
        : journal_(journal), observer_(observer) {}
    void on_measurement(const Measurement& measurement) override {
        journal_.on_measurement(measurement);
        observer_(measurement);
    }

  private:
    acquisition::MeasurementSink& journal_;
    const std::function<void(const Measurement&)>& observer_;
};

}  // namespace

TestOutcome run_test(TestEnvironment& environment, const std::string& serial, const Part& part,
                     const std::string& retest_reason, const RunObserver& observer) {
    RunRecord run;
    run.kind = RunKind::Production;
    run.serial = serial;
    run.retest_reason = retest_reason;
    run.mes_interlock = environment.mes_interlock;
    run.part = part;
    run.reference_id = environment.reference.id;
    RunLifecycle& lifecycle = environment.lifecycle;
    acquisition::Bench& bench = lifecycle.bench();
    const bool has_rl_meter = bench.return_loss_meter() != nullptr;
    const auto rl_rule =
        make_rl_rule(environment.limits, environment.reference, part, bench.timing(), has_rl_meter);
    run.rl_method = rl_method_of(rl_rule.get(), part.mode, bench.timing(), has_rl_meter);
    const auto measure = [&](RunRecord& record, acquisition::MeasurementSink& journal) {
        if (observer.begun)
            observer.begun(record.id);
        ObservedSink sink(journal, observer.measured);
        // The run's check of the noise model goes into the record however
        // the measuring ends.
        struct KeepMethod {
            RunRecord& record;
            const SequentialRlOnBench* rule;
            ~KeepMethod() {
                if (rule)
                    record.rl_method = rule->method();
            }
        } keep_method{record, rl_rule.get()};
        acquisition::run_production_test(bench, lifecycle.op(), environment.reference, record,
                                         observer.measured ? sink : journal, observer.progress, {},
                                         rl_rule.get());
    };
    const auto grade = [&](RunRecord& record) {
        analysis::apply_grade(record, environment.limits);
        lifecycle.repository().store_limit_set({0, environment.limits.name,
                                                environment.limits.version, environment.limits.hash,
                                                environment.limits.body});
    };
    TestOutcome outcome;
    outcome.run = lifecycle.run(std::move(run), measure, grade);
    outcome.exit_code = run_exit_code(outcome.run);
    return outcome;
}

std::string result_summary(const RunRecord& run) {
    if (run.status != RunStatus::Completed) {
        return fmt::format("{:<14} {:<16} ABORTED  {}", run.serial, run.part.number, run.reason);
    }
    double il_max = 0.0;
    std::optional<double> rl_min, rl_bound_min;  // of the RL values, of the bounds
    for (const auto& m : run.measurements) {
        if (m.cycle != 0)
            continue;
        if (m.il_db)
            il_max = std::max(il_max, *m.il_db);
        if (m.rl_db)
            rl_min = rl_min ? std::min(*rl_min, *m.rl_db) : *m.rl_db;
        if (m.rl_above_db)
            rl_bound_min = rl_bound_min ? std::min(*rl_bound_min, *m.rl_above_db) : *m.rl_above_db;
    }
    std::string text = fmt::format("{:<14} {:<16} {:<4}  {:<8} (target {})  IL max {:.2f} dB",
                                   run.serial, run.part.number, run.pass ? "PASS" : "FAIL",
                                   to_string(*run.grade), to_string(run.part.target), il_max);
    if (rl_min)
        text += fmt::format("  RL min {:.1f} dB", *rl_min);
    else if (rl_bound_min)
        text += fmt::format("  RL > {:.1f} dB", *rl_bound_min);
    // The failures that keep the assembly from its target, most severe
    // first; the rest are in --json and the database.
    if (run.pass)
        return text;
    const auto shown = analysis::make_verdict(run).against_target;
    constexpr std::size_t kShown = 6;
    for (std::size_t i = 0; i < std::min(shown.size(), kShown); ++i) {
        text += fmt::format("\n    {}", analysis::describe_failure(shown[i], run));
    }
    if (shown.size() > kShown) {
        text += fmt::format("\n    ... and {} more (mpobench test --json, or the database)",
                            shown.size() - kShown);
    }
    return text;
}

}  // namespace mpobench::app
