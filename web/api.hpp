#pragma once
// What `mpobench serve` answers: the pages (assets.hpp) and the JSON API
// under /api/ (README "Web API"). Every request is checked here — session,
// role, CSRF token — before it reaches the station or the record; every
// error is JSON {error, detail}. No request path reaches the file system.
// Each request opens the station database read-write, as the station's own
// process (a read-only connection beside this process's own writer can read
// a page the writer is extending: SQLITE_IOERR_SHORT_READ).

#include <atomic>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>

#include <nlohmann/json.hpp>

#include "acquisition/parts.hpp"
#include "analysis/limits.hpp"
#include "app/forwarder.hpp"
#include "db/plant_config.hpp"
#include "db/plant_qa.hpp"
#include "db/plant_read.hpp"
#include "reports/site.hpp"
#include "web/http.hpp"
#include "web/sessions.hpp"
#include "web/station_runner.hpp"

namespace mpobench::web {

struct ApiSetup {
    std::filesystem::path db_path;
    // The plant's URL (serve --db postgresql://...): the QA pages read the
    // plant, its users log in; db_path is then unused. Empty: db_path.
    std::string plant_url;
    std::string plant_description;    // "host:port/database" as the pages name it
    std::filesystem::path site_path;  // empty: built-in site defaults
    reports::Site site;
    // --parts FILE; empty: the plant's catalogue as the station last
    // fetched it, else the default one (app::catalogue_in_use).
    std::filesystem::path parts_option;
    analysis::LimitSet limits;
    bool limits_from_file = false;    // --limits FILE: limits grades nothing else
    StationRunner* runner = nullptr;  // null: a QA-only server (no bench)
    // The station's plant forwarder; null: the station has no plant.
    const app::BackgroundForwarder* forwarder = nullptr;
    SessionLimits session_limits;
};

class Api {
  public:
    explicit Api(ApiSetup setup);
    HttpResponse handle(const HttpRequest& request);
    // Ends every event stream (the server is stopping).
    void stop();

  private:
    HttpResponse route(const HttpRequest& request);
    nlohmann::json station_json() const;
    nlohmann::json session_json(const Session& session) const;
    // The catalogue the pages offer and a test looks its part up in.
    acquisition::PartCatalogue catalogue() const;
    HttpResponse badge_login(const std::string& badge, const std::string& address);
    HttpResponse logged_in(const db::User& user, const std::string& address,
                           const std::string& via);
    nlohmann::json runs_json(const HttpRequest& request) const;
    // Who logs in, and where a web act is recorded: the station's users and
    // audit log, or the plant's users (the server's log records their acts:
    // the QA pages may not write the plant).
    std::optional<db::User> login_user(const std::string& name) const;
    std::optional<db::User> badge_user(const std::string& badge) const;
    void record_act(const std::string& action, const std::string& actor, const std::string& address,
                    const nlohmann::json& detail) const;

    // ---- the QA pages on the plant (web/plant_api.cpp)
    bool on_plant() const { return !setup_.plant_url.empty(); }
    // The plant's runs and configuration, each on a connection of its own
    // whose every query is bounded: a plant that stops answering costs the
    // request that asked, not the server.
    static constexpr std::chrono::seconds kPlantConnectTimeout{5};
    static constexpr std::chrono::milliseconds kPlantAnswerTimeout{60'000};
    db::plant::Reader plant_reader() const {
        return db::plant::Reader(setup_.plant_url, kPlantConnectTimeout, kPlantAnswerTimeout);
    }
    db::plant::ConfigStore plant_config_store() const {
        return db::plant::ConfigStore(setup_.plant_url, kPlantConnectTimeout, kPlantAnswerTimeout);
    }
    // Ends the sessions of users disabled at the plant, or whose role changed
    // there: looked at once every 30 s, at a request.
    void follow_plant_users();
    nlohmann::json plant_station_json() const;
    nlohmann::json plant_run_json(const std::string& uuid) const;
    HttpResponse plant_certificate(const std::string& uuid) const;
    nlohmann::json plant_audit_json() const;
    nlohmann::json plant_limits_json() const;
    nlohmann::json plant_limit_set_json(std::int64_t id) const;
    nlohmann::json plant_users_json() const;
    // The limits the plant's stations grade with now (the histograms' lines).
    analysis::LimitSet plant_limits_in_use() const;

    ApiSetup setup_;
    SessionStore sessions_;
    LoginThrottle throttle_;
    std::atomic<bool> stopping_{false};
    std::mutex plant_users_mutex_;
    Clock::time_point plant_users_followed_{};
};

}  // namespace mpobench::web
