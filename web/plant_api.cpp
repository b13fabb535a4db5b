// The QA pages on the plant (`mpobench serve --db postgresql://...`, README
// "The plant's QA pages"): the routes of web/api.cpp whose answers come from
// the plant's runs, payloads and configuration instead of a station's
// database. Read only: the plant's configuration changes through its own
// functions and database logins (mpobench user|limits|parts --db URL).

#include <fmt/format.h>

#include "app/certificates.hpp"
#include "app/plant_records.hpp"
#include "app/run_json.hpp"
#include "db/plant_config.hpp"
#include "db/plant_read.hpp"
#include "vocabulary/logger.hpp"
#include "web/api.hpp"
#include "web/api_support.hpp"

namespace mpobench::web {

using nlohmann::json;

namespace {

// The plant's run behind a page, whole (form 2); 404 or 409 otherwise.
struct HeldRun {
    db::plant::PlantRun run;
    app::PayloadCertificate record;
};

HeldRun held_run(const db::plant::Reader& plant, const std::string& uuid) {
    auto run = plant.run(uuid);
    if (!run)
        throw ApiError(404, "no such run", fmt::format("the plant holds no run {}", uuid));
    if (run->payload_version < app::kPlantPayloadVersion)
        throw ApiError(409, "not whole in the plant",
                       fmt::format("{} reached the plant in payload form 1, which lacks the "
                                   "measurements, part and reference: read it at its station",
                                   app::plant_run_name(*run)));
    auto record = app::plant_record(plant, *run);
    return {std::move(*run), std::move(record)};
}

}  // namespace

void Api::follow_plant_users() {
    const auto now = Clock::now();
    {
        // One look per 30 s, whatever it finds: a plant that does not answer
        // is asked again 30 s later, not by every request meanwhile.
        std::lock_guard lock(plant_users_mutex_);
        if (plant_users_followed_ != Clock::time_point{} &&
            now - plant_users_followed_ < std::chrono::seconds(30))
            return;
        plant_users_followed_ = now;
    }
    std::map<std::string, db::UserRole> enabled;
    try {
        for (const auto& user : plant_config_store().users()) {
            if (!user.disabled_at)
                enabled.emplace(user.name, user.role);
        }
    } catch (const db::plant::PlantUnreachable& error) {
        // Logging out, or a page that needs no plant, still works; the pages
        // that read the plant answer 503 themselves.
        logger("web")->warn(
            "the plant's users could not be read ({}); sessions stay as they "
            "are until the next look in 30 s",
            error.what());
        return;
    }
    // A login while the users were read is not ended by what they were before it.
    sessions_.keep_users(enabled, now);
}

json Api::plant_station_json() const {
    // No bench and no station: the header says which plant the pages read.
    return {{"bench", false},
            {"station", nullptr},
            {"instruments", json::array()},
            {"reference", nullptr},
            {"reference_problem", "the plant's QA pages: no bench"},
            {"lock", {{"held", false}}},
            {"plant", nullptr},
            {"parts", json::array()},
            {"retest_reasons", setup_.site.retest.reason_codes},
            {"time_zone", setup_.site.time_zone},
            {"record", {{"source", "plant"}, {"plant", setup_.plant_description}}}};
}

json Api::plant_run_json(const std::string& uuid) const {
    const auto plant = plant_reader();
    const auto held = held_run(plant, uuid);
    json out = run_page_json(held.record.run, held.run.uuid, held.run.record_hash,
                             app::plant_record_matches(plant, held.run, held.record.run));
    out["uuid"] = held.run.uuid;
    out["station_uuid"] = held.run.station_uuid;
    return out;
}

HttpResponse Api::plant_certificate(const std::string& uuid) const {
    const auto plant = plant_reader();
    auto held = held_run(plant, uuid);
    auto& run = held.record.run;
    if (run.status != RunStatus::Completed)
        throw ApiError(409, "no certificate",
                       fmt::format("{} was {}: only a completed run has a certificate",
                                   app::plant_run_name(held.run), to_string(run.status)));
    const std::string file_name = app::certificate_file_name(run.serial);
    HttpResponse response;
    try {
        // As its station prints it (README "Reading the plant").
        response.body = bytes_written_to(file_name, [&](const std::filesystem::path& file) {
            app::write_certificate_of(std::move(run), std::move(held.record.reference),
                                      held.record.limit_set, held.record.record_hash, setup_.site,
                                      setup_.site.paper, file);
        });
    } catch (const reports::ReportError& error) {
        throw ApiError(500, "certificate", error.what());
    }
    response.content_type = "application/pdf";
    response.headers["Content-Disposition"] = fmt::format("inline; filename=\"{}\"", file_name);
    return response;
}

json Api::plant_audit_json() const {
    // The plant's configuration log: who changed users, limits and parts,
    // under which database login. Runs are verified by their record hashes.
    const auto changes = plant_config_store().changes();
    json rows = json::array();
    for (auto it = changes.rbegin(); it != changes.rend(); ++it) {
        json detail = json::parse(it->detail, nullptr, false);
        rows.push_back({{"seq", it->id},
                        {"at", app::iso_utc(it->at)},
                        {"source", "plant"},
                        {"os_user", nullptr},
                        {"actor", it->actor},
                        {"address", it->db_role},
                        {"action", it->action},
                        {"detail", detail.is_discarded() ? json(it->detail) : detail}});
    }
    return {
        {"entries", rows}, {"verified", nullptr}, {"chained", false}, {"first_broken", nullptr}};
}

json Api::plant_limits_json() const {
    const auto store = plant_config_store();
    json rows = json::array();
    json in_use = nullptr;
    for (const auto& upload : store.limit_set_uploads()) {
        rows.push_back(limit_set_upload_json(upload));
        if (upload.active) {
            in_use = {{"source", "plant"},
                      {"id", upload.limit_set.id},
                      {"name", upload.limit_set.name},
                      {"version", upload.limit_set.version},
                      {"hash", upload.limit_set.hash},
                      {"plant", setup_.plant_description},
                      {"activated_by", *upload.activated_by},
                      {"fetched_at", nullptr}};
        }
    }
    if (in_use.is_null()) {
        // Nothing activated at the plant: its stations grade with their own.
        in_use = {{"source", "stations"}, {"plant", setup_.plant_description}};
    }
    return {{"limit_sets", rows}, {"in_use", in_use}, {"read_only", true}};
}

json Api::plant_limit_set_json(std::int64_t id) const {
    const auto upload = plant_config_store().limit_set_upload(id);
    if (!upload)
        throw ApiError(404, "no such limit set",
                       fmt::format("the plant holds no limit set {}", id));
    json out = limit_set_upload_json(*upload);
    out["body"] = upload->limit_set.body;
    return out;
}

analysis::LimitSet Api::plant_limits_in_use() const {
    if (setup_.limits_from_file)
        return setup_.limits;
    const auto configuration = plant_config_store().in_use();
    if (!configuration.limits)
        return setup_.limits;  // nothing activated at the plant: the default limits
    const auto& stored = configuration.limits->limit_set;
    try {
        return analysis::parse_limit_set(stored.body,
                                         fmt::format("the plant's limit set {}", stored.id));
    } catch (const analysis::LimitSetError& error) {
        throw db::plant::PlantError(error.what());
    }
}

json Api::plant_users_json() const {
    json users = json::array();
    for (const auto& user : plant_config_store().users())
        users.push_back(user_json(user));
    return {{"users", users}, {"read_only", true}};
}

}  // namespace mpobench::web
