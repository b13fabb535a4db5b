// Exports read back the way their users read them: CSV with an RFC 4180
// reader, JSON with nlohmann, XLSX with openpyxl (read_xlsx.py on the system
// python, which has Debian's python3-openpyxl) — every value compared with
// the records as the database holds them.

#include <catch2/catch.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

#include "reports/export.hpp"
#include "reports/export_xlsx.hpp"
#include "tests/db/db_test_support.hpp"
#include "tests/support/run_command.hpp"
#include "vocabulary/time_text.hpp"

using namespace db_test;
using Catch::Matchers::Contains;
using mpobench::db::Repository;
using mpobench::db::RunFilter;
using mpobench::reports::export_records;
using mpobench::reports::export_xlsx;
using mpobench::reports::ExportCounts;
using mpobench::reports::ExportFormat;
using mpobench::reports::ExportTable;
using mpobench::reports::parse_export_format;
using mpobench::reports::ReportError;
using mpobench::testing::Capture;
using mpobench::testing::quoted;
using mpobench::testing::run_command;

namespace {

// The columns export.hpp promises, in order.
const std::vector<std::string> kRunColumns = {
    "run_id",         "serial",     "part",   "kind",     "station",   "operator",
    "started_at",     "ended_at",   "status", "reason",   "grade",     "target_grade",
    "pass",           "fibers",     "mode",   "polarity", "limit_set", "limit_set_version",
    "limit_set_hash", "record_hash"};
const std::vector<std::string> kMeasurementColumns = {
    "run_id",      "serial",       "end",       "fiber",      "wavelength_nm", "cycle",
    "status",      "far_position", "power_dbm", "il_db",      "rl_db",         "taken_at",
    "rl_above_db", "rl_windows",   "rl_low_db", "rl_high_db", "rl_marginal"};
const std::vector<std::string> kFailureColumns = {
    "run_id", "serial", "what", "end", "fiber", "wavelength_nm", "value", "limit", "grade"};

constexpr std::int64_t kDayOne_ms = 1'780'000'000'000;  // 2026-05-28T20:26:40Z
constexpr std::int64_t kHour_ms = 3'600'000;

// Text CSV has to quote: comma, quote, CR and LF.
const std::string kTrickySerial = "SN,\"2\"\nB";
const std::string kTrickyOperator = "O'Neil, \"Bo\"\r\nnight shift";
const std::string kAbortReason = "operator abort: \"dirty\" ferrule, end B";
// Not 0.3: a number that only its shortest round-trip form keeps.
const double kUnroundIl_db = 0.1 + 0.2;

Failure failure(FailureCause what, std::optional<End> end, std::optional<int> fiber,
                std::optional<int> wavelength_nm, std::optional<double> value,
                std::optional<double> limit, Grade grade) {
    return {what, end, fiber, wavelength_nm, value, limit, grade};
}

void complete(Repository& repository, RunRecord& run, Grade grade, bool pass,
              std::vector<Failure> failures) {
    const auto limits = default_limits();
    run.grade = grade;
    run.pass = pass;
    run.failures = std::move(failures);
    run.limit_set_name = limits.name;
    run.limit_set_version = limits.version;
    run.limit_set_hash = limits.hash;
    run.ended_at = run.started_at + std::chrono::seconds{90};
    run.status = RunStatus::Completed;
    repository.complete_run(run);
}

// A database holding the runs an export has to get right, an hour apart:
//   [0] passed, elite, bench-1, MTP12-SM-B-3M
//   [1] failed: an il, an il_mean (no fibre) and a continuity failure (no
//       value, no limit); serial and operator with comma, quote, CR, LF
//   [2] aborted with a reason, bench-2, an MM part MTP24-MM-A-1M
//   [3] a broken fibre (no light: NaN power, no IL, no RL), bench-2
class ExportDatabase {
  public:
    ExportDatabase() : repository_(dir_.file("records.db")) {
        repository_.store_limit_set(default_limits());

        RunRecord passed = new_run("SN-PASS-1", kDayOne_ms);
        passed.measurements = {measurement(End::A, 1, 1310, 0, kDayOne_ms + 10),
                               measurement(End::A, 2, 1310, 0, kDayOne_ms + 20),
                               measurement(End::B, 1, 1550, 0, kDayOne_ms + 30),
                               measurement(End::A, 1, 1310, 1, kDayOne_ms + 40)};
        passed.measurements[1].il_db = kUnroundIl_db;
        passed.id = repository_.begin_run(passed);
        complete(repository_, passed, Grade::Elite, true, {});
        ids.push_back(passed.id);

        const std::int64_t failed_ms = kDayOne_ms + kHour_ms;
        RunRecord failed = new_run(kTrickySerial, failed_ms);
        failed.operator_name = kTrickyOperator;
        failed.measurements = {measurement(End::A, 3, 1550, 0, failed_ms + 10),
                               measurement(End::B, 7, 1310, 0, failed_ms + 20)};
        failed.measurements[0].il_db = 0.41;
        failed.id = repository_.begin_run(failed);
        complete(
            repository_, failed, Grade::Fail, false,
            {failure(FailureCause::Il, End::A, 3, 1550, 0.41, 0.35, Grade::Elite),
             failure(FailureCause::IlMean, End::A, std::nullopt, 1310, 0.27, 0.25, Grade::Standard),
             failure(FailureCause::Continuity, End::B, 7, std::nullopt, std::nullopt, std::nullopt,
                     Grade::Generic)});
        ids.push_back(failed.id);

        const std::int64_t aborted_ms = kDayOne_ms + 2 * kHour_ms;
        RunRecord aborted = new_run("SN-ABORT-3", aborted_ms);
        aborted.part.number = "MTP24-MM-A-1M";
        aborted.part.fibers = 24;
        aborted.part.mode = FiberMode::MM;
        aborted.part.polarity = PolarityType::A;
        aborted.part.target = Grade::Standard;
        aborted.part.wavelengths_nm = {850, 1300};
        aborted.station = "bench-2";
        aborted.operator_name = "grace";
        aborted.measurements = {measurement(End::A, 1, 850, 0, aborted_ms + 10),
                                measurement(End::A, 2, 850, 0, aborted_ms + 20)};
        aborted.id = repository_.begin_run(aborted);
        repository_.abort_run(aborted.id, kAbortReason);
        ids.push_back(aborted.id);

        const std::int64_t dark_ms = kDayOne_ms + 3 * kHour_ms;
        RunRecord dark = new_run("SN-DARK-4", dark_ms);
        dark.station = "bench-2";
        Measurement no_light = measurement(End::A, 5, 1310, 0, dark_ms + 20);
        no_light.status = ReadingStatus::NoLight;
        no_light.far_position = 0;
        no_light.power_dbm = std::nan("");
        no_light.il_db.reset();
        no_light.rl_db.reset();
        // RL beyond the meter's range: a bound, exported apart from rl_db.
        Measurement bound = measurement(End::A, 4, 1310, 0, dark_ms + 10);
        bound.rl_db.reset();
        bound.rl_above_db = 75.0;
        dark.measurements = {bound, no_light};
        dark.id = repository_.begin_run(dark);
        complete(repository_, dark, Grade::Fail, false,
                 {failure(FailureCause::Continuity, End::A, 5, std::nullopt, std::nullopt,
                          std::nullopt, Grade::Generic)});
        ids.push_back(dark.id);
    }

