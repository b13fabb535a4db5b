#include "db/plant_qa.hpp"

#include <fmt/format.h>
#include <libpq-fe.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <regex>
#include <string_view>
#include <tuple>

namespace mpobench::db::plant {

namespace {

using Result = Connection::Result;

// "...zoneinfo/Europe/Berlin" -> "Europe/Berlin"; nullopt without zoneinfo/.
std::optional<std::string> zone_from_path(const std::string& path) {
    constexpr std::string_view marker = "zoneinfo/";
    const auto at = path.find(marker);
    if (at == std::string::npos) {
        return std::nullopt;
    }
    return path.substr(at + marker.size());
}

// PostgreSQL's array literal of texts: {"early","late"}, each element
// quoted (so "NULL" is a name), backslashes and quotes escaped. A parameter's value.
std::string text_array_literal(const std::vector<std::string>& texts) {
    std::string literal = "{";
    for (const auto& text : texts) {
        if (literal.size() > 1) {
            literal += ',';
        }
        literal += '"';
        for (const char c : text) {
            if (c == '"' || c == '\\') {
                literal += '\\';
            }
            literal += c;
        }
        literal += '"';
    }
    return literal + "}";
}

// A query's parameters (text; nullopt: NULL) and the SQL conditions on
// mpobench.runs r that a QA filter stands for, with the period a run r
// counts in: its local day in the session's zone, or its shift.
struct Conditions {
    std::vector<std::string> sql{"r.kind = 'production'"};
    std::vector<std::string> values;
    // The SQL of run r's period key (the bucket's day).
    std::string period = "to_char(r.started_at, 'YYYY-MM-DD')";

    explicit Conditions(const QaFilter& filter) {
        // Local days of the session's time zone (the process's): a range
        // of started_at, so the index on it serves.
        add("r.started_at >= {}::date::timestamptz", filter.from_day);
        add("r.started_at < ({}::date + 1)::timestamptz", filter.to_day);
        add_places(filter);
    }

    // Shifts in the site's zone ($1), by their starts ($2, ascending) and
    // names ($3): analysis::shift_of in SQL. A local time's shift is the
    // last one started at or before it (width_bucket: how many starts are
    // at or before it), or before the first start the day's last shift of
    // the day before; the day it began is the local time less the first
    // start's minutes.
    Conditions(const QaFilter& filter, const ShiftPeriods& periods)
        : values(shift_parameters(periods)) {
        constexpr std::string_view local = "(r.started_at AT TIME ZONE $1::text)";
        const std::string started = fmt::format(
            "width_bucket((date_part('hour', {0}) * 60 + date_part('minute', {0}))::int, "
            "$2::int[])",
            local);
        const std::string day =
            fmt::format("({} - ($2::int[])[1] * interval '1 minute')::date", local);
        // The day as the session's DateStyle (ISO) writes it, YYYY-MM-DD:
        // cheaper than to_char, as date_part's float is than extract's
        // numeric (the key is computed for every run).
        period = fmt::format(
            "{}::text || ' ' || "
            "($3::text[])[coalesce(nullif({}, 0), cardinality($2::int[]))]",
            day, started);
        // Shifts by the day they began: that day, and a range of started_at
        // a day wider on each side for the index (a shift begun on day D
        // has its runs from D 00:00 to D+2 00:00 local time).
        if (filter.from_day) {
            values.push_back(*filter.from_day);
            sql.push_back(fmt::format(
                "r.started_at >= (${0}::date - 1)::timestamp AT TIME ZONE $1::text AND {1} >= "
                "${0}::date",
                values.size(), day));
        }
        if (filter.to_day) {
            values.push_back(*filter.to_day);
            sql.push_back(fmt::format(
                "r.started_at < (${0}::date + 2)::timestamp AT TIME ZONE $1::text AND {1} <= "
                "${0}::date",
                values.size(), day));
        }
        add_places(filter);
    }

    void add_places(const QaFilter& filter) {
        add("r.part = {}", filter.part_number);
        if (filter.station && is_uuid_text(*filter.station)) {
            add("r.station_uuid = {}::uuid", filter.station);
        } else {
            add("r.station_uuid IN (SELECT s.uuid FROM mpobench.stations s WHERE s.name = {})",
                filter.station);
        }
        add("r.operator = {}", filter.operator_name);
    }

