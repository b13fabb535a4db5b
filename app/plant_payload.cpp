#include "app/plant_payload.hpp"

#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "analysis/record_hash.hpp"
#include "app/run_json.hpp"
#include "vocabulary/time_text.hpp"

namespace mpobench::app {

namespace {

using json = nlohmann::json;

// JSON numbers cannot be NaN or infinite; a double that is one (a reading
// the instrument reported as not-a-number) is written as text.
json number(double value) {
    if (std::isnan(value))
        return "nan";
    if (std::isinf(value))
        return value > 0 ? "inf" : "-inf";
    return value;
}

json optional_number(const std::optional<double>& value) {
    return value ? number(*value) : json(nullptr);
}

template <typename T>
json optional_value(const std::optional<T>& value) {
    return value ? json(*value) : json(nullptr);
}

json time_text(TimePoint time) {
    return format_utc_ms(time);
}

// Reading: each throws PayloadError naming the member.
[[noreturn]] void bad(const std::string& what, const std::string& why) {
    throw PayloadError(fmt::format("plant payload: {}: {}", what, why));
}

const json& member(const json& object, const char* key, const std::string& where) {
    if (!object.is_object())
        bad(where, "not an object");
    const auto found = object.find(key);
    if (found == object.end())
        bad(where + "." + key, "missing");
    return *found;
}

double read_number(const json& value, const std::string& where) {
    if (value.is_number())
        return value.get<double>();
    if (value.is_string()) {
        const auto text = value.get<std::string>();
        if (text == "nan")
            return std::numeric_limits<double>::quiet_NaN();
        if (text == "inf")
            return std::numeric_limits<double>::infinity();
        if (text == "-inf")
            return -std::numeric_limits<double>::infinity();
    }
    bad(where, "not a number");
}

double get_number(const json& object, const char* key, const std::string& where) {
    return read_number(member(object, key, where), where + "." + key);
}

std::optional<double> get_optional_number(const json& object, const char* key,
                                          const std::string& where) {
    const json& value = member(object, key, where);
    if (value.is_null())
        return std::nullopt;
    return read_number(value, where + "." + key);
}

template <typename T>
T take(const json& object, const char* key, const std::string& where) {
    const json& value = member(object, key, where);
    try {
        return value.get<T>();
    } catch (const json::exception& error) {
        bad(where + "." + key, error.what());
    }
}

template <typename T>
std::optional<T> take_optional(const json& object, const char* key, const std::string& where) {
    if (member(object, key, where).is_null())
        return std::nullopt;
    return take<T>(object, key, where);
}

TimePoint get_time(const json& object, const char* key, const std::string& where) {
    const auto text = take<std::string>(object, key, where);
    const auto parsed = parse_utc_ms(text);
    if (!parsed)
        bad(where + "." + key, fmt::format("'{}' is not YYYY-MM-DDTHH:MM:SS.mmmZ", text));
    return *parsed;
}

// A word of a fixed set, parsed with the vocabulary's parser.
template <typename Parser>
auto get_word(const json& object, const char* key, const std::string& where, Parser parse) {
    const auto text = take<std::string>(object, key, where);
    const auto parsed = parse(text);
    if (!parsed)
        bad(where + "." + key, fmt::format("unknown value '{}'", text));
    return *parsed;
}

std::optional<End> parse_end(std::string_view text) {
    if (text == "A")
        return End::A;
    if (text == "B")
        return End::B;
    return std::nullopt;
}

std::optional<RunStatus> parse_run_status(std::string_view text) {
    for (const auto status :
         {RunStatus::Running, RunStatus::Completed, RunStatus::Aborted, RunStatus::Interrupted}) {
        if (text == to_string(status))
            return status;
    }
    return std::nullopt;
}

std::optional<ReadingStatus> parse_reading_status(std::string_view text) {
    for (const auto status : {ReadingStatus::Ok, ReadingStatus::NoLight, ReadingStatus::Overrange,
                              ReadingStatus::Invalid}) {
        if (text == to_string(status))
            return status;
    }
    return std::nullopt;
}

const json& get_array(const json& object, const char* key, const std::string& where) {
    const json& value = member(object, key, where);
    if (!value.is_array())
        bad(where + "." + key, "not an array");
    return value;
}

json noise_model_json(const RlNoiseModel& model) {
    return {{"window_ms", model.window_ms},
            {"white_reflectance", number(model.white_reflectance)},
            {"relative", number(model.relative)},
            {"slow_reflectance", number(model.slow_reflectance)},
            {"level_low_db", number(model.level_low_db)},
            {"level_high_db", number(model.level_high_db)},
            {"windows", model.windows},
            {"calibrated_at", time_text(model.calibrated_at)}};
}

RlNoiseModel noise_model_from(const json& in, const std::string& where) {
    RlNoiseModel model;
    model.window_ms = take<int>(in, "window_ms", where);
    model.white_reflectance = get_number(in, "white_reflectance", where);
    model.relative = get_number(in, "relative", where);
    model.slow_reflectance = get_number(in, "slow_reflectance", where);
    model.level_low_db = get_number(in, "level_low_db", where);
    model.level_high_db = get_number(in, "level_high_db", where);
    model.windows = take<int>(in, "windows", where);
    model.calibrated_at = get_time(in, "calibrated_at", where);
    return model;
}

}  // namespace

json record_to_json(const RunRecord& run) {
    json out;
    out["id"] = run.id;
    out["kind"] = std::string(to_string(run.kind));
    out["serial"] = run.serial;
    out["part"] = {{"number", run.part.number},
                   {"description", run.part.description},
                   {"fibers", run.part.fibers},
                   {"mode", std::string(to_string(run.part.mode))},
                   {"polarity", std::string(to_string(run.part.polarity))},
                   {"target", std::string(to_string(run.part.target))},
                   {"length_m", number(run.part.length_m)},
                   {"wavelengths_nm", run.part.wavelengths_nm},
                   {"mating_cycles", run.part.mating_cycles}};
    out["station"] = run.station;
    out["operator"] = run.operator_name;
    out["software_version"] = run.software_version;
    out["started_at"] = time_text(run.started_at);
    out["ended_at"] = run.ended_at ? time_text(*run.ended_at) : json(nullptr);
    out["status"] = std::string(to_string(run.status));
    out["reason"] = run.reason;
    out["reference_id"] = run.reference_id;
    auto instruments = json::array();
    for (const auto& i : run.instruments) {
        instruments.push_back({{"name", i.name},
                               {"role", std::string(to_string(i.role))},
                               {"model_key", i.model_key},
                               {"resource", i.resource},
                               {"vendor", i.vendor},
                               {"model", i.model},
                               {"serial", i.serial},
                               {"firmware", i.firmware},
                               {"calibration_due", i.calibration_due}});
    }
    out["instruments"] = std::move(instruments);
    auto measurements = json::array();
    for (const auto& m : run.measurements) {
        measurements.push_back({{"end", std::string(to_string(m.end))},
                                {"fiber", m.fiber},
                                {"wavelength_nm", m.wavelength_nm},
                                {"cycle", m.cycle},
                                {"status", std::string(to_string(m.status))},
                                {"far_position", m.far_position},
                                {"power_dbm", number(m.power_dbm)},
                                {"il_db", optional_number(m.il_db)},
                                {"rl_db", optional_number(m.rl_db)},
                                {"rl_above_db", optional_number(m.rl_above_db)},
                                {"taken_at", time_text(m.taken_at)},
                                {"monitor_dbm", optional_number(m.monitor_dbm)},
                                {"rl_windows", m.rl_windows},
                                {"rl_low_db", optional_number(m.rl_low_db)},
                                {"rl_high_db", optional_number(m.rl_high_db)},
                                {"rl_marginal", m.rl_marginal}});
    }
    out["measurements"] = std::move(measurements);
    auto polarity = json::array();
    for (const auto& map : run.polarity) {
        polarity.push_back({{"launched_end", std::string(to_string(map.launched_end))},
                            {"far_positions", map.far_positions}});
    }
    out["polarity"] = std::move(polarity);
    out["mating_cycles_run"] = run.mating_cycles_run;
    out["retries"] = run.retries;
    out["retest_reason"] = run.retest_reason;
    out["mes_interlock"] = run.mes_interlock;
    if (run.rl_method) {
        const auto& method = *run.rl_method;
        out["rl_method"] = {
            {"sequential", method.sequential},
            {"window_ms", method.window_ms},
            {"confidence", number(method.confidence)},
            {"max_time_ms", method.max_time_ms},
            {"model", method.model ? noise_model_json(*method.model) : json(nullptr)},
            {"noise_ratio", number(method.noise_ratio)},
            {"noise_dof", method.noise_dof},
            {"noise_widened", method.noise_widened}};
    } else {
        out["rl_method"] = nullptr;
    }
    out["grade"] = run.grade ? json(std::string(to_string(*run.grade))) : json(nullptr);
    out["pass"] = run.pass;
    auto failures = json::array();
    for (const auto& f : run.failures) {
        failures.push_back({{"what", std::string(to_string(f.what))},
                            {"end", f.end ? json(std::string(to_string(*f.end))) : json(nullptr)},
                            {"fiber", optional_value(f.fiber)},
                            {"wavelength_nm", optional_value(f.wavelength_nm)},
                            {"value", optional_number(f.value)},
                            {"limit", optional_number(f.limit)},
                            {"grade", std::string(to_string(f.grade))}});
    }
    out["failures"] = std::move(failures);
    out["limit_set"] = {{"name", run.limit_set_name},
                        {"version", run.limit_set_version},
                        {"hash", run.limit_set_hash}};
    return out;
}

RunRecord run_from_json(const json& in) {
    const std::string where = "record";
    RunRecord run;
    run.id = take<std::int64_t>(in, "id", where);
    run.kind = get_word(in, "kind", where, parse_run_kind);
    run.serial = take<std::string>(in, "serial", where);
    {
        const json& part = member(in, "part", where);
        const std::string at = where + ".part";
        run.part.number = take<std::string>(part, "number", at);
        run.part.description = take<std::string>(part, "description", at);
        run.part.fibers = take<int>(part, "fibers", at);
        run.part.mode = get_word(part, "mode", at, parse_fiber_mode);
        run.part.polarity = get_word(part, "polarity", at, parse_polarity);
        run.part.target = get_word(part, "target", at, parse_grade);
        run.part.length_m = get_number(part, "length_m", at);
        run.part.wavelengths_nm = take<std::vector<int>>(part, "wavelengths_nm", at);
        run.part.mating_cycles = take<int>(part, "mating_cycles", at);
    }
    run.station = take<std::string>(in, "station", where);
    run.operator_name = take<std::string>(in, "operator", where);
    run.software_version = take<std::string>(in, "software_version", where);
    run.started_at = get_time(in, "started_at", where);
    if (!member(in, "ended_at", where).is_null())
        run.ended_at = get_time(in, "ended_at", where);
    run.status = get_word(in, "status", where, parse_run_status);
    run.reason = take<std::string>(in, "reason", where);
    run.reference_id = take<std::int64_t>(in, "reference_id", where);
    const auto& instruments = get_array(in, "instruments", where);
    for (std::size_t n = 0; n < instruments.size(); ++n) {
        const json& i = instruments[n];
        const std::string at = fmt::format("{}.instruments[{}]", where, n);
        InstrumentRecord instrument;
        instrument.name = take<std::string>(i, "name", at);
        instrument.role = get_word(i, "role", at, parse_instrument_role);
        instrument.model_key = take<std::string>(i, "model_key", at);
        instrument.resource = take<std::string>(i, "resource", at);
        instrument.vendor = take<std::string>(i, "vendor", at);
        instrument.model = take<std::string>(i, "model", at);
        instrument.serial = take<std::string>(i, "serial", at);
        instrument.firmware = take<std::string>(i, "firmware", at);
        instrument.calibration_due = take<std::string>(i, "calibration_due", at);
        run.instruments.push_back(std::move(instrument));
    }
    const auto& measurements = get_array(in, "measurements", where);
    for (std::size_t n = 0; n < measurements.size(); ++n) {
        const json& j = measurements[n];
        const std::string at = fmt::format("{}.measurements[{}]", where, n);
        Measurement m;
        m.end = get_word(j, "end", at, parse_end);
        m.fiber = take<int>(j, "fiber", at);
        m.wavelength_nm = take<int>(j, "wavelength_nm", at);
        m.cycle = take<int>(j, "cycle", at);
        m.status = get_word(j, "status", at, parse_reading_status);
        m.far_position = take<int>(j, "far_position", at);
        m.power_dbm = get_number(j, "power_dbm", at);
        m.il_db = get_optional_number(j, "il_db", at);
        m.rl_db = get_optional_number(j, "rl_db", at);
        m.rl_above_db = get_optional_number(j, "rl_above_db", at);
        m.taken_at = get_time(j, "taken_at", at);
        m.monitor_dbm = get_optional_number(j, "monitor_dbm", at);
        m.rl_windows = take<int>(j, "rl_windows", at);
        m.rl_low_db = get_optional_number(j, "rl_low_db", at);
        m.rl_high_db = get_optional_number(j, "rl_high_db", at);
        m.rl_marginal = take<bool>(j, "rl_marginal", at);
        run.measurements.push_back(m);
    }
    const auto& polarity = get_array(in, "polarity", where);
    for (std::size_t n = 0; n < polarity.size(); ++n) {
        const std::string at = fmt::format("{}.polarity[{}]", where, n);
        PolarityMap map;
        map.launched_end = get_word(polarity[n], "launched_end", at, parse_end);
        map.far_positions = take<std::vector<int>>(polarity[n], "far_positions", at);
        run.polarity.push_back(std::move(map));
    }
    run.mating_cycles_run = take<int>(in, "mating_cycles_run", where);
    run.retries = take<int>(in, "retries", where);
    run.retest_reason = take<std::string>(in, "retest_reason", where);
    // Records from before the interlock have none.
    run.mes_interlock = in.value("mes_interlock", std::string());
    if (const json& method = member(in, "rl_method", where); !method.is_null()) {
        const std::string at = where + ".rl_method";
        RlDecisionMethod decided;
        decided.sequential = take<bool>(method, "sequential", at);
        decided.window_ms = take<int>(method, "window_ms", at);
        decided.confidence = get_number(method, "confidence", at);
        decided.max_time_ms = take<int>(method, "max_time_ms", at);
        if (const json& model = member(method, "model", at); !model.is_null())
            decided.model = noise_model_from(model, at + ".model");
        decided.noise_ratio = get_number(method, "noise_ratio", at);
        decided.noise_dof = take<int>(method, "noise_dof", at);
        decided.noise_widened = take<bool>(method, "noise_widened", at);
        run.rl_method = decided;
    }
    if (!member(in, "grade", where).is_null())
        run.grade = get_word(in, "grade", where, parse_grade);
    run.pass = take<bool>(in, "pass", where);
    const auto& failures = get_array(in, "failures", where);
    for (std::size_t n = 0; n < failures.size(); ++n) {
        const json& j = failures[n];
        const std::string at = fmt::format("{}.failures[{}]", where, n);
        Failure f;
        f.what = get_word(j, "what", at, parse_failure_cause);
        if (!member(j, "end", at).is_null())
            f.end = get_word(j, "end", at, parse_end);
        f.fiber = take_optional<int>(j, "fiber", at);
        f.wavelength_nm = take_optional<int>(j, "wavelength_nm", at);
        f.value = get_optional_number(j, "value", at);
        f.limit = get_optional_number(j, "limit", at);
        f.grade = get_word(j, "grade", at, parse_grade);
        run.failures.push_back(f);
    }
    const json& limit_set = member(in, "limit_set", where);
    run.limit_set_name = take<std::string>(limit_set, "name", where + ".limit_set");
    run.limit_set_version = take<std::string>(limit_set, "version", where + ".limit_set");
    run.limit_set_hash = take<std::string>(limit_set, "hash", where + ".limit_set");
    return run;
}

json reference_to_json(const Reference& reference) {
    auto points = json::array();
    for (const auto& p : reference.points) {
        points.push_back({{"fiber", p.fiber},
                          {"wavelength_nm", p.wavelength_nm},
                          {"power_dbm", number(p.power_dbm)},
                          {"drift_db", number(p.drift_db)},
                          {"monitor_dbm", optional_number(p.monitor_dbm)}});
    }
    return {
        {"id", reference.id},
        {"station", reference.station},
        {"operator", reference.operator_name},
        {"taken_at", time_text(reference.taken_at)},
        {"launch_cord", reference.launch_cord},
        {"launch_cord_matings", optional_value(reference.launch_cord_matings)},
        {"mode", std::string(to_string(reference.mode))},
        {"fibers", reference.fibers},
        {"points", std::move(points)},
        {"rl_noise", reference.rl_noise ? noise_model_json(*reference.rl_noise) : json(nullptr)}};
}

Reference reference_from_json(const json& in) {
    const std::string where = "reference";
    Reference reference;
    reference.id = take<std::int64_t>(in, "id", where);
    reference.station = take<std::string>(in, "station", where);
    reference.operator_name = take<std::string>(in, "operator", where);
    reference.taken_at = get_time(in, "taken_at", where);
    reference.launch_cord = take<std::string>(in, "launch_cord", where);
    reference.launch_cord_matings = take_optional<std::int64_t>(in, "launch_cord_matings", where);
    reference.mode = get_word(in, "mode", where, parse_fiber_mode);
    reference.fibers = take<int>(in, "fibers", where);
    const auto& points = get_array(in, "points", where);
    for (std::size_t n = 0; n < points.size(); ++n) {
        const std::string at = fmt::format("{}.points[{}]", where, n);
        ReferencePoint point;
        point.fiber = take<int>(points[n], "fiber", at);
        point.wavelength_nm = take<int>(points[n], "wavelength_nm", at);
        point.power_dbm = get_number(points[n], "power_dbm", at);
        point.drift_db = get_number(points[n], "drift_db", at);
        point.monitor_dbm = get_optional_number(points[n], "monitor_dbm", at);
        reference.points.push_back(point);
    }
    if (const json& model = member(in, "rl_noise", where); !model.is_null())
        reference.rl_noise = noise_model_from(model, where + ".rl_noise");
    return reference;
}

json plant_payload_v2(const db::Repository& repository, const db::OutboxEntry& entry) {
    const auto run = repository.run(entry.run_id);
    if (!run) {
        throw db::DatabaseError(
            fmt::format("run {} is in the outbox but not in the database", entry.run_id));
    }
    const auto record_hash = repository.record_hash(entry.run_id);
    json reference = nullptr;
    if (run->reference_id != 0) {
        if (const auto stored = repository.reference(run->reference_id))
            reference = reference_to_json(*stored);
    }
    json limit_set = nullptr;
    if (!run->limit_set_hash.empty()) {
        if (const auto stored = repository.limit_set_by_hash(run->limit_set_hash)) {
            limit_set = {{"name", stored->name},
                         {"version", stored->version},
                         {"hash", stored->hash},
                         {"body", stored->body}};
        }
    }
    return {
        {"payload_version", kPlantPayloadVersion},
        {"uuid", entry.run_uuid},
        {"station_uuid", repository.station_uuid()},
        {"station_run_id", entry.run_id},
        {"record_hash", record_hash ? json(*record_hash) : json(nullptr)},
        {"record_hash_version", record_hash ? json(analysis::kRecordHashVersion) : json(nullptr)},
        {"run", run_to_json(*run)},
        {"record", record_to_json(*run)},
        {"reference", std::move(reference)},
        {"limit_set", std::move(limit_set)}};
}

PayloadCertificate certificate_from_payload(const json& payload) {
    const std::string where = "payload";
    const int version = take<int>(payload, "payload_version", where);
    if (version < 2) {
        throw PayloadError(fmt::format(
            "the plant holds this run in payload form {}, which has the run as `test --json` "
            "writes it but not its part, instruments, reference or limit set: a certificate "
            "needs form 2 (print it at the station)",
            version));
    }
    if (version > kPlantPayloadVersion) {
        throw PayloadError(fmt::format(
            "payload form {} is newer than this mpobench reads (up to {}): upgrade mpobench",
            version, kPlantPayloadVersion));
    }
    PayloadCertificate out;
    out.run = run_from_json(member(payload, "record", where));
    if (const json& reference = member(payload, "reference", where); !reference.is_null())
        out.reference = reference_from_json(reference);
    if (const json& limit_set = member(payload, "limit_set", where); !limit_set.is_null()) {
        const std::string at = where + ".limit_set";
        db::StoredLimitSet stored;
        stored.name = take<std::string>(limit_set, "name", at);
        stored.version = take<std::string>(limit_set, "version", at);
        stored.hash = take<std::string>(limit_set, "hash", at);
        stored.body = take<std::string>(limit_set, "body", at);
        out.limit_set = std::move(stored);
    }
    out.record_hash = take_optional<std::string>(payload, "record_hash", where).value_or("");
    return out;
}

}  // namespace mpobench::app