    Repository& repository() { return repository_; }

    std::vector<std::int64_t> ids;  // in the order above

  private:
    TempDir dir_;
    Repository repository_;
};

// ---- What the export should hold: the database's records, column by column.

using Value = std::variant<std::monostate, std::int64_t, double, bool, std::string, TimePoint>;
using Row = std::vector<Value>;  // in column order

struct Tables {
    std::vector<Row> runs, measurements, failures;
};

Value text(std::string_view value) {
    return value.empty() ? Value{} : Value{std::string(value)};
}
Value real(std::optional<double> value) {
    return value && !std::isnan(*value) ? Value{*value} : Value{};
}
Value integer(std::optional<int> value) {
    return value ? Value{std::int64_t{*value}} : Value{};
}

Tables expected_tables(const Repository& repository, const RunFilter& filter) {
    Tables tables;
    for (const auto& summary : repository.find_runs(filter)) {
        const auto run = repository.run(summary.id);
        REQUIRE(run);
        const auto hash = repository.record_hash(run->id);
        tables.runs.push_back({
            run->id,
            text(run->serial),
            text(run->part.number),
            text(run->kind == RunKind::Production ? "production" : "repeatability"),
            text(run->station),
            text(run->operator_name),
            run->started_at,
            run->ended_at ? Value{*run->ended_at} : Value{},
            text(to_string(run->status)),
            text(run->reason),
            run->grade ? text(to_string(*run->grade)) : Value{},
            text(to_string(run->part.target)),
            run->pass,
            std::int64_t{run->part.fibers},
            text(to_string(run->part.mode)),
            text(to_string(run->part.polarity)),
            text(run->limit_set_name),
            text(run->limit_set_version),
            text(run->limit_set_hash),
            hash ? text(*hash) : Value{},
        });
        for (const auto& m : run->measurements) {
            tables.measurements.push_back({
                run->id,
                text(run->serial),
                text(to_string(m.end)),
                std::int64_t{m.fiber},
                std::int64_t{m.wavelength_nm},
                std::int64_t{m.cycle},
                text(to_string(m.status)),
                std::int64_t{m.far_position},
                real(m.power_dbm),
                real(m.il_db),
                real(m.rl_db),
                m.taken_at,
                real(m.rl_above_db),
                std::int64_t{m.rl_windows},
                real(m.rl_low_db),
                real(m.rl_high_db),
                std::int64_t{m.rl_marginal ? 1 : 0},
            });
        }
        for (const auto& f : run->failures) {
            tables.failures.push_back({
                run->id,
                text(run->serial),
                text(to_string(f.what)),
                f.end ? text(to_string(*f.end)) : Value{},
                integer(f.fiber),
                integer(f.wavelength_nm),
                real(f.value),
                real(f.limit),
                text(to_string(f.grade)),
            });
        }
    }
    return tables;
}

template <class... Ts>
struct Overloaded : Ts... {
    using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

std::int64_t ms_since_epoch(TimePoint time) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
}

// ---- CSV

// RFC 4180 records; lines end in LF; a quoted field may hold commas, doubled
// quotes, CR and LF. Malformed text fails the test.
std::vector<std::vector<std::string>> read_csv(const std::string& text) {
    std::vector<std::vector<std::string>> records;
    std::vector<std::string> record;
    std::string field;
    bool in_quotes = false, was_quoted = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (in_quotes) {
            if (c != '"') {
                field += c;
            } else if (i + 1 < text.size() && text[i + 1] == '"') {
                field += '"';
                ++i;
            } else {
                in_quotes = false;
            }
        } else if (c == ',' || c == '\n') {
            record.push_back(std::move(field));
            field.clear();
            was_quoted = false;
            if (c == '\n') {
                records.push_back(std::move(record));
                record.clear();
            }
        } else if (c == '\r') {
            FAIL("CR outside quotes at byte " << i);
        } else if (was_quoted) {
            FAIL("text after a closing quote at byte " << i);
        } else if (c == '"') {
            if (!field.empty())
                FAIL("quote inside an unquoted field at byte " << i);
            in_quotes = was_quoted = true;
        } else {
            field += c;
        }
    }
    REQUIRE_FALSE(in_quotes);
    REQUIRE(record.empty());  // the last line ends in LF too
    REQUIRE(field.empty());
    return records;
}