    void add(const char* condition, const std::optional<std::string>& value) {
        if (value) {
            values.push_back(*value);
            sql.push_back(fmt::format(fmt::runtime(condition), fmt::format("${}", values.size())));
        }
    }

    std::string where() const { return fmt::format("WHERE {}", fmt::join(sql, " AND ")); }

    // The bucket key columns of a run r: its period, part, station, operator
    // (or empty text for all but the period).
    std::string keys(QaReader::Keys keys) const {
        return keys == QaReader::Keys::All
                   ? fmt::format("{}, r.part, r.station_uuid::text, r.operator", period)
                   : fmt::format("{}, ''::text, ''::text, ''::text", period);
    }

    // The per-run counts: the yield, the causes, the failures (the columns
    // QaReader::read_yield, read_causes and read_failures take).
    std::string yield_sql(QaReader::Keys keys) const {
        return fmt::format(R"sql(
SELECT {keys},
       count(*) FILTER (WHERE r.status = 'completed'),
       count(*) FILTER (WHERE r.status = 'completed' AND r.pass),
       count(*) FILTER (WHERE r.status = 'aborted'),
       count(*) FILTER (WHERE r.status = 'interrupted'),
       count(first_of.serial), count(first_of.serial) FILTER (WHERE first_of.first_pass),
       count(final_of.serial), count(final_of.serial) FILTER (WHERE final_of.final_pass),
       count(*) FILTER (WHERE r.status = 'completed' AND r.grade = 'fail'),
       count(*) FILTER (WHERE r.status = 'completed' AND r.grade = 'generic'),
       count(*) FILTER (WHERE r.status = 'completed' AND r.grade = 'standard'),
       count(*) FILTER (WHERE r.status = 'completed' AND r.grade = 'elite'),
       coalesce(sum(r.retries), 0)
FROM mpobench.runs r
LEFT JOIN mpobench.serials first_of ON first_of.first_run_id = r.id
LEFT JOIN mpobench.serials final_of ON final_of.final_run_id = r.id
{where}
GROUP BY 1, 2, 3, 4
)sql",
                           fmt::arg("keys", this->keys(keys)), fmt::arg("where", where()));
    }

    std::string causes_sql(QaReader::Keys keys) const {
        return fmt::format(
            "SELECT {}, f.cause, count(DISTINCT f.run_id) FROM mpobench.qa_failures f "
            "JOIN mpobench.runs r ON r.id = f.run_id {} GROUP BY 1, 2, 3, 4, 5",
            this->keys(keys), where());
    }

    std::string failures_sql(QaReader::Keys keys) const {
        return fmt::format(
            "SELECT {}, f.cause, f.launched_end, f.fiber, f.wavelength_nm, count(*) "
            "FROM mpobench.qa_failures f JOIN mpobench.runs r ON r.id = f.run_id {} "
            "GROUP BY 1, 2, 3, 4, 5, 6, 7, 8",
            this->keys(keys), where());
    }
};

// The SQL conditions on the day buckets b (db/plant.sql: mpobench.qa_day_*)
// that a QA filter stands for: the whole days' rows when the view needs the
// day alone and the filter names no part, station or operator.
struct BucketConditions {
    std::vector<std::string> sql;
    std::vector<std::string> values;
    bool whole_day = false;

    BucketConditions(const QaFilter& filter, QaReader::Keys keys) {
        whole_day = keys == QaReader::Keys::DayOnly && !filter.part_number && !filter.station &&
                    !filter.operator_name;
        sql.emplace_back(whole_day ? "b.whole_day" : "NOT b.whole_day");
        add("b.day >= {}::date", filter.from_day);
        add("b.day <= {}::date", filter.to_day);
        add("b.part = {}", filter.part_number);
        if (filter.station && is_uuid_text(*filter.station)) {
            add("b.station_uuid = {}::uuid", filter.station);
        } else {
            add("b.station_uuid IN (SELECT s.uuid FROM mpobench.stations s WHERE s.name = {})",
                filter.station);
        }
        add("b.operator = {}", filter.operator_name);
    }

    void add(const char* condition, const std::optional<std::string>& value) {
        if (value) {
            values.push_back(*value);
            sql.push_back(fmt::format(fmt::runtime(condition), fmt::format("${}", values.size())));
        }
    }

    std::string where() const { return fmt::format("WHERE {}", fmt::join(sql, " AND ")); }

