#pragma once
// The record store: SQLite, append-only, journaled as measurements arrive.
// The only code in mpobench that writes SQL.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "analysis/audit.hpp"
#include "analysis/golden.hpp"
#include "analysis/qa.hpp"
#include "analysis/retest.hpp"
#include "vocabulary/run_record.hpp"

namespace mpobench::db {

class DatabaseError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// An immutable, versioned limit set as stored (analysis parses the body).
struct StoredLimitSet {
    std::int64_t id = 0;
    std::string name, version, hash, body;
};

// A limit set uploaded for use and its activation (two-person rule: a
// second person activates it). The set in use is the one activated last.
struct LimitSetUpload {
    StoredLimitSet limit_set;  // body empty in limit_set_uploads()
    std::string uploaded_by;
    TimePoint uploaded_at{};
    std::optional<std::string> activated_by;
    std::optional<TimePoint> activated_at;
    bool active = false;  // the most recently activated one
};

struct RunSummary {
    std::int64_t id = 0;
    std::string serial, part_number, station, operator_name;
    RunKind kind = RunKind::Production;
    RunStatus status = RunStatus::Running;
    std::string reason;
    std::optional<Grade> grade;
    bool pass = false;
    TimePoint started_at{};
    std::optional<TimePoint> ended_at;
    int retries = 0;            // transient instrument faults ridden through
    std::string retest_reason;  // RunRecord::retest_reason
    // An attempt of the retest policy (analysis::SerialAttempts): a
    // production run completed, or aborted by the operator or interrupted
    // after measurements were taken.
    bool attempt = false;
};

struct SerialRelease {
    TimePoint at{};
    std::string released_by;
    std::string reason;
    int attempts = 0;  // the attempts it had when released
};

// Which runs find_runs returns; an empty field does not filter.
struct RunFilter {
    std::optional<TimePoint> started_from;    // inclusive
    std::optional<TimePoint> started_before;  // exclusive
    std::optional<std::string> part_number;
    std::optional<std::string> station;
    std::optional<std::string> operator_name;
    std::optional<RunKind> kind;
    std::optional<RunStatus> status;
};

// Which runs the QA views count: local calendar days (YYYY-MM-DD),
// inclusive; an empty field does not filter.
struct QaFilter {
    std::optional<std::string> from_day, to_day;
    std::optional<std::string> part_number, station, operator_name;
};

// One bag label sent (or an attempt that failed) for a completed, passing
// production run.
struct LabelPrint {
    std::int64_t id = 0;
    std::int64_t run_id = 0;
    TimePoint printed_at{};     // now when unset
    std::string destination;    // as configured: tcp://host:9100, file:PATH, lp:QUEUE
    bool reprint = false;       // an earlier label of this run had been printed
    std::string operator_name;  // who printed it
    std::string command;        // "test" (at the end of the test) or "label" (mpobench label)
    std::optional<std::string> error;  // why it was not printed; nullopt: sent
};

// What the database says of a record hash (mpobench verify).
struct RecordCheck {
    std::int64_t run_id = 0;
    std::string serial;
    std::string stored_hash;
    int hash_version = 0;  // the canonical form it was hashed with (analysis/record_hash.hpp)
    // The run as stored now still hashes to stored_hash: nothing changed
    // behind mpobench's back.
    bool record_matches = false;
};

// An ended run waiting in the outbox to be forwarded to the plant.
struct OutboxEntry {
    std::int64_t seq = 0;  // queue order
    std::int64_t run_id = 0;
    std::string run_uuid;
    TimePoint queued_at{};
    // The payload as first sent and its SHA-256 (hex); empty before.
    std::string payload, payload_sha256;
};

// The outbox at a glance (identify, the web station header).
struct OutboxSummary {
    std::int64_t waiting = 0;
    std::optional<TimePoint> oldest_waiting_since;  // queued_at of the oldest waiting
    std::optional<TimePoint> last_forwarded_at;     // of the newest run forwarded
    std::int64_t mes_waiting = 0;                   // not yet acknowledged by the MES
};

// Every rollup of a filter, read in one snapshot: the numbers of a report
// agree with each other while stations commit.
struct CordWear {
    std::string cord_id;
    std::int64_t matings = 0;        // since first use or the last re-qualification
    std::int64_t total_matings = 0;  // since first use
    std::optional<TimePoint> since;  // first use or last re-qualification; nullopt: never used
};

struct CordRequalification {
    TimePoint at{};
    std::string operator_name;
    std::string reason;
    std::int64_t matings_before = 0;
};

struct GoldenAssembly {
    std::string serial;
    std::string part_number;
    std::int64_t source_run_id = 0;
    TimePoint added_at{};
    std::string added_by;
    std::vector<analysis::GoldenValue> values;
};

// One check of a station against a golden assembly, as stored.
struct GoldenCheck {
    std::int64_t id = 0;  // set by db
    std::string station;
    std::string serial;
    TimePoint at{};
    std::string operator_name;
    std::int64_t reference_id = 0;
    double il_tolerance_db = 0.0;
    analysis::GoldenComparison comparison;
};

enum class UserRole { Operator, Qa, Admin };
std::string_view to_string(UserRole role);                       // "operator", "qa", "admin"
std::optional<UserRole> parse_user_role(std::string_view text);  // those words, any case

struct User {
    std::string name;
    UserRole role = UserRole::Operator;
    std::string password_hash;  // argon2id (crypto_pwhash_str)
    TimePoint created_at{};
    std::string created_by;  // the OS user who added them
    bool has_badge = false;  // a badge is registered (analysis::badge_digest)
    std::optional<TimePoint> disabled_at;
    bool from_plant = false;  // kept by the station's plant (changed there, not here)
};

// A user as a plant keeps them, with their badge's digest: what a station
// of the plant takes (README "Parts, limits and users from the plant").
struct PlantUser {
    User user;
    std::optional<std::string> badge_sha256;
};

// A part catalogue (DESIGN §5's TOML text) as published to the plant.
struct PublishedCatalogue {
    std::int64_t id = 0;  // the plant's
    std::string sha256;   // of body
    std::string body;
    std::string published_by;
    TimePoint published_at{};
};

// What a station last took from its plant.
struct PlantConfigCache {
    std::string plant;  // "host:port/database"
    TimePoint fetched_at{};
    std::optional<PublishedCatalogue> parts;
    std::optional<LimitSetUpload> limits;  // its id the plant's
    int users = 0;
};

// What a fetch changed at the station.
struct PlantConfigChanges {
    bool parts = false;
    bool limits = false;
    std::vector<std::string> users;  // added or changed
    bool any() const { return parts || limits || !users.empty(); }
};

struct QaBuckets {
    std::vector<analysis::YieldBucket> yield;
    std::vector<analysis::CauseBucket> causes;
    std::vector<analysis::FailureBucket> failures;
    std::vector<analysis::IlBucket> il;
    std::vector<analysis::RlBucket> rl;
};

class Repository {
  public:
    // Opens (creating if needed) and migrates the database; WAL, synchronous
    // FULL, a busy timeout. Runs left `running` by a process that no longer
    // exists are marked `interrupted`. A database from a newer mpobench is
    // refused with DatabaseError. Every DatabaseError names the file and what
    // failed. One Repository may be shared between threads; each process or
    // thread may also open its own on the same file.
    explicit Repository(const std::filesystem::path& path);