void check_csv_field(const std::string& field, const Value& expected) {
    std::visit(Overloaded{
                   [&](std::monostate) { CHECK(field.empty()); },
                   [&](std::int64_t value) {
                       std::int64_t parsed = 0;
                       const auto [end, error] =
                           std::from_chars(field.data(), field.data() + field.size(), parsed);
                       CHECK(error == std::errc{});
                       CHECK(end == field.data() + field.size());
                       CHECK(parsed == value);
                   },
                   [&](double value) {
                       REQUIRE_FALSE(field.empty());
                       char* end = nullptr;
                       CHECK(std::strtod(field.c_str(), &end) == value);
                       CHECK(*end == '\0');
                   },
                   [&](bool value) { CHECK(field == (value ? "true" : "false")); },
                   [&](const std::string& value) { CHECK(field == value); },
                   [&](TimePoint value) { CHECK(parse_utc_ms(field) == value); },
               },
               expected);
}

void check_csv(const std::string& text, const std::vector<std::string>& columns,
               const std::vector<Row>& expected) {
    const auto records = read_csv(text);
    REQUIRE(!records.empty());
    CHECK(records[0] == columns);
    REQUIRE(records.size() == expected.size() + 1);
    for (std::size_t row = 0; row < expected.size(); ++row) {
        REQUIRE(records[row + 1].size() == columns.size());
        for (std::size_t column = 0; column < columns.size(); ++column) {
            INFO("CSV row " << row + 1 << " column " << columns[column] << ": "
                            << records[row + 1][column]);
            check_csv_field(records[row + 1][column], expected[row][column]);
        }
    }
}

// ---- JSON

void check_json_value(const nlohmann::ordered_json& actual, const Value& expected) {
    std::visit(Overloaded{
                   [&](std::monostate) { CHECK(actual.is_null()); },
                   [&](std::int64_t value) {
                       REQUIRE(actual.is_number_integer());
                       CHECK(actual.get<std::int64_t>() == value);
                   },
                   [&](double value) {
                       REQUIRE(actual.is_number());
                       CHECK(actual.get<double>() == value);
                   },
                   [&](bool value) {
                       REQUIRE(actual.is_boolean());
                       CHECK(actual.get<bool>() == value);
                   },
                   [&](const std::string& value) {
                       REQUIRE(actual.is_string());
                       CHECK(actual.get<std::string>() == value);
                   },
                   [&](TimePoint value) {
                       REQUIRE(actual.is_string());
                       CHECK(parse_utc_ms(actual.get<std::string>()) == value);
                   },
               },
               expected);
}