    // The query of the buckets of `table` b: the key columns, the bucket's
    // other key columns (extra_keys of them) and its counts (aggregates of
    // b's columns: sum, min, max). Grouped only when several rows make one
    // bucket (the day alone, from the rows per part, station and operator);
    // otherwise each row is a bucket: read as it is, from the whole days'
    // index (qa_day_*_whole_days) where there is one.
    std::string select(QaReader::Keys keys, std::string_view columns, std::string_view table,
                       int extra_keys) const {
        const bool grouped = !whole_day && keys == QaReader::Keys::DayOnly;
        static const std::regex aggregate("(?:sum|min|max)\\((b\\.[a-z_]+)\\)");
        std::string sql_text = fmt::format(
            "SELECT {}, {} FROM mpobench.{} b {}",
            // The day as the session's DateStyle (ISO) writes it:
            // YYYY-MM-DD; NULL reads as empty text and costs no bytes.
            keys == QaReader::Keys::All ? "b.day, b.part, b.station_uuid::text, b.operator"
                                        : "b.day, NULL::text, NULL::text, NULL::text",
            grouped ? std::string(columns)
                    : std::regex_replace(std::string(columns), aggregate, "$1"),
            table, where());
        if (grouped) {
            std::vector<int> positions;
            for (int i = 1; i <= 4 + extra_keys; ++i) {
                positions.push_back(i);
            }
            sql_text += fmt::format(" GROUP BY {}", fmt::join(positions, ", "));
        }
        return sql_text;
    }
};

std::int64_t integer_at(PGresult* result, int row, int column) {
    const char* text = PQgetvalue(result, row, column);
    std::int64_t value = 0;
    const std::string_view view(text);
    const auto [end, error] = std::from_chars(view.data(), view.data() + view.size(), value);
    if (error != std::errc{} || end != view.data() + view.size()) {
        throw PlantError(fmt::format("the plant answered '{}' where a whole number belongs", view));
    }
    return value;
}

double real_at(PGresult* result, int row, int column) {
    const char* text = PQgetvalue(result, row, column);
    double value = 0.0;
    const std::string_view view(text);
    const auto [end, error] = std::from_chars(view.data(), view.data() + view.size(), value);
    if (error != std::errc{} || end != view.data() + view.size()) {
        throw PlantError(fmt::format("the plant answered '{}' where a number belongs", view));
    }
    return value;
}

std::optional<double> optional_real_at(PGresult* result, int row, int column) {
    if (PQgetisnull(result, row, column)) {
        return std::nullopt;
    }
    return real_at(result, row, column);
}

auto key_order(const analysis::BucketKey& key) {
    return std::tie(key.day, key.part_number, key.station, key.operator_name);
}

}  // namespace

std::vector<std::string> shift_parameters(const ShiftPeriods& periods) {
    if (const auto error = analysis::shift_list_error(periods.shifts)) {
        throw PlantError(fmt::format("the site's shifts: {}", *error));
    }
    auto shifts = periods.shifts;
    std::sort(shifts.begin(), shifts.end(),
              [](const auto& a, const auto& b) { return a.start_min < b.start_min; });
    std::vector<std::string> starts, names;
    for (const auto& shift : shifts) {
        starts.push_back(std::to_string(shift.start_min));
        names.push_back(shift.name);
    }
    return {periods.time_zone.empty() ? std::string("UTC") : periods.time_zone,
            fmt::format("{{{}}}", fmt::join(starts, ",")), text_array_literal(names)};
}

std::string process_time_zone() {
    if (const char* tz = std::getenv("TZ"); tz != nullptr && tz[0] != '\0') {
        std::string zone = tz[0] == ':' ? tz + 1 : tz;
        return zone_from_path(zone).value_or(zone);
    }
    std::error_code error;
    const auto target = std::filesystem::read_symlink("/etc/localtime", error);
    if (!error) {
        if (auto zone = zone_from_path(target.string())) {
            return *zone;
        }
    }
    std::ifstream file("/etc/timezone");
    std::string zone;
    if (file && std::getline(file, zone) && !zone.empty()) {
        return zone;
    }
    if (!std::filesystem::exists("/etc/localtime")) {
        return "UTC";
    }
    throw PlantError(
        "cannot tell this process's time zone by name (the plant's days are local days): set TZ, "
        "e.g. TZ=Europe/Berlin");
}

namespace {}  // namespace

