#pragma once
// One production test from serial number to graded, stored record — the
// same wrapper for `mpobench test` and for every assembly of `demo`.

#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "acquisition/bench.hpp"
#include "acquisition/operator.hpp"
#include "acquisition/parts.hpp"
#include "acquisition/procedures.hpp"
#include "analysis/limits.hpp"
#include "analysis/retest.hpp"
#include "app/run_lifecycle.hpp"
#include "db/repository.hpp"

namespace mpobench::app {

// --db, else $MPOBENCH_DB, else ./mpobench.db.
std::filesystem::path database_path(const std::filesystem::path& option);

// database_path, for commands that only read records: a database that does
// not exist is a usage error (a typo must not answer "no runs" from a new,
// empty file). Throws db::DatabaseError.
std::filesystem::path existing_database_path(const std::filesystem::path& option);

// The database of existing_database_path, opened read-only: what every
// command that only reads records uses, so QA works on a read-only copy.
db::Repository open_database_for_reading(const std::filesystem::path& option);

// --limits FILE parsed, or the default set. Throws analysis::LimitSetError.
analysis::LimitSet load_limits(const std::filesystem::path& option);

// A limit set as the database keeps it, parsed; its body must still hash to
// its stored hash (db::DatabaseError otherwise). Throws analysis::LimitSetError.
analysis::LimitSet stored_limit_set(const db::StoredLimitSet& stored);

// The limits a test grades with: --limits FILE when given, else the limit
// set QA activated last in the database (two-person rule), else the default
// set. Read at the start of each test: an activation applies to the next
// test, never to one running.
analysis::LimitSet limits_in_use(const db::Repository& repository,
                                 const std::filesystem::path& option);

// `number` (trimmed, any case) in the catalogue. Throws
// acquisition::PartCatalogueError naming the catalogue, and the closest
// number when it looks like a typo ("did you mean MPO12-SM-B-E?").
const Part& find_in_catalogue(const acquisition::PartCatalogue& catalogue,
                              const std::string& number);

// The station's latest reference, checked for this part (acquisition::check_reference).
// Throws acquisition::Refused when there is none or it cannot serve.
Reference usable_reference(const db::Repository& repository,
                           const acquisition::StationConfig& station, const Part& part);

// The site's retest policy applied to a test of `serial` about to begin.
// Throws acquisition::Refused (exit 4) for a serial on QA hold (its attempts
// used up without a pass). A retest after a failure needs a reason code of
// the policy (when it has any): `given`, or — when that is empty and `ask`
// is set — the answer to `ask(question)` (nullopt: no answer); returns the
// code as the policy spells it, or empty when none is needed. A missing or
// unknown code throws UsageError (exit 2) listing the codes.
using AskRetestReason = std::function<std::optional<std::string>(const std::string& question)>;
std::string retest_reason_for(const db::Repository& repository,
                              const analysis::RetestPolicy& policy, const std::string& serial,
                              const std::string& given, const AskRetestReason& ask);

// The retest reason asked on the terminal (stdin, stderr) when the station's
// operator is a person at this terminal; empty otherwise (no one to ask).
AskRetestReason terminal_retest_question(const acquisition::StationConfig& station);

struct TestEnvironment {
    RunLifecycle& lifecycle;  // the bench, its operator, the database
    const analysis::LimitSet& limits;
    const Reference& reference;
    // The MES interlock's answer the run begins with (ask_mes_interlock);
    // empty: the station asks no MES.
    std::string mes_interlock{};
};

struct TestOutcome {
    RunRecord run;
    int exit_code = 0;  // 0 pass, 1 below target / polarity / continuity, 3 aborted
};

// Who watches a run as it goes (a terminal's progress line, the web page).
// Each may be empty; they are called on the measuring thread.
struct RunObserver {
    acquisition::ProgressCallback progress;
    std::function<void(std::int64_t run_id)> begun;                // the run is in the database
    std::function<void(const Measurement& measurement)> measured;  // after it is journaled
};

// One production run inside the lifecycle: begun in the database,
// measured (each measurement journaled), graded and committed; an abort of
// any kind is stored with its reason (RunLifecycle::run).
// `retest_reason`: retest_reason_for's answer, recorded with the run.
TestOutcome run_test(TestEnvironment& environment, const std::string& serial, const Part& part,
                     const std::string& retest_reason, const RunObserver& observer);

// "SN123  MPO12-SM-B-E  PASS  elite (target elite)  IL max 0.21 dB  RL min 62.3 dB",
// then one line per failing value.
std::string result_summary(const RunRecord& run);

}  // namespace mpobench::app