void check_json(const nlohmann::ordered_json& array, const std::vector<std::string>& columns,
                const std::vector<Row>& expected) {
    REQUIRE(array.is_array());
    REQUIRE(array.size() == expected.size());
    for (std::size_t row = 0; row < expected.size(); ++row) {
        const auto& element = array[row];
        REQUIRE(element.is_object());
        std::vector<std::string> keys;
        for (const auto& [key, value] : element.items())
            keys.push_back(key);
        CHECK(keys == columns);
        for (std::size_t column = 0; column < columns.size(); ++column) {
            INFO("JSON element " << row << " key " << columns[column] << ": "
                                 << element[columns[column]].dump());
            check_json_value(element[columns[column]], expected[row][column]);
        }
    }
}

// ---- XLSX

nlohmann::json read_xlsx(const std::filesystem::path& workbook) {
    // The system interpreter: the one with Debian's python3-openpyxl.
    const std::string command = std::string("/usr/bin/python3 ") + MPOBENCH_SOURCE_DIR +
                                "/tests/reports/read_xlsx.py " + quoted(workbook);
    // Stdout alone: it is parsed; a failure's message shows on stderr.
    const auto result = run_command(command, Capture::Stdout);
    INFO(command);
    REQUIRE(result.exit_code == 0);
    return nlohmann::json::parse(result.output);
}

std::vector<std::string> sheet_names(const nlohmann::json& workbook) {
    std::vector<std::string> names;
    for (const auto& sheet : workbook["sheets"])
        names.push_back(sheet["name"].get<std::string>());
    return names;
}

void check_xlsx_cell(const nlohmann::json& cell, const Value& expected) {
    std::visit(Overloaded{
                   [&](std::monostate) { CHECK(cell["v"].is_null()); },
                   [&](std::int64_t value) {
                       CHECK(cell["t"] == "n");
                       CHECK(cell["v"].get<double>() == static_cast<double>(value));
                   },
                   // libxlsxwriter writes numbers with 16 significant digits.
                   [&](double value) {
                       CHECK(cell["t"] == "n");
                       CHECK(cell["v"].get<double>() == Approx(value).epsilon(1e-15));
                   },
                   [&](bool value) {
                       CHECK(cell["t"] == "b");
                       CHECK(cell["v"] == value);
                   },
                   [&](const std::string& value) {
                       CHECK(cell["t"] == "s");
                       CHECK(cell["v"] == value);
                   },
                   [&](TimePoint value) {
                       CHECK(cell["t"] == "d");
                       CHECK(cell["v"].get<std::int64_t>() == ms_since_epoch(value));
                   },
               },
               expected);
}

// The table's sheets ("name", "name 2", ...) in the workbook dump: each with
// a bold frozen header and at most rows_per_sheet rows, together the
// expected rows.
void check_xlsx_table(const nlohmann::json& workbook, const std::string& name,
                      const std::vector<std::string>& columns, const std::vector<Row>& expected,
                      std::size_t rows_per_sheet) {
    std::vector<nlohmann::json> rows;
    const std::size_t sheets =
        std::max<std::size_t>(1, (expected.size() + rows_per_sheet - 1) / rows_per_sheet);
    for (std::size_t number = 1; number <= sheets; ++number) {
        const std::string sheet_name = number == 1 ? name : name + " " + std::to_string(number);
        INFO("sheet " << sheet_name);
        const auto sheet = std::find_if(
            workbook["sheets"].begin(), workbook["sheets"].end(),
            [&](const nlohmann::json& candidate) { return candidate["name"] == sheet_name; });
        REQUIRE(sheet != workbook["sheets"].end());
        CHECK((*sheet)["freeze_panes"] == "A2");
        const auto& sheet_rows = (*sheet)["rows"];
        REQUIRE(!sheet_rows.empty());
        REQUIRE(sheet_rows[0].size() == columns.size());
        for (std::size_t column = 0; column < columns.size(); ++column) {
            CHECK(sheet_rows[0][column]["t"] == "s");
            CHECK(sheet_rows[0][column]["v"] == columns[column]);
            CHECK((*sheet)["header_bold"][column] == true);
            // Wide enough for the header at least.
            CHECK((*sheet)["widths"][column].get<double>() >=
                  static_cast<double>(columns[column].size()));
        }
        CHECK(sheet_rows.size() - 1 <= rows_per_sheet);
        rows.insert(rows.end(), sheet_rows.begin() + 1, sheet_rows.end());
    }
    REQUIRE(rows.size() == expected.size());
    for (std::size_t row = 0; row < expected.size(); ++row) {
        REQUIRE(rows[row].size() == columns.size());
        for (std::size_t column = 0; column < columns.size(); ++column) {
            INFO(name << " row " << row + 1 << " column " << columns[column] << ": "
                      << rows[row][column].dump());
            check_xlsx_cell(rows[row][column], expected[row][column]);
        }
    }
}

// ---- Files