QaReader::QaReader(const std::string& url, std::optional<std::chrono::milliseconds> answer_timeout)
    : connection_(url, std::chrono::seconds(10), answer_timeout) {
    const std::string zone = process_time_zone();
    // Local days as this process counts them; nothing written.
    connection_.execute(
        "SELECT set_config('TimeZone', $1, false)", {zone},
        fmt::format("setting the session's time zone to this process's ({})", zone));
    connection_.execute("SELECT set_config('DateStyle', 'ISO, YMD', false)", {},
                        "setting the session's date style");
    connection_.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY", {},
                        "making the session read-only");
    const Result stations = connection_.execute(
        "SELECT uuid::text, name, count(*) OVER (PARTITION BY name) "
        "FROM mpobench.stations",
        {}, "reading the plant's stations");
    for (int row = 0; row < PQntuples(stations.get()); ++row) {
        const std::string uuid = PQgetvalue(stations.get(), row, 0);
        const std::string name = PQgetvalue(stations.get(), row, 1);
        station_labels_[uuid] = integer_at(stations.get(), row, 2) > 1
                                    ? fmt::format("{} ({})", name, uuid.substr(0, 8))
                                    : name;
    }
    // The day buckets serve when their days are this process's: the plant's
    // zone is ours (a plant made before them has none: the runs serve).
    const Result settings =
        connection_.execute("SELECT to_regclass('mpobench.plant_settings') IS NOT NULL", {},
                            "looking for the plant's settings");
    if (std::string_view(PQgetvalue(settings.get(), 0, 0)) == "t") {
        const Result zone_row =
            connection_.execute("SELECT time_zone FROM mpobench.plant_settings WHERE filled", {},
                                "reading the plant's time zone");
        day_buckets_ = PQntuples(zone_row.get()) == 1 && zone == PQgetvalue(zone_row.get(), 0, 0);
    }
}

std::string QaReader::station_label(const std::string& uuid) const {
    if (uuid.empty()) {
        return uuid;  // Keys::DayOnly
    }
    const auto found = station_labels_.find(uuid);
    return found == station_labels_.end() ? uuid : found->second;
}

namespace {

template <typename Bucket>
void sort_buckets(std::vector<Bucket>& buckets) {
    const auto before = [](const Bucket& a, const Bucket& b) {
        return key_order(a.key) < key_order(b.key);
    };
    // The whole days' rows come in day order (their index): nothing to move.
    if (!std::is_sorted(buckets.begin(), buckets.end(), before)) {
        std::stable_sort(buckets.begin(), buckets.end(), before);
    }
}

}  // namespace

std::vector<analysis::YieldBucket> QaReader::yield_buckets(const QaFilter& filter,
                                                           Keys keys) const {
    if (!day_buckets_) {
        const Conditions conditions(filter);
        return read_yield(conditions.yield_sql(keys), conditions.values);
    }
    const BucketConditions conditions(filter, keys);
    return read_yield(conditions.select(keys,
                                        "sum(b.completed), sum(b.passed), sum(b.aborted), "
                                        "sum(b.interrupted), sum(b.first_tested), "
                                        "sum(b.first_passed), sum(b.final_tested), "
                                        "sum(b.final_passed), sum(b.grade_fail), "
                                        "sum(b.grade_generic), sum(b.grade_standard), "
                                        "sum(b.grade_elite), sum(b.retries)",
                                        "qa_day_yield", 0),
                      conditions.values);
}

std::vector<analysis::YieldBucket> QaReader::read_yield(
    const std::string& sql, const std::vector<std::string>& values) const {
    const Result result = connection_.execute(sql, values, "reading the yield");
    std::vector<analysis::YieldBucket> buckets;
    PGresult* rows = result.get();
    for (int row = 0; row < PQntuples(rows); ++row) {
        auto& bucket = buckets.emplace_back();
        bucket.key = {PQgetvalue(rows, row, 0), PQgetvalue(rows, row, 1),
                      station_label(PQgetvalue(rows, row, 2)), PQgetvalue(rows, row, 3)};
        auto& counts = bucket.counts;
        counts.completed = integer_at(rows, row, 4);
        counts.passed = integer_at(rows, row, 5);
        counts.aborted = integer_at(rows, row, 6);
        counts.interrupted = integer_at(rows, row, 7);
        counts.first_tested = integer_at(rows, row, 8);
        counts.first_passed = integer_at(rows, row, 9);
        counts.final_tested = integer_at(rows, row, 10);
        counts.final_passed = integer_at(rows, row, 11);
        for (int grade = 0; grade < 4; ++grade) {
            counts.grades[static_cast<std::size_t>(grade)] = integer_at(rows, row, 12 + grade);
        }
        counts.retries = integer_at(rows, row, 16);
    }
    sort_buckets(buckets);
    return buckets;
}