    // For commands that only read (history, QA views, cert, verify,
    // exports): never writes, so it works on a read-only copy or mount.
    // Nothing is migrated (a file of an older schema is refused with
    // DatabaseError) and no run is marked: a running run whose process has
    // ended reads as interrupted without being changed in the file.
    static Repository open_read_only(const std::filesystem::path& path);
    ~Repository();
    Repository(const Repository&) = delete;
    Repository& operator=(const Repository&) = delete;
    Repository(Repository&&) noexcept;

    int schema_version() const;
    static int current_schema_version();

    // Limit sets are stored once per hash and never changed: storing a known
    // hash returns the existing id; a different name, version or body under
    // a stored hash is a DatabaseError.
    std::int64_t store_limit_set(const StoredLimitSet& limit_set);
    std::optional<StoredLimitSet> limit_set_by_hash(const std::string& hash) const;

    // ---- Limit sets under control. upload_limit_set stores the set (as
    // store_limit_set) and its upload by `uploaded_by` in one transaction,
    // pending until activated; returns its id (the limit set's). A set
    // already uploaded (same hash) is a DatabaseError. activate_limit_set
    // makes it the set in use; DatabaseError for an unknown id, a set
    // already activated, or `activated_by` being its uploader.
    std::int64_t upload_limit_set(const StoredLimitSet& limit_set, const std::string& uploaded_by,
                                  TimePoint uploaded_at = {});
    void activate_limit_set(std::int64_t id, const std::string& activated_by,
                            TimePoint activated_at = {});
    std::vector<LimitSetUpload> limit_set_uploads() const;  // newest upload first, no bodies
    std::optional<LimitSetUpload> limit_set_upload(std::int64_t id) const;  // with its body
    // The set in use: at a station of a plant, the plant's (as last
    // fetched, cache_plant_config); else the most recently activated set;
    // nullopt when there is neither.
    std::optional<StoredLimitSet> active_limit_set() const;

    std::int64_t save_reference(const Reference& reference);                      // returns its id
    std::optional<Reference> latest_reference(const std::string& station) const;  // by taken_at
    std::optional<Reference> reference(std::int64_t id) const;