std::string slurp(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    REQUIRE(in);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// Temporary files (".name.tmp-...", ".mpobench-export-...") left in a
// directory.
std::vector<std::string> hidden_files(const std::filesystem::path& directory) {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(directory)) {
        const auto name = entry.path().filename().string();
        if (name.starts_with("."))
            names.push_back(name);
    }
    return names;
}

std::size_t open_descriptors() {
    const std::filesystem::directory_iterator entries("/proc/self/fd");
    return static_cast<std::size_t>(std::distance(begin(entries), end(entries)));
}

std::set<std::int64_t> run_ids(const std::vector<Row>& rows) {
    std::set<std::int64_t> ids;
    for (const auto& row : rows)
        ids.insert(std::get<std::int64_t>(row[0]));
    return ids;
}

void check_counts(const ExportCounts& counts, const Tables& expected) {
    CHECK(counts.runs == static_cast<std::int64_t>(expected.runs.size()));
    CHECK(counts.measurements == static_cast<std::int64_t>(expected.measurements.size()));
    CHECK(counts.failures == static_cast<std::int64_t>(expected.failures.size()));
}

}  // namespace

TEST_CASE("parse_export_format knows csv, xlsx and json") {
    CHECK(parse_export_format("csv") == ExportFormat::Csv);
    CHECK(parse_export_format("xlsx") == ExportFormat::Xlsx);
    CHECK(parse_export_format("json") == ExportFormat::Json);
    CHECK_FALSE(parse_export_format("CSV "));
    CHECK_FALSE(parse_export_format("xls"));
    CHECK_FALSE(parse_export_format(""));
}

TEST_CASE("CSV into a directory reads back value for value") {
    ExportDatabase database;
    TempDir out;
    const auto directory = out.file("export");
    const auto counts =
        export_records(database.repository(), {}, ExportFormat::Csv, directory, std::nullopt);
    const auto expected = expected_tables(database.repository(), {});
    REQUIRE(expected.runs.size() == 4);
    check_counts(counts, expected);

    const auto runs = slurp(directory / "runs.csv");
    const auto measurements = slurp(directory / "measurements.csv");
    const auto failures = slurp(directory / "failures.csv");
    check_csv(runs, kRunColumns, expected.runs);
    check_csv(measurements, kMeasurementColumns, expected.measurements);
    check_csv(failures, kFailureColumns, expected.failures);
    CHECK(hidden_files(directory).empty());

    SECTION("header rows and LF line ends") {
        CHECK(runs.starts_with(
            "run_id,serial,part,kind,station,operator,started_at,ended_at,status,reason,grade,"
            "target_grade,pass,fibers,mode,polarity,limit_set,limit_set_version,limit_set_hash,"
            "record_hash\n"));
        CHECK(measurements.starts_with(
            "run_id,serial,end,fiber,wavelength_nm,cycle,status,far_position,power_dbm,il_db,"
            "rl_db,taken_at,rl_above_db,rl_windows,rl_low_db,rl_high_db,rl_marginal\n"));
        CHECK(
            failures.starts_with("run_id,serial,what,end,fiber,wavelength_nm,value,limit,grade\n"));
    }
    SECTION("text with commas, quotes and line breaks is quoted and survives") {
        CHECK_THAT(runs, Contains(",\"SN,\"\"2\"\"\nB\","));
        CHECK_THAT(runs, Contains(",\"O'Neil, \"\"Bo\"\"\r\nnight shift\","));
        const auto records = read_csv(runs);
        CHECK(records[2][1] == kTrickySerial);
        CHECK(records[2][5] == kTrickyOperator);
        CHECK(records[3][9] == kAbortReason);
        CHECK(read_csv(failures)[1][1] == kTrickySerial);
    }
    SECTION("the values the records hold, spelled as a reader expects them") {
        const auto run_records = read_csv(runs);
        const auto passed = run_records[1], aborted = run_records[3];
        CHECK(passed[0] == std::to_string(database.ids[0]));
        CHECK(passed[6] == format_utc_ms(at_ms(kDayOne_ms)));
        CHECK(passed[8] == "completed");
        CHECK(passed[10] == "elite");
        CHECK(passed[12] == "true");
        CHECK(passed[19].size() > 10);  // a record hash
        CHECK(aborted[8] == "aborted");
        CHECK(aborted[12] == "false");
        for (const int column : {10, 16, 17, 18, 19})  // grade, limit set, record hash
            CHECK(aborted[column].empty());
        CHECK(aborted[13] == "24");
        CHECK(aborted[14] == "MM");

        const auto failure_records = read_csv(failures);
        REQUIRE(failure_records.size() == 5);
        const auto& il_mean = failure_records[2];
        CHECK(il_mean[2] == "il_mean");
        CHECK(il_mean[4].empty());  // no fibre
        CHECK(il_mean[5] == "1310");
        CHECK(il_mean[6] == "0.27");
        CHECK(il_mean[7] == "0.25");
        CHECK(il_mean[8] == "standard");
        const auto& continuity = failure_records[3];
        CHECK(continuity[6].empty());
        CHECK(continuity[7].empty());

        const auto measurement_records = read_csv(measurements);
        CHECK(measurement_records[2][9] == "0.30000000000000004");
        const auto& dark = measurement_records.back();
        CHECK(dark[6] == "no_light");
        CHECK(dark[8].empty());  // NaN power
        CHECK(dark[9].empty());
        CHECK(dark[10].empty());
    }
}