std::vector<analysis::CauseBucket> QaReader::read_causes(
    const std::string& sql, const std::vector<std::string>& values) const {
    const Result result = connection_.execute(sql, values, "reading the failure causes");
    std::vector<analysis::CauseBucket> buckets;
    PGresult* rows = result.get();
    for (int row = 0; row < PQntuples(rows); ++row) {
        buckets.push_back(
            {analysis::BucketKey{PQgetvalue(rows, row, 0), PQgetvalue(rows, row, 1),
                                 station_label(PQgetvalue(rows, row, 2)), PQgetvalue(rows, row, 3)},
             PQgetvalue(rows, row, 4), integer_at(rows, row, 5)});
    }
    sort_buckets(buckets);
    return buckets;
}

std::vector<analysis::FailureBucket> QaReader::read_failures(
    const std::string& sql, const std::vector<std::string>& values) const {
    const Result result = connection_.execute(sql, values, "reading the failures");
    std::vector<analysis::FailureBucket> buckets;
    PGresult* rows = result.get();
    for (int row = 0; row < PQntuples(rows); ++row) {
        analysis::FailureBucket bucket;
        bucket.key = {PQgetvalue(rows, row, 0), PQgetvalue(rows, row, 1),
                      station_label(PQgetvalue(rows, row, 2)), PQgetvalue(rows, row, 3)};
        bucket.cause = PQgetvalue(rows, row, 4);
        const std::string_view end = PQgetvalue(rows, row, 5);
        if (end == "A") {
            bucket.end = End::A;
        } else if (end == "B") {
            bucket.end = End::B;
        }
        bucket.fiber = static_cast<int>(integer_at(rows, row, 6));
        bucket.wavelength_nm = static_cast<int>(integer_at(rows, row, 7));
        bucket.failures = integer_at(rows, row, 8);
        buckets.push_back(std::move(bucket));
    }
    sort_buckets(buckets);
    return buckets;
}

QaBuckets QaReader::shift_buckets(const QaFilter& filter, const ShiftPeriods& periods,
                                  bool failures) const {
    const Conditions conditions(filter, periods);
    QaBuckets buckets;
    buckets.yield = read_yield(conditions.yield_sql(Keys::DayOnly), conditions.values);
    if (!failures) {
        return buckets;
    }
    buckets.causes = read_causes(conditions.causes_sql(Keys::DayOnly), conditions.values);
    buckets.failures = read_failures(conditions.failures_sql(Keys::DayOnly), conditions.values);
    return buckets;
}

