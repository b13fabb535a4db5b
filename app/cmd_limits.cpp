// `mpobench limits list|show|upload|activate`: limit sets under the
// two-person rule, for QA without a browser (the same rules as the web API).

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

#include "app/audit.hpp"
#include "app/commands.hpp"
#include "app/guarded.hpp"
#include "app/run_json.hpp"
#include "app/test_flow.hpp"

namespace mpobench::app {

namespace {

nlohmann::json upload_json(const db::LimitSetUpload& upload) {
    using nlohmann::json;
    return {
        {"id", upload.limit_set.id},
        {"name", upload.limit_set.name},
        {"version", upload.limit_set.version},
        {"hash", upload.limit_set.hash},
        {"uploaded_by", upload.uploaded_by},
        {"uploaded_at", iso_utc(upload.uploaded_at)},
        {"activated_by", upload.activated_by ? json(*upload.activated_by) : json(nullptr)},
        {"activated_at", upload.activated_at ? json(iso_utc(*upload.activated_at)) : json(nullptr)},
        {"active", upload.active}};
}

// --by names an enabled QA (or admin) user of the station database: the
// names the two-person rule compares are the pages' logins.
std::string qa_user(const db::Repository& repository, const std::string& name) {
    const auto user = repository.user(name);
    if (!user || user->disabled_at)
        throw acquisition::Refused(
            fmt::format("--by {}: no enabled user of that name in the station database "
                        "(mpobench user list)",
                        name));
    if (user->role == db::UserRole::Operator)
        throw acquisition::Refused(fmt::format(
            "--by {}: an operator may not change limit sets; it takes a qa user", name));
    return user->name;
}

std::string state_text(const db::LimitSetUpload& upload) {
    if (!upload.activated_by)
        return "pending";
    return fmt::format("{} by {} {}", upload.active ? "IN USE, activated" : "activated",
                       *upload.activated_by, iso_utc(*upload.activated_at));
}

}  // namespace

int run_limits_list(const LimitsOptions& options) {
    return guarded("limits list", [&] {
        const db::Repository repository = open_database_for_reading(options.db);
        const auto uploads = repository.limit_set_uploads();
        if (options.json) {
            auto out = nlohmann::json::array();
            for (const auto& upload : uploads)
                out.push_back(upload_json(upload));
            fmt::print("{}\n", json_text(out));
            return static_cast<int>(kPassed);
        }
        if (uploads.empty()) {
            fmt::print(
                "no limit set uploaded; tests grade with the default set (mpobench limits "
                "upload FILE --by NAME)\n");
            return static_cast<int>(kPassed);
        }
        for (const auto& upload : uploads) {
            fmt::print("{:>4}  '{}' {}  {}\n      uploaded by {} {}; {}\n", upload.limit_set.id,
                       upload.limit_set.name, upload.limit_set.version, upload.limit_set.hash,
                       upload.uploaded_by, iso_utc(upload.uploaded_at), state_text(upload));
        }
        return static_cast<int>(kPassed);
    });
}

int run_limits_show(const LimitsOptions& options) {
    return guarded("limits show", [&] {
        if (options.default_set) {
            const auto& set = analysis::default_limit_set();
            if (options.json) {
                fmt::print("{}\n", json_text({{"name", set.name},
                                              {"version", set.version},
                                              {"hash", set.hash},
                                              {"body", set.body}}));
            } else {
                fmt::print("{}", set.body);
            }
            return static_cast<int>(kPassed);
        }
        const db::Repository repository = open_database_for_reading(options.db);
        const auto upload = repository.limit_set_upload(options.id);
        if (!upload)
            throw UsageError(
                fmt::format("no limit set {} was uploaded (mpobench limits list)", options.id));
        if (options.json) {
            auto out = upload_json(*upload);
            out["body"] = upload->limit_set.body;
            fmt::print("{}\n", json_text(out));
            return static_cast<int>(kPassed);
        }
        fmt::print("# limit set {}: '{}' {} {}\n# uploaded by {} {}; {}\n{}", upload->limit_set.id,
                   upload->limit_set.name, upload->limit_set.version, upload->limit_set.hash,
                   upload->uploaded_by, iso_utc(upload->uploaded_at), state_text(*upload),
                   upload->limit_set.body);
        return static_cast<int>(kPassed);
    });
}

int run_limits_upload(const LimitsOptions& options) {
    return guarded("limits upload", [&] {
        const auto parsed = load_limits(options.file);  // a bad file: exit 2 naming the line
        db::Repository repository(existing_database_path(options.db));
        const std::string by = qa_user(repository, options.by);
        if (const auto stored = repository.limit_set_by_hash(parsed.hash)) {
            if (const auto upload = repository.limit_set_upload(stored->id))
                throw acquisition::Refused(
                    fmt::format("{}: the same limits were uploaded as limit set {} by {} {}",
                                options.file.string(), stored->id, upload->uploaded_by,
                                iso_utc(upload->uploaded_at)));
        }
        const auto id = repository.upload_limit_set(
            {0, parsed.name, parsed.version, parsed.hash, parsed.body}, by);
        audit_cli_act(repository, "limits.upload", by,
                      {{"id", id},
                       {"name", parsed.name},
                       {"version", parsed.version},
                       {"hash", parsed.hash}});
        fmt::print(
            "limit set {} ('{}' {}) uploaded by {}: pending until another qa user "
            "activates it (mpobench limits activate {} --by NAME)\n",
            id, parsed.name, parsed.version, by, id);
        return static_cast<int>(kPassed);
    });
}

int run_limits_activate(const LimitsOptions& options) {
    return guarded("limits activate", [&] {
        db::Repository repository(existing_database_path(options.db));
        const std::string by = qa_user(repository, options.by);
        const auto upload = repository.limit_set_upload(options.id);
        if (!upload)
            throw UsageError(
                fmt::format("no limit set {} was uploaded (mpobench limits list)", options.id));
        if (upload->activated_by)
            throw acquisition::Refused(fmt::format("limit set {} was activated already by {} {}",
                                                   options.id, *upload->activated_by,
                                                   iso_utc(*upload->activated_at)));
        if (upload->uploaded_by == by)
            throw acquisition::Refused(
                fmt::format("{} uploaded limit set {}: another qa user must activate it "
                            "(two-person rule)",
                            by, options.id));
        repository.activate_limit_set(options.id, by);
        audit_cli_act(repository, "limits.activate", by,
                      {{"id", options.id},
                       {"name", upload->limit_set.name},
                       {"version", upload->limit_set.version},
                       {"hash", upload->limit_set.hash},
                       {"uploaded_by", upload->uploaded_by}});
        fmt::print("limit set {} ('{}' {}) activated by {}: the next test grades with it\n",
                   options.id, upload->limit_set.name, upload->limit_set.version, by);
        return static_cast<int>(kPassed);
    });
}

}  // namespace mpobench::app