TEST_CASE("CSV of one table goes to a file or a stream") {
    ExportDatabase database;
    TempDir out;
    const auto expected = expected_tables(database.repository(), {});

    const auto file = out.file("measurements.csv");
    const auto counts = export_records(database.repository(), {}, ExportFormat::Csv, file,
                                       ExportTable::Measurements);
    CHECK(counts.measurements == static_cast<std::int64_t>(expected.measurements.size()));
    CHECK(counts.runs == 0);
    CHECK(counts.failures == 0);
    check_csv(slurp(file), kMeasurementColumns, expected.measurements);

    std::ostringstream stream;
    export_records(database.repository(), {}, ExportFormat::Csv, stream, ExportTable::Failures);
    check_csv(stream.str(), kFailureColumns, expected.failures);

    std::ostringstream runs;
    export_records(database.repository(), {}, ExportFormat::Csv, runs, ExportTable::Runs);
    check_csv(runs.str(), kRunColumns, expected.runs);

    // A second export replaces the file whole.
    export_records(database.repository(), {}, ExportFormat::Csv, file, ExportTable::Runs);
    check_csv(slurp(file), kRunColumns, expected.runs);
    CHECK(hidden_files(out.file("")).empty());
}

TEST_CASE("JSON reads back value for value, from a file and a stream") {
    ExportDatabase database;
    TempDir out;
    const auto expected = expected_tables(database.repository(), {});
    const auto file = out.file("export.json");
    const auto counts = export_records(database.repository(), {}, ExportFormat::Json, file);
    check_counts(counts, expected);

    const auto text = slurp(file);
    const auto document = nlohmann::ordered_json::parse(text);
    REQUIRE(document.is_object());
    std::vector<std::string> keys;
    for (const auto& [key, value] : document.items())
        keys.push_back(key);
    CHECK(keys == std::vector<std::string>{"runs", "measurements", "failures"});
    check_json(document["runs"], kRunColumns, expected.runs);
    check_json(document["measurements"], kMeasurementColumns, expected.measurements);
    check_json(document["failures"], kFailureColumns, expected.failures);
    CHECK(document["runs"][1]["serial"] == kTrickySerial);
    CHECK(document["runs"][1]["operator"] == kTrickyOperator);
    CHECK(document["runs"][2]["grade"].is_null());
    CHECK(document["runs"][0]["pass"] == true);
    CHECK(document["failures"][1]["fiber"].is_null());
    CHECK(document["measurements"].back()["power_dbm"].is_null());
    CHECK(hidden_files(out.file("")).empty());

    std::ostringstream stream;
    export_records(database.repository(), {}, ExportFormat::Json, stream);
    CHECK(stream.str() == text);

    SECTION("one table is an object with that table only") {
        std::ostringstream failures;
        export_records(database.repository(), {}, ExportFormat::Json, failures,
                       ExportTable::Failures);
        const auto only = nlohmann::ordered_json::parse(failures.str());
        REQUIRE(only.size() == 1);
        check_json(only["failures"], kFailureColumns, expected.failures);
    }
}

TEST_CASE("the filter selects runs by part, station and start time") {
    ExportDatabase database;
    const auto& ids = database.ids;
    TempDir out;
    const auto check_selection = [&](const RunFilter& filter, std::set<std::int64_t> want) {
        const auto expected = expected_tables(database.repository(), filter);
        CHECK(run_ids(expected.runs) == want);
        // Measurements and failures of the selected runs only.
        for (const auto& id : run_ids(expected.measurements))
            CHECK(want.count(id) == 1);

        const auto directory = out.file("csv");
        check_counts(export_records(database.repository(), filter, ExportFormat::Csv, directory),
                     expected);
        check_csv(slurp(directory / "runs.csv"), kRunColumns, expected.runs);
        check_csv(slurp(directory / "measurements.csv"), kMeasurementColumns,
                  expected.measurements);
        check_csv(slurp(directory / "failures.csv"), kFailureColumns, expected.failures);

        std::ostringstream json;
        export_records(database.repository(), filter, ExportFormat::Json, json);
        const auto document = nlohmann::ordered_json::parse(json.str());
        check_json(document["runs"], kRunColumns, expected.runs);
        check_json(document["measurements"], kMeasurementColumns, expected.measurements);
        check_json(document["failures"], kFailureColumns, expected.failures);
    };

    SECTION("part") {
        RunFilter filter;
        filter.part_number = "MTP24-MM-A-1M";
        check_selection(filter, {ids[2]});
    }
    SECTION("station") {
        RunFilter filter;
        filter.station = "bench-2";
        check_selection(filter, {ids[2], ids[3]});
    }
    SECTION("start time, from inclusive, before exclusive") {
        RunFilter filter;
        filter.started_from = at_ms(kDayOne_ms + kHour_ms);
        filter.started_before = at_ms(kDayOne_ms + 3 * kHour_ms);
        check_selection(filter, {ids[1], ids[2]});
    }
    SECTION("operator with a comma and a line break") {
        RunFilter filter;
        filter.operator_name = kTrickyOperator;
        check_selection(filter, {ids[1]});
    }
}

