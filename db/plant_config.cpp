#include "db/plant_config.hpp"

#include <fmt/format.h>
#include <libpq-fe.h>

#include "vocabulary/time_text.hpp"

namespace mpobench::db::plant {

namespace {

// A time column as UTC text parse_utc_ms reads.
std::string utc(std::string_view column) {
    return fmt::format(R"(to_char({} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))",
                       column);
}

class Rows {
  public:
    Rows(Connection::Result result, std::string what)
        : result_(std::move(result)), what_(std::move(what)) {}
    int size() const { return PQntuples(result_.get()); }
    bool is_null(int row, int column) const { return PQgetisnull(result_.get(), row, column) != 0; }
    std::string text(int row, int column) const { return PQgetvalue(result_.get(), row, column); }
    std::optional<std::string> maybe_text(int row, int column) const {
        if (is_null(row, column))
            return std::nullopt;
        return text(row, column);
    }
    std::int64_t integer(int row, int column) const {
        const std::string value = text(row, column);
        try {
            return std::stoll(value);
        } catch (const std::exception&) {
            throw PlantError(fmt::format("{}: column {} holds no integer: '{}'", what_,
                                         PQfname(result_.get(), column), value));
        }
    }
    TimePoint time(int row, int column) const {
        const auto parsed = parse_utc_ms(text(row, column));
        if (!parsed)
            throw PlantError(fmt::format("{}: column {} holds no time: '{}'", what_,
                                         PQfname(result_.get(), column), text(row, column)));
        return *parsed;
    }
    std::optional<TimePoint> maybe_time(int row, int column) const {
        if (is_null(row, column))
            return std::nullopt;
        return time(row, column);
    }