QaBuckets QaReader::qa_buckets(const QaFilter& filter, Keys keys, Contents contents) const {
    const Conditions conditions(filter);
    const BucketConditions bucket_conditions(filter, keys);
    const auto& values = day_buckets_ ? bucket_conditions.values : conditions.values;
    QaBuckets buckets;
    const auto key_of = [this](PGresult* rows, int row) {
        return analysis::BucketKey{PQgetvalue(rows, row, 0), PQgetvalue(rows, row, 1),
                                   station_label(PQgetvalue(rows, row, 2)),
                                   PQgetvalue(rows, row, 3)};
    };
    if (contents != Contents::Readings) {
        buckets.yield = yield_buckets(filter, keys);
        buckets.causes = read_causes(
            day_buckets_
                ? bucket_conditions.select(keys, "b.cause, sum(b.runs)", "qa_day_causes", 1)
                : conditions.causes_sql(keys),
            values);
        buckets.failures = read_failures(
            day_buckets_
                ? bucket_conditions.select(
                      keys, "b.cause, b.launched_end, b.fiber, b.wavelength_nm, sum(b.failures)",
                      "qa_day_failures", 4)
                : conditions.failures_sql(keys),
            values);
    }
    if (contents == Contents::Counts) {
        return buckets;
    }
    // The readings a station's rollups take (db/qa_rollups.hpp): cycle 0,
    // status ok, of completed runs; each distinct value once with its count.
    const std::string readings_where =
        conditions.where() + " AND r.status = 'completed' AND m.cycle = 0 AND m.status = 'ok'";
    {
        // Per IL histogram bin: the bin as IlHistogram::add computes it
        // (before clamping to its first and last bin), in the same double
        // arithmetic, with the bin's count, sums, least and greatest value.
        // The day buckets hold the bin, clamped (mpobench.il_bin).
        const Result result = connection_.execute(
            day_buckets_
                ? bucket_conditions.select(
                      keys,
                      "b.wavelength_nm, b.bin, sum(b.readings), sum(b.sum_db), "
                      "sum(b.sum_squares_db), min(b.min_db), max(b.max_db)",
                      "qa_day_il", 2)
                : fmt::format(
                      "SELECT {}, m.wavelength_nm, "
                      "floor((m.il_db - float8 '{}') / float8 '{}' + float8 '1e-9'), count(*), "
                      "sum(m.il_db), sum(m.il_db * m.il_db), min(m.il_db), max(m.il_db) "
                      "FROM mpobench.measurements m JOIN mpobench.runs r ON r.id = m.run_id {} "
                      "AND m.il_db IS NOT NULL GROUP BY 1, 2, 3, 4, 5, 6",
                      conditions.keys(keys), analysis::IlHistogram::first_edge_db,
                      analysis::IlHistogram::bin_width_db, readings_where),
            values, "reading the IL readings");
        PGresult* rows = result.get();
        std::map<std::tuple<std::string, std::string, std::string, std::string, int>, std::size_t>
            index;
        for (int row = 0; row < PQntuples(rows); ++row) {
            const auto key = key_of(rows, row);
            const int wavelength_nm = static_cast<int>(integer_at(rows, row, 4));
            const auto [at, added] = index.try_emplace(
                {key.day, key.part_number, key.station, key.operator_name, wavelength_nm},
                buckets.il.size());
            if (added) {
                auto& bucket = buckets.il.emplace_back();
                bucket.key = key;
                bucket.wavelength_nm = wavelength_nm;
            }
            auto& bucket = buckets.il[at->second];
            const double position = real_at(rows, row, 5);
            const std::int64_t count = integer_at(rows, row, 6);
            const double min_db = real_at(rows, row, 9), max_db = real_at(rows, row, 10);
            bucket.min_db = bucket.count == 0 ? min_db : std::min(bucket.min_db, min_db);
            bucket.max_db = bucket.count == 0 ? max_db : std::max(bucket.max_db, max_db);
            bucket.count += count;
            bucket.sum_db += real_at(rows, row, 7);
            bucket.sum_squares_db += real_at(rows, row, 8);
            // Clamped as add() clamps.
            const int bin = static_cast<int>(std::clamp(
                position, 0.0, static_cast<double>(analysis::IlHistogram::bin_count - 1)));
            bucket.histogram.add_to_bin(bin, count);
        }
        sort_buckets(buckets.il);
    }
    {
        // RlStats::add_value for a value, add_bound for a bound without one.
        const Result result = connection_.execute(
            day_buckets_
                ? bucket_conditions.select(keys,
                                           "b.wavelength_nm, sum(b.rl_values), sum(b.above_range), "
                                           "min(b.worst_db), min(b.lowest_bound_db)",
                                           "qa_day_rl", 1)
                : fmt::format(
                      "SELECT {}, m.wavelength_nm, count(m.rl_db), "
                      "count(*) FILTER (WHERE m.rl_db IS NULL), min(m.rl_db), "
                      "min(m.rl_above_db) FILTER (WHERE m.rl_db IS NULL) "
                      "FROM mpobench.measurements m JOIN mpobench.runs r ON r.id = m.run_id {} "
                      "AND (m.rl_db IS NOT NULL OR m.rl_above_db IS NOT NULL) "
                      "GROUP BY 1, 2, 3, 4, 5",
                      conditions.keys(keys), readings_where),
            values, "reading the RL readings");
        PGresult* rows = result.get();
        for (int row = 0; row < PQntuples(rows); ++row) {
            auto& bucket = buckets.rl.emplace_back();
            bucket.key = key_of(rows, row);
            bucket.wavelength_nm = static_cast<int>(integer_at(rows, row, 4));
            bucket.stats.values = integer_at(rows, row, 5);
            bucket.stats.above_range = integer_at(rows, row, 6);
            bucket.stats.worst_db = optional_real_at(rows, row, 7);
            bucket.stats.lowest_bound_db = optional_real_at(rows, row, 8);
        }
        sort_buckets(buckets.rl);
    }
    return buckets;
}

}  // namespace mpobench::db::plant