TEST_CASE("XLSX has a typed sheet per table with a frozen bold header") {
    ExportDatabase database;
    TempDir out;
    const auto expected = expected_tables(database.repository(), {});
    const auto file = out.file("export.xlsx");
    const auto counts = export_records(database.repository(), {}, ExportFormat::Xlsx, file);
    check_counts(counts, expected);
    CHECK(hidden_files(out.file("")).empty());

    const auto workbook = read_xlsx(file);
    CHECK(sheet_names(workbook) == std::vector<std::string>{"runs", "measurements", "failures"});
    const std::size_t excel_rows = mpobench::reports::kExcelMaxRows - 1;
    check_xlsx_table(workbook, "runs", kRunColumns, expected.runs, excel_rows);
    check_xlsx_table(workbook, "measurements", kMeasurementColumns, expected.measurements,
                     excel_rows);
    check_xlsx_table(workbook, "failures", kFailureColumns, expected.failures, excel_rows);

    // Spot checks of the types a spreadsheet user sees.
    const auto& runs = workbook["sheets"][0]["rows"];
    CHECK(runs[1][0] == nlohmann::json{{"t", "n"}, {"v", database.ids[0]}});
    CHECK(runs[1][6] == nlohmann::json{{"t", "d"}, {"v", kDayOne_ms}});
    CHECK(runs[1][12] == nlohmann::json{{"t", "b"}, {"v", true}});
    CHECK(runs[2][1] == nlohmann::json{{"t", "s"}, {"v", kTrickySerial}});
    CHECK(runs[3][10]["t"].is_null());  // the aborted run has no grade
}

TEST_CASE("an XLSX table past the rows of a sheet continues on numbered sheets") {
    ExportDatabase database;
    TempDir out;
    const auto expected = expected_tables(database.repository(), {});
    REQUIRE(expected.measurements.size() == 10);
    const auto file = out.file("split.xlsx");
    constexpr ExportTable kTables[] = {ExportTable::Runs, ExportTable::Measurements,
                                       ExportTable::Failures};
    check_counts(export_xlsx(database.repository(), {}, file, kTables, 3), expected);

    const auto workbook = read_xlsx(file);
    CHECK(sheet_names(workbook) ==
          std::vector<std::string>{"runs", "runs 2", "measurements", "measurements 2",
                                   "measurements 3", "measurements 4", "failures", "failures 2"});
    check_xlsx_table(workbook, "runs", kRunColumns, expected.runs, 3);
    check_xlsx_table(workbook, "measurements", kMeasurementColumns, expected.measurements, 3);
    check_xlsx_table(workbook, "failures", kFailureColumns, expected.failures, 3);
}

TEST_CASE("an empty selection gives header-only files") {
    ExportDatabase database;
    TempDir out;
    RunFilter nothing;
    nothing.part_number = "NO-SUCH-PART";

    const auto directory = out.file("csv");
    const auto counts =
        export_records(database.repository(), nothing, ExportFormat::Csv, directory);
    CHECK(counts.runs == 0);
    CHECK(counts.measurements == 0);
    CHECK(counts.failures == 0);
    CHECK(read_csv(slurp(directory / "runs.csv")) ==
          std::vector<std::vector<std::string>>{kRunColumns});
    CHECK(read_csv(slurp(directory / "measurements.csv")) ==
          std::vector<std::vector<std::string>>{kMeasurementColumns});
    CHECK(read_csv(slurp(directory / "failures.csv")) ==
          std::vector<std::vector<std::string>>{kFailureColumns});

    std::ostringstream json;
    export_records(database.repository(), nothing, ExportFormat::Json, json);
    CHECK(nlohmann::json::parse(json.str()) ==
          nlohmann::json{{"runs", nlohmann::json::array()},
                         {"measurements", nlohmann::json::array()},
                         {"failures", nlohmann::json::array()}});

    const auto file = out.file("empty.xlsx");
    export_records(database.repository(), nothing, ExportFormat::Xlsx, file);
    const auto workbook = read_xlsx(file);
    CHECK(sheet_names(workbook) == std::vector<std::string>{"runs", "measurements", "failures"});
    check_xlsx_table(workbook, "runs", kRunColumns, {}, 1);
    check_xlsx_table(workbook, "measurements", kMeasurementColumns, {}, 1);
    check_xlsx_table(workbook, "failures", kFailureColumns, {}, 1);
}

