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
#include <optional>

#include <nlohmann/json.hpp>

#include "acquisition/parts.hpp"
#include "analysis/limits.hpp"
#include "app/forwarder.hpp"
#include "reports/site.hpp"
#include "web/http.hpp"
#include "web/sessions.hpp"
#include "web/station_runner.hpp"

namespace mpobench::web {

struct ApiSetup {
    std::filesystem::path db_path;
    std::filesystem::path site_path;  // empty: built-in site defaults
    reports::Site site;
    // --parts FILE; empty: the plant's catalogue as the station last
    // fetched it, else the default one (app::catalogue_in_use).
    std::filesystem::path parts_option;
    analysis::LimitSet limits;
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
    // The catalogue the pages offer and a test looks its part up in.
    acquisition::PartCatalogue catalogue() const;
    HttpResponse badge_login(const std::string& badge, const std::string& address);
    HttpResponse logged_in(db::Repository& repository, const db::User& user,
                           const std::string& address, const std::string& via);
    nlohmann::json runs_json(const HttpRequest& request) const;

    ApiSetup setup_;
    SessionStore sessions_;
    LoginThrottle throttle_;
    std::atomic<bool> stopping_{false};
};

}  // namespace mpobench::web