    // A run's life: begin (status running, owned by this process), one
    // journaled row per measurement as it arrives, then one transaction that
    // stores the grade and the final status.
    //
    // begin_run fixes who and what: serial (required), kind, part, station,
    // operator, software version, reference (0 = none), instruments and
    // started_at (now when unset); measurements already in the record are
    // journaled with it. Returns the run id.
    std::int64_t begin_run(const RunRecord& run);
    // Commits one row (durable on return: WAL, synchronous FULL). Only a
    // running run takes measurements; times are kept to the millisecond.
    void append_measurement(std::int64_t run_id, const Measurement& measurement);
    // Commits rows that queued up together in one transaction (one sync):
    // all of them or, on an error, none.
    void append_measurements(std::int64_t run_id, std::span<const Measurement> measurements);
    // One transaction: measurements of the record not yet journaled (the
    // journal must be a prefix of the record), failures, polarity maps,
    // grade, pass, the limit set (by hash; stored before with
    // store_limit_set), mating_cycles_run, ended_at (now when unset) and
    // status completed. Nothing is stored if any part fails.
    void complete_run(const RunRecord& graded_run);
    // Status aborted, the reason, the retries the run spent, ended_at now.
    // Only a running run. When the write fails (a full disk), once more
    // after a checkpoint, which lets the write-ahead log restart in the
    // space it already has.
    void abort_run(std::int64_t run_id, const std::string& reason, int retries = 0);

    std::optional<RunRecord> run(std::int64_t run_id) const;
    std::vector<RunSummary> history(const std::string& serial) const;  // oldest first
    std::optional<RunSummary> latest_run(const std::string& serial) const;
    // Runs matching the filter, oldest first (yield and export views).
    std::vector<RunSummary> find_runs(const RunFilter& filter) const;

    // Bulk import of finished records (completed, aborted or interrupted,
    // with their measurements, grading and ended_at) in one transaction, as
    // if each had run through begin/append/complete: the same checks, record
    // hashes and QA rollups. For moving history in from another system and
    // for filling benchmark databases. Returns the new run ids in order.
    std::vector<std::int64_t> import_runs(const std::vector<RunRecord>& finished_runs);

    // ---- Retest policy: a serial's attempts (analysis::SerialAttempts) and
    // its QA releases, from which its attempts count again.
    analysis::SerialAttempts serial_attempts(const std::string& serial) const;
    void release_serial(const std::string& serial, const std::string& released_by,
                        const std::string& reason, int attempts);
    std::vector<SerialRelease> serial_releases(const std::string& serial) const;

    // ---- Station users. add_user throws DatabaseError for a name taken
    // (enabled or not); disable_user for a name unknown or already disabled.
    void add_user(const User& user);
    std::vector<User> users() const;  // by name
    std::optional<User> user(const std::string& name) const;
    void disable_user(const std::string& name);
    // Registers `badge_sha256` (analysis::badge_digest) as the badge of an
    // enabled user, replacing theirs; DatabaseError when the user is unknown
    // or disabled, or another user has that badge.
    void set_badge(const std::string& name, const std::string& badge_sha256);
    // The enabled user of this badge.
    std::optional<User> user_by_badge(const std::string& badge_sha256) const;

    // ---- The plant's parts, limits and users as last fetched, in one
    // transaction: the limit set stored (as store_limit_set), the users
    // added or updated to the plant's (a station user of the same name
    // becomes the plant's; a badge the plant gives another user is taken
    // from a station user; a user of the plant's the plant does not list
    // is disabled: it came from another plant), the cache row replaced.
    PlantConfigChanges cache_plant_config(const PlantConfigCache& config,
                                          const std::vector<PlantUser>& users);
    std::optional<PlantConfigCache> plant_config() const;
    // A station whose file names no plant any more: the cache is dropped
    // (its catalogue and limit set no longer apply) and the plant's users
    // become the station's own. True when there was a cache.
    bool forget_plant_config();

    // ---- The audit log. append_audit fills id, prev_sha256 and sha256
    // (analysis::audit_entry_hash) in the transaction that appends it, and
    // returns the entry as stored.
    analysis::AuditEntry append_audit(analysis::AuditEntry entry);
    std::vector<analysis::AuditEntry> audit_entries() const;  // in chain order

    // ---- Golden assemblies. add_golden keeps the known values once (a
    // serial is golden once: DatabaseError when it already is).
    void add_golden(const GoldenAssembly& golden);
    std::optional<GoldenAssembly> golden(const std::string& serial) const;
    std::int64_t save_golden_check(const GoldenCheck& check);  // returns its id
    // The station's latest check (passed or not), if any.
    std::optional<GoldenCheck> latest_golden_check(const std::string& station) const;
    // Every check, oldest first (QA: the bias per station over time).
    std::vector<GoldenCheck> golden_checks() const;