TEST_CASE("an export that cannot be written is a ReportError naming the path") {
    ExportDatabase database;
    auto& repository = database.repository();
    TempDir out;
    const auto missing = out.file("no-such-directory");

    SECTION("a file in a directory that does not exist") {
        for (const auto& [format, name] :
             {std::pair{ExportFormat::Csv, "runs.csv"}, std::pair{ExportFormat::Json, "x.json"},
              std::pair{ExportFormat::Xlsx, "x.xlsx"}}) {
            const auto file = missing / name;
            CHECK_THROWS_WITH(export_records(repository, {}, format, file, ExportTable::Runs),
                              Contains(file.string()));
        }
        CHECK_FALSE(std::filesystem::exists(missing));
    }
    SECTION("a file where the CSV directory should be is left alone") {
        const auto plain = out.file("plain.txt");
        std::ofstream(plain) << "keep me\n";
        CHECK_THROWS_WITH(export_records(repository, {}, ExportFormat::Csv, plain),
                          Contains(plain.string()) && Contains("not a directory"));
        CHECK(slurp(plain) == "keep me\n");
        const auto below = plain / "export";
        CHECK_THROWS_WITH(export_records(repository, {}, ExportFormat::Csv, below),
                          Contains(below.string()));
    }
    SECTION("a directory where the file should be") {
        const auto directory = out.file("a-directory");
        std::filesystem::create_directory(directory);
        CHECK_THROWS_WITH(export_records(repository, {}, ExportFormat::Json, directory),
                          Contains(directory.string()) && Contains("is a directory"));
        CHECK_THROWS_AS(export_records(repository, {}, ExportFormat::Xlsx, directory), ReportError);
        CHECK(std::filesystem::is_empty(directory));
    }
    SECTION("formats a stream cannot take") {
        std::ostringstream stream;
        CHECK_THROWS_WITH(export_records(repository, {}, ExportFormat::Xlsx, stream),
                          Contains("XLSX"));
        CHECK_THROWS_WITH(export_records(repository, {}, ExportFormat::Csv, stream),
                          Contains("one table"));
        CHECK(stream.str().empty());
    }
    SECTION("a stream that fails") {
        std::ostringstream broken;
        broken.setstate(std::ios::badbit);
        CHECK_THROWS_WITH(export_records(repository, {}, ExportFormat::Json, broken),
                          Contains("write failed"));
        CHECK_THROWS_AS(
            export_records(repository, {}, ExportFormat::Csv, broken, ExportTable::Measurements),
            ReportError);
    }
    SECTION("rows per sheet outside what Excel allows") {
        constexpr ExportTable kRuns[] = {ExportTable::Runs};
        CHECK_THROWS_WITH(export_xlsx(repository, {}, out.file("x.xlsx"), kRuns, 0),
                          Contains("rows per sheet"));
        CHECK_THROWS_AS(export_xlsx(repository, {}, out.file("x.xlsx"), kRuns,
                                    mpobench::reports::kExcelMaxRows),
                        ReportError);
    }
    CHECK(hidden_files(out.file("")).empty());
}

TEST_CASE("text that is not UTF-8 stops JSON and XLSX; CSV passes its bytes through") {
    TempDir dir;
    Repository repository(dir.file("records.db"));
    const std::string serial = "SN-\xff\xfe-1";  // Latin-1 bytes from a foreign system
    RunRecord run = new_run(serial, kDayOne_ms);
    run.id = repository.begin_run(run);
    repository.abort_run(run.id, "scanner fault");
    const auto id = std::to_string(run.id);

    const auto json = dir.file("x.json");
    CHECK_THROWS_WITH(export_records(repository, {}, ExportFormat::Json, json),
                      Contains(json.string()) && Contains("run " + id) && Contains("UTF-8"));
    const auto xlsx = dir.file("x.xlsx");
    const auto descriptors_before = open_descriptors();
    CHECK_THROWS_WITH(
        export_records(repository, {}, ExportFormat::Xlsx, xlsx),
        Contains(xlsx.string()) && Contains("serial of run " + id) && Contains("UTF-8"));
    // The sheets' temporary files are closed with the abandoned workbook.
    CHECK(open_descriptors() == descriptors_before);
    // Written whole or not at all.
    CHECK_FALSE(std::filesystem::exists(json));
    CHECK_FALSE(std::filesystem::exists(xlsx));
    CHECK(hidden_files(dir.file("")).empty());

    std::ostringstream csv;
    export_records(repository, {}, ExportFormat::Csv, csv, ExportTable::Runs);
    CHECK(read_csv(csv.str()).at(1).at(1) == serial);
}
