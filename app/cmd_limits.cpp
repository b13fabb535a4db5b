// `mpobench limits list|show|upload|activate`: limit sets under the
// two-person rule, for QA without a browser (the same rules as the web API).

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>
#include <type_traits>

#include "app/audit.hpp"
#include "app/commands.hpp"
#include "app/guarded.hpp"
#include "app/plant_source.hpp"
#include "app/run_json.hpp"
#include "app/test_flow.hpp"
#include "db/plant_config.hpp"
#include "db/plant_read.hpp"

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

template <typename Store>
constexpr bool plant_store = std::is_same_v<Store, db::plant::ConfigStore>;

// The change in the station's audit log; the plant keeps its own
// (mpobench.config_log, written by the plant's functions).
template <typename Store>
void audit_change(Store& store, const std::string& action, const std::string& by,
                  const nlohmann::json& detail) {
    if constexpr (!plant_store<Store>)
        audit_cli_act(store, action, by, detail);
}

// The command's body on the plant's configuration store for a
// postgresql:// --db, else on the station database.
template <typename Body>
int on_limit_store(const LimitsOptions& options, bool writes, Body body) {
    if (db::plant::is_plant_url(options.db.string())) {
        db::plant::ConfigStore store(options.db.string());
        return body(store);
    }
    if (writes) {
        db::Repository repository(existing_database_path(options.db));
        return body(repository);
    }
    db::Repository repository = open_database_for_reading(options.db);
    return body(repository);
}

// --by names an enabled QA (or admin) user of the station database: the
// names the two-person rule compares are the pages' logins.
// At a plant (--db postgresql://...), the plant's users.
template <typename Store>
std::string qa_user(const Store& store, const std::string& name) {
    const auto user = store.user(name);
    if (!user || user->disabled_at)
        throw acquisition::Refused(
            fmt::format("--by {}: no enabled user of that name in the {} (mpobench user list)",
                        name, plant_store<Store> ? "plant" : "station database"));
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
    return plant_guarded("limits list", [&] {
        return on_limit_store(options, false, [&](auto& store) {
            const auto uploads = store.limit_set_uploads();
            std::optional<db::PlantConfigCache> plant;
            if constexpr (!plant_store<std::decay_t<decltype(store)>>)
                plant = store.plant_config();
            if (options.json) {
                auto out = nlohmann::json::array();
                for (const auto& upload : uploads)
                    out.push_back(upload_json(upload));
                fmt::print("{}\n", json_text(out));
                return static_cast<int>(kPassed);
            }
            if (plant && plant->limits) {
                fmt::print(
                    "IN USE: the plant's limit set {} ('{}' {}) {}, activated by {} {}; fetched "
                    "from plant {} {}\n",
                    plant->limits->limit_set.id, plant->limits->limit_set.name,
                    plant->limits->limit_set.version, plant->limits->limit_set.hash,
                    *plant->limits->activated_by, iso_utc(*plant->limits->activated_at),
                    plant->plant, iso_utc(plant->fetched_at));
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
    });
}

int run_limits_show(const LimitsOptions& options) {
    return plant_guarded("limits show", [&] {
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
        return on_limit_store(options, false, [&](auto& store) {
            const auto upload = store.limit_set_upload(options.id);
            if (!upload)
                throw UsageError(
                    fmt::format("no limit set {} was uploaded (mpobench limits list)", options.id));
            if (options.json) {
                auto out = upload_json(*upload);
                out["body"] = upload->limit_set.body;
                fmt::print("{}\n", json_text(out));
                return static_cast<int>(kPassed);
            }
            fmt::print("# limit set {}: '{}' {} {}\n# uploaded by {} {}; {}\n{}",
                       upload->limit_set.id, upload->limit_set.name, upload->limit_set.version,
                       upload->limit_set.hash, upload->uploaded_by, iso_utc(upload->uploaded_at),
                       state_text(*upload), upload->limit_set.body);
            return static_cast<int>(kPassed);
        });
    });
}

int run_limits_upload(const LimitsOptions& options) {
    return plant_guarded("limits upload", [&] {
        const auto parsed = load_limits(options.file);  // a bad file: exit 2 naming the line
        return on_limit_store(options, true, [&](auto& store) {
            const std::string by = qa_user(store, options.by);
            if (const auto stored = store.limit_set_by_hash(parsed.hash)) {
                if (const auto upload = store.limit_set_upload(stored->id))
                    throw acquisition::Refused(
                        fmt::format("{}: the same limits were uploaded as limit set {} by {} {}",
                                    options.file.string(), stored->id, upload->uploaded_by,
                                    iso_utc(upload->uploaded_at)));
            }
            const auto id = store.upload_limit_set(
                {0, parsed.name, parsed.version, parsed.hash, parsed.body}, by);
            audit_change(store, "limits.upload", by,
                         {{"id", id},
                          {"name", parsed.name},
                          {"version", parsed.version},
                          {"hash", parsed.hash}});
            fmt::print(
                "limit set {} ('{}' {}) uploaded by {}{}: pending until another qa user "
                "activates it (mpobench limits activate {} --by NAME)\n",
                id, parsed.name, parsed.version, by,
                plant_store<std::decay_t<decltype(store)>> ? " to the plant" : "", id);
            return static_cast<int>(kPassed);
        });
    });
}

int run_limits_activate(const LimitsOptions& options) {
    return plant_guarded("limits activate", [&] {
        return on_limit_store(options, true, [&](auto& store) {
            const std::string by = qa_user(store, options.by);
            const auto upload = store.limit_set_upload(options.id);
            if (!upload)
                throw UsageError(
                    fmt::format("no limit set {} was uploaded (mpobench limits list)", options.id));
            if (upload->activated_by)
                throw acquisition::Refused(
                    fmt::format("limit set {} was activated already by {} {}", options.id,
                                *upload->activated_by, iso_utc(*upload->activated_at)));
            if (upload->uploaded_by == by)
                throw acquisition::Refused(
                    fmt::format("{} uploaded limit set {}: another qa user must activate it "
                                "(two-person rule)",
                                by, options.id));
            store.activate_limit_set(options.id, by);
            audit_change(store, "limits.activate", by,
                         {{"id", options.id},
                          {"name", upload->limit_set.name},
                          {"version", upload->limit_set.version},
                          {"hash", upload->limit_set.hash},
                          {"uploaded_by", upload->uploaded_by}});
            if constexpr (plant_store<std::decay_t<decltype(store)>>) {
                fmt::print(
                    "limit set {} ('{}' {}) activated in the plant by {}: each station of the "
                    "plant grades its next test with it (once it reaches the plant)\n",
                    options.id, upload->limit_set.name, upload->limit_set.version, by);
            } else {
                const auto plant = store.plant_config();
                if (plant && plant->limits) {
                    fmt::print(
                        "limit set {} ('{}' {}) activated by {}; this station takes its limits "
                        "from plant {}: the plant's limit set {} ('{}' {}) stays in use\n",
                        options.id, upload->limit_set.name, upload->limit_set.version, by,
                        plant->plant, plant->limits->limit_set.id, plant->limits->limit_set.name,
                        plant->limits->limit_set.version);
                } else {
                    fmt::print(
                        "limit set {} ('{}' {}) activated by {}: the next test grades with it\n",
                        options.id, upload->limit_set.name, upload->limit_set.version, by);
                }
            }
            return static_cast<int>(kPassed);
        });
    });
}

}  // namespace mpobench::app