    // ---- Cord wear: matings of each cord in the measurement path, counted
    // as the bench asks for them (acquisition::mates_cord), across stations.
    CordWear cord_wear(const std::string& cord_id) const;  // a cord never used: zero, no since
    // One mating more on each cord, in one transaction (durable on return);
    // a cord mated the first time gets its record, counting from now.
    void add_cord_matings(const std::vector<std::string>& cord_ids);
    // Starts the count of a cord again (inspected, cleaned, re-measured
    // against a master: fit to measure again), keeping who, why and the
    // count it had. Throws DatabaseError for a cord never used.
    void requalify_cord(const std::string& cord_id, const std::string& operator_name,
                        const std::string& reason);
    std::vector<CordRequalification> cord_requalifications(const std::string& cord_id) const;
    // ---- Bag labels. Only of a completed, passing production run (else
    // DatabaseError); append-only.
    std::int64_t record_label_print(const LabelPrint& print);  // returns its id
    // Has a label of this run been sent before (a new one is a reprint)?
    bool label_printed(std::int64_t run_id) const;
    // Every label print of every run of a serial, oldest first.
    std::vector<LabelPrint> label_prints(const std::string& serial) const;

    // ---- Record hashes (analysis::record_hash), kept for completed runs,
    // each with the version of the canonical form it was computed over: the
    // current one for new runs; 1 for hashes stored before schema version 3.
    std::optional<std::string> record_hash(std::int64_t run_id) const;
    // The run holding that hash, re-hashed as stored now with the version it
    // was hashed with; nullopt when no run holds it.
    std::optional<RecordCheck> find_record(const std::string& hash) const;

    // ---- Plant identity and the outbox (store-and-forward, README "The
    // plant database"). The station database's UUID, made at creation.
    std::string station_uuid() const;
    // The run's UUID (version 4, made when it began); nullopt: no such run.
    std::optional<std::string> run_uuid(std::int64_t run_id) const;
    // Ended runs not yet in the plant, in the order they ended.
    std::vector<OutboxEntry> outbox_waiting() const;
    OutboxSummary outbox_summary() const;
    // Ended runs the MES has not acknowledged, in the order they ended.
    std::vector<OutboxEntry> outbox_waiting_for_mes() const;
    // The MES acknowledged the run. Throws DatabaseError for a run not
    // waiting for it.
    void mark_mes_acknowledged(std::int64_t run_id);
    // The MES gets the outbox from the first run of a station file with
    // [mes] url on (README "Pushing results to the MES"): links the station
    // once, at the next outbox entry, and gives where its share begins.
    // Before it, nothing waits for the MES.
    std::int64_t link_mes();
    // The payload of a waiting run, kept before it is first sent. Throws
    // DatabaseError for a run not waiting, or one that has its payload.
    void keep_outbox_payload(std::int64_t run_id, const std::string& payload,
                             const std::string& payload_sha256);
    // The run is in the plant: it leaves the waiting list. Throws
    // DatabaseError for a run not waiting in the outbox.
    void mark_forwarded(std::int64_t run_id);

    // ---- QA rollups: kept in the same transaction as every change of a
    // production run's status, one bucket per local day x part x station x
    // operator (analysis/qa.hpp).
    std::vector<analysis::YieldBucket> yield_buckets(const QaFilter& filter) const;
    // Yield, cause and failure buckets, and the IL and RL buckets unless
    // skipped (the Pareto needs none: they are the largest to read).
    // Read: every bucket; Skip: all but the IL and RL ones (the Pareto);
    // Only: the IL and RL ones alone; DayTotals: the same with the IL ones
    // added up to one per day and wavelength (the trend by day or week).
    enum class IlBuckets { Read, Skip, Only, DayTotals };
    QaBuckets qa_buckets(const QaFilter& filter, IlBuckets il = IlBuckets::Read) const;
    // Yield, cause and failure buckets counted from the records as the
    // rollups count them, each run in the bucket period_of(started_at) names
    // instead of its local day: periods the rollups do not keep (the site's
    // shifts). The filter's part, station and operator apply, its days do
    // not. Reads every production run: for QA views, not for a station.
    QaBuckets regrouped_qa_buckets(const QaFilter& filter,
                                   const std::function<std::string(TimePoint)>& period_of) const;
    std::vector<analysis::CauseBucket> cause_buckets(const QaFilter& filter) const;
    std::vector<analysis::FailureBucket> failure_buckets(const QaFilter& filter) const;
    std::vector<analysis::IlBucket> il_buckets(const QaFilter& filter) const;
    std::vector<analysis::RlBucket> rl_buckets(const QaFilter& filter) const;
    // Recomputes every rollup from the records (after a migration, or to
    // check the incremental ones).
    void rebuild_qa_rollups();

    // PRAGMA integrity_check == "ok".
    bool integrity_ok() const;

  private:
    struct Impl;
    explicit Repository(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace mpobench::db
