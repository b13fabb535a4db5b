#pragma once
// The plant's configuration (PostgreSQL): the part catalogue, the limit sets
// under the two-person rule and the users every station of the plant takes.
// Read by the stations (db/plant.sql's mpobench_station role), changed by
// the plant's administrators (mpobench_admin) through the plant's functions
// only. README: "Parts, limits and users from the plant".

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "db/plant.hpp"
#include "db/repository.hpp"

namespace mpobench::db::plant {

// What a station takes from the plant, read in one snapshot.
struct Configuration {
    std::optional<PublishedCatalogue> parts;  // the one published last
    std::optional<LimitSetUpload> limits;     // the one activated last, with its body
    std::vector<PlantUser> users;             // by name, disabled ones too
};

// One change of the plant's configuration (mpobench.config_log).
struct ConfigChange {
    std::int64_t id = 0;
    TimePoint at{};
    std::string db_role;  // the database login that made it
    std::string actor;    // the --by name (or the OS user for users)
    std::string action;   // "limits.upload", "user.add", ...
    std::string detail;   // JSON
};

class ConfigStore {
  public:
    // url: as for Connection (no password); throws what Connection throws.
    // answer_timeout: as Connection's (a test waits for in_use()).
    explicit ConfigStore(const std::string& url,
                         std::chrono::seconds connect_timeout = std::chrono::seconds(10),
                         std::optional<std::chrono::milliseconds> answer_timeout = std::nullopt);

    std::string describe() const;

    Configuration in_use() const;

    // ---- Users (as the station's Repository keeps them). The changes
    // throw PlantConfigRefused for a name taken, a user unknown or
    // disabled, a badge another user's.
    std::vector<User> users() const;
    std::optional<User> user(const std::string& name) const;
    void add_user(const User& user);
    void disable_user(const std::string& name, const std::string& by);
    void set_badge(const std::string& name, const std::string& badge_sha256, const std::string& by);

    // ---- Limit sets. `by` must be an enabled qa or admin plant user; the
    // same limits uploaded twice, an activation by the uploader or of a set
    // activated already throw PlantConfigRefused.
    std::vector<LimitSetUpload> limit_set_uploads() const;  // newest first, no bodies
    std::optional<LimitSetUpload> limit_set_upload(std::int64_t id) const;  // with its body
    std::optional<StoredLimitSet> limit_set_by_hash(const std::string& hash) const;
    std::int64_t upload_limit_set(const StoredLimitSet& limit_set, const std::string& by);
    void activate_limit_set(std::int64_t id, const std::string& by);

    // Every change, oldest first.
    std::vector<ConfigChange> changes() const;

    // ---- The part catalogue: a new version in use from now on.
    std::int64_t publish_part_catalogue(const std::string& body, const std::string& sha256,
                                        const std::string& by);

  private:
    Connection connection_;
};

}  // namespace mpobench::db::plant