  private:
    Connection::Result result_;
    std::string what_;
};

const std::string user_columns = fmt::format(
    "SELECT name, role, password_hash, badge_sha256, {}, created_by, {} FROM mpobench.users",
    utc("created_at"), utc("disabled_at"));

PlantUser plant_user(const Rows& rows, int row) {
    PlantUser out;
    out.user.name = rows.text(row, 0);
    const auto role = parse_user_role(rows.text(row, 1));
    if (!role)
        throw PlantError(fmt::format("mpobench.users: user {} has an unknown role '{}'",
                                     out.user.name, rows.text(row, 1)));
    out.user.role = *role;
    out.user.password_hash = rows.text(row, 2);
    out.badge_sha256 = rows.maybe_text(row, 3);
    out.user.has_badge = out.badge_sha256.has_value();
    out.user.created_at = rows.time(row, 4);
    out.user.created_by = rows.text(row, 5);
    out.user.disabled_at = rows.maybe_time(row, 6);
    return out;
}

// The limit sets' columns limit_set_upload_of reads; body_column: "body",
// or "''" for a listing.
std::string limit_set_columns(std::string_view body_column) {
    return fmt::format(
        "SELECT id, name, version, hash, {}, uploaded_by, {}, activated_by, {}, "
        "activation_seq = (SELECT max(activation_seq) FROM mpobench.limit_sets) "
        "FROM mpobench.limit_sets",
        body_column, utc("uploaded_at"), utc("activated_at"));
}

LimitSetUpload limit_set_upload_of(const Rows& rows, int row) {
    LimitSetUpload upload;
    upload.limit_set.id = rows.integer(row, 0);
    upload.limit_set.name = rows.text(row, 1);
    upload.limit_set.version = rows.text(row, 2);
    upload.limit_set.hash = rows.text(row, 3);
    upload.limit_set.body = rows.text(row, 4);
    upload.uploaded_by = rows.text(row, 5);
    upload.uploaded_at = rows.time(row, 6);
    upload.activated_by = rows.maybe_text(row, 7);
    upload.activated_at = rows.maybe_time(row, 8);
    upload.active = rows.text(row, 9) == "t";
    return upload;
}

}  // namespace

ConfigStore::ConfigStore(const std::string& url, std::chrono::seconds connect_timeout,
                         std::optional<std::chrono::milliseconds> answer_timeout)
    : connection_(url, connect_timeout, answer_timeout) {}

std::string ConfigStore::describe() const {
    return connection_.describe();
}

Configuration ConfigStore::in_use() const {
    const std::string what = "reading the plant's parts, limits and users";
    // One snapshot (a catalogue, a limit set and users that were in use
    // together) in one round trip: a test waits for it.
    std::vector<Connection::Result> results;
    try {
        results = connection_.execute_together(
            {"BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
             fmt::format("SELECT id, sha256, body, published_by, {} FROM mpobench.part_catalogues "
                         "ORDER BY id DESC LIMIT 1",
                         utc("published_at")),
             limit_set_columns("body") +
                 " WHERE activation_seq IS NOT NULL ORDER BY activation_seq DESC LIMIT 1",
             user_columns + " ORDER BY name", "COMMIT"},
            what);
    } catch (const PlantUnreachable&) {
        throw;
    } catch (const PlantError&) {
        const Rows schema(connection_.execute("SELECT to_regclass('mpobench.part_catalogues') IS "
                                              "NOT NULL AND to_regclass('mpobench.users') IS NOT "
                                              "NULL AND to_regclass('mpobench.limit_sets') IS NOT "
                                              "NULL",
                                              {}, what),
                          what);
        if (schema.text(0, 0) != "t")
            throw PlantError(fmt::format(
                "plant {} keeps no parts, limits and users: its schema is older than this "
                "mpobench; upgrade the plant database (mpobench plant init --to URL)",
                connection_.describe()));
        throw;
    }
    Configuration configuration;
    const Rows parts(std::move(results.at(1)), what);
    if (parts.size() == 1) {
        configuration.parts =
            PublishedCatalogue{parts.integer(0, 0), parts.text(0, 1), parts.text(0, 2),
                               parts.text(0, 3), parts.time(0, 4)};
    }
    const Rows limits(std::move(results.at(2)), what);
    if (limits.size() == 1)
        configuration.limits = limit_set_upload_of(limits, 0);
    const Rows users(std::move(results.at(3)), what);
    for (int row = 0; row < users.size(); ++row)
        configuration.users.push_back(plant_user(users, row));
    return configuration;
}

std::vector<User> ConfigStore::users() const {
    const std::string what = "reading the plant's users";
    const Rows rows(connection_.execute(user_columns + " ORDER BY name", {}, what), what);
    std::vector<User> users;
    for (int row = 0; row < rows.size(); ++row)
        users.push_back(plant_user(rows, row).user);
    return users;
}

std::optional<User> ConfigStore::user(const std::string& name) const {
    const std::string what = fmt::format("reading plant user {}", name);
    const Rows rows(connection_.execute(user_columns + " WHERE name = $1", {name}, what), what);
    if (rows.size() == 0)
        return std::nullopt;
    return plant_user(rows, 0).user;
}

void ConfigStore::add_user(const User& user) {
    connection_.execute(
        "SELECT mpobench.add_user($1, $2, $3, $4)",
        {user.name, std::string(to_string(user.role)), user.password_hash, user.created_by},
        fmt::format("adding user {} to the plant", user.name));
}

void ConfigStore::disable_user(const std::string& name, const std::string& by) {
    connection_.execute("SELECT mpobench.disable_user($1, $2)", {name, by},
                        fmt::format("disabling plant user {}", name));
}

void ConfigStore::set_badge(const std::string& name, const std::string& badge_sha256,
                            const std::string& by) {
    connection_.execute("SELECT mpobench.set_badge($1, $2, $3)", {name, badge_sha256, by},
                        fmt::format("registering the badge of plant user {}", name));
}

std::vector<LimitSetUpload> ConfigStore::limit_set_uploads() const {
    const std::string what = "reading the plant's limit sets";
    const Rows rows(connection_.execute(limit_set_columns("''") + " ORDER BY id DESC", {}, what),
                    what);
    std::vector<LimitSetUpload> uploads;
    for (int row = 0; row < rows.size(); ++row)
        uploads.push_back(limit_set_upload_of(rows, row));
    return uploads;
}

std::optional<LimitSetUpload> ConfigStore::limit_set_upload(std::int64_t id) const {
    const std::string what = fmt::format("reading the plant's limit set {}", id);
    const Rows rows(connection_.execute(limit_set_columns("body") + " WHERE id = $1",
                                        {std::to_string(id)}, what),
                    what);
    if (rows.size() == 0)
        return std::nullopt;
    return limit_set_upload_of(rows, 0);
}

std::optional<StoredLimitSet> ConfigStore::limit_set_by_hash(const std::string& hash) const {
    const std::string what = "looking for a limit set in the plant by its hash";
    const Rows rows(
        connection_.execute(limit_set_columns("body") + " WHERE hash = $1", {hash}, what), what);
    if (rows.size() == 0)
        return std::nullopt;
    return limit_set_upload_of(rows, 0).limit_set;
}

std::int64_t ConfigStore::upload_limit_set(const StoredLimitSet& limit_set, const std::string& by) {
    const std::string what =
        fmt::format("uploading limit set '{}' {} to the plant", limit_set.name, limit_set.version);
    const Rows rows(
        connection_.execute("SELECT mpobench.upload_limit_set($1, $2, $3, $4, $5)",
                            {limit_set.name, limit_set.version, limit_set.hash, limit_set.body, by},
                            what),
        what);
    return rows.integer(0, 0);
}

void ConfigStore::activate_limit_set(std::int64_t id, const std::string& by) {
    connection_.execute("SELECT mpobench.activate_limit_set($1, $2)", {std::to_string(id), by},
                        fmt::format("activating the plant's limit set {}", id));
}

std::vector<ConfigChange> ConfigStore::changes() const {
    const std::string what = "reading the plant's configuration log";
    const Rows rows(connection_.execute(fmt::format("SELECT id, {}, db_role, actor, action, "
                                                    "detail::text FROM mpobench.config_log "
                                                    "ORDER BY id",
                                                    utc("at")),
                                        {}, what),
                    what);
    std::vector<ConfigChange> changes;
    for (int row = 0; row < rows.size(); ++row) {
        changes.push_back({rows.integer(row, 0), rows.time(row, 1), rows.text(row, 2),
                           rows.text(row, 3), rows.text(row, 4), rows.text(row, 5)});
    }
    return changes;
}

std::int64_t ConfigStore::publish_part_catalogue(const std::string& body, const std::string& sha256,
                                                 const std::string& by) {
    const std::string what = "publishing a part catalogue to the plant";
    const Rows rows(connection_.execute("SELECT mpobench.publish_part_catalogue($1, $2, $3)",
                                        {body, sha256, by}, what),
                    what);
    return rows.integer(0, 0);
}

}  // namespace mpobench::db::plant
