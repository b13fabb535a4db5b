#include "web/api_support.hpp"

#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "analysis/verdict.hpp"
#include "app/run_json.hpp"
#include "vocabulary/logger.hpp"
#include "web/sessions.hpp"
#include "web/station_runner.hpp"

namespace mpobench::web {

using nlohmann::json;

HttpResponse json_response(int status, const json& body) {
    HttpResponse response;
    response.status = status;
    response.body = app::json_text(body);
    return response;
}

int role_rank(db::UserRole role) {
    switch (role) {
        case db::UserRole::Operator:
            return 0;
        case db::UserRole::Qa:
            return 1;
        case db::UserRole::Admin:
            return 2;
    }
    return 0;
}

std::int64_t number_in_path(const std::string& text, const std::string& what) {
    if (text.empty() || text.size() > 18 ||
        !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }))
        throw ApiError(404, "no such " + what, fmt::format("'{}' is not a {} number", text, what));
    return std::stoll(text);
}

json user_json(const db::User& user) {
    return {{"name", user.name},
            {"role", std::string(db::to_string(user.role))},
            {"enabled", !user.disabled_at},
            {"created_at", app::iso_utc(user.created_at)},
            {"created_by", user.created_by},
            {"badge", user.has_badge}};
}

json limit_set_upload_json(const db::LimitSetUpload& upload) {
    const auto time_or_null = [](const std::optional<TimePoint>& time) {
        return time ? json(app::iso_utc(*time)) : json(nullptr);
    };
    return {{"id", upload.limit_set.id},
            {"name", upload.limit_set.name},
            {"version", upload.limit_set.version},
            {"hash", upload.limit_set.hash},
            {"uploaded_by", upload.uploaded_by},
            {"uploaded_at", app::iso_utc(upload.uploaded_at)},
            {"activated_by", upload.activated_by ? json(*upload.activated_by) : json(nullptr)},
            {"activated_at", time_or_null(upload.activated_at)},
            {"active", upload.active}};
}

std::int64_t limit_set_id_of(const std::string& text) {
    return number_in_path(text, "limit set");
}

json run_summary_json(const db::RunSummary& run) {
    return {{"id", run.id},
            {"serial", run.serial},
            {"part", run.part_number},
            {"station", run.station},
            {"operator", run.operator_name},
            {"kind", std::string(to_string(run.kind))},
            {"status", std::string(to_string(run.status))},
            {"reason", run.reason},
            {"pass", run.pass},
            {"grade", run.grade ? json(std::string(to_string(*run.grade))) : json(nullptr)},
            {"started_at", app::iso_utc(run.started_at)},
            {"ended_at", run.ended_at ? json(app::iso_utc(*run.ended_at)) : json(nullptr)},
            {"retest_reason", run.retest_reason},
            {"attempt", run.attempt}};
}

app::QaCommandOptions qa_options(const HttpRequest& request, const ApiSetup& setup) {
    const auto query = request.query();
    const auto get = [&](const char* name) {
        const auto found = query.find(name);
        return found == query.end() ? std::string() : found->second;
    };
    app::QaCommandOptions options;
    options.filter.from_day = get("from");
    options.filter.to_day = get("to");
    options.filter.part = get("part");
    options.filter.station = get("station");
    options.filter.operator_name = get("operator");
    options.filter.db =
        setup.plant_url.empty() ? setup.db_path : std::filesystem::path(setup.plant_url);
    options.by = get("by");
    options.site = setup.site_path;
    return options;
}

json run_page_json(const RunRecord& run, const std::string& ref,
                   const std::optional<std::string>& record_hash,
                   std::optional<bool> record_verified) {
    json out = app::run_to_json(run);
    json texts = json::array();
    if (run.status == RunStatus::Completed && run.grade) {
        for (const auto& failure : analysis::make_verdict(run).against_target)
            texts.push_back(analysis::describe_failure(failure, run));
    }
    out["failure_texts"] = texts;
    out["part_view"] = part_json(run.part);
    out["ref"] = ref;
    out["record_hash"] = record_hash ? json(*record_hash) : json(nullptr);
    out["record_verified"] = record_verified ? json(*record_verified) : json(nullptr);
    return out;
}

std::string bytes_written_to(const std::string& name,
                             const std::function<void(const std::filesystem::path&)>& write) {
    const auto directory = std::filesystem::temp_directory_path() /
                           fmt::format("mpobench-web-{}-{}", ::getpid(), random_token());
    std::filesystem::create_directories(directory);
    // Certificates and exports are nobody else's to read while they exist.
    std::filesystem::permissions(directory, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::replace);
    // Removed however the writer ends.
    struct Remove {
        std::filesystem::path directory;
        ~Remove() {
            std::error_code error;
            std::filesystem::remove_all(directory, error);
            if (error)
                logger("web")->warn("could not remove {}: {}", directory.string(), error.message());
        }
    } remove{directory};
    write(directory / name);
    std::ifstream in(directory / name, std::ios::binary);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    return bytes.str();
}

}  // namespace mpobench::web
