// Limit sets under control: an upload is pending until a second person
// activates it, once; the set in use is the one activated last; uploads
// are never deleted nor changed behind the repository's back.

#include "db_test_support.hpp"

using namespace db_test;
using Catch::Matchers::Contains;
using mpobench::db::DatabaseError;
using mpobench::db::Repository;
using mpobench::db::StoredLimitSet;

namespace {

StoredLimitSet limit_set(const std::string& version, const std::string& hash) {
    return {0, "site-limits", version, hash, "# version " + version + "\n"};
}

}  // namespace

TEST_CASE("an uploaded limit set is used only once a second person activates it") {
    TempDir dir;
    Repository repository(dir.file("mpobench.db"));
    CHECK_FALSE(repository.active_limit_set());
    CHECK(repository.limit_set_uploads().empty());

    const auto first = repository.upload_limit_set(limit_set("1", "hash-1"), "ana", at_ms(1'000));
    CHECK_FALSE(repository.active_limit_set());  // pending
    auto uploads = repository.limit_set_uploads();
    REQUIRE(uploads.size() == 1);
    CHECK(uploads[0].limit_set.id == first);
    CHECK(uploads[0].limit_set.hash == "hash-1");
    CHECK(uploads[0].limit_set.body.empty());  // the list has no bodies
    CHECK(uploads[0].uploaded_by == "ana");
    CHECK(uploads[0].uploaded_at == at_ms(1'000));
    CHECK_FALSE(uploads[0].activated_by);
    CHECK_FALSE(uploads[0].active);

    // The uploader may not activate it; a second person may, once.
    CHECK_THROWS_WITH(repository.activate_limit_set(first, "ana"), Contains("two-person rule"));
    CHECK_FALSE(repository.active_limit_set());
    repository.activate_limit_set(first, "ben", at_ms(2'000));
    REQUIRE(repository.active_limit_set());
    CHECK(repository.active_limit_set()->version == "1");
    CHECK(repository.active_limit_set()->body == "# version 1\n");
    CHECK_THROWS_WITH(repository.activate_limit_set(first, "cleo"),
                      Contains("activated already by ben"));

    // A newer version: uploaded by ben, activated by ana; the latest
    // activation is the one in use, the older stays listed.
    const auto second = repository.upload_limit_set(limit_set("2", "hash-2"), "ben", at_ms(3'000));
    CHECK(repository.active_limit_set()->id == first);
    repository.activate_limit_set(second, "ana", at_ms(4'000));
    CHECK(repository.active_limit_set()->id == second);
    uploads = repository.limit_set_uploads();
    REQUIRE(uploads.size() == 2);
    CHECK(uploads[0].limit_set.id == second);  // newest first
    CHECK(uploads[0].active);
    CHECK(uploads[1].limit_set.id == first);
    CHECK_FALSE(uploads[1].active);
    CHECK(uploads[1].activated_by == "ben");
    CHECK(uploads[1].activated_at == at_ms(2'000));

    const auto one = repository.limit_set_upload(second);
    REQUIRE(one);
    CHECK(one->limit_set.body == "# version 2\n");
    CHECK(one->activated_by == "ana");
    CHECK_FALSE(repository.limit_set_upload(second + 100));
}

TEST_CASE("limit-set uploads and activations are refused when they break the rules") {
    TempDir dir;
    const auto path = dir.file("mpobench.db");
    Repository repository(path);
    const auto id = repository.upload_limit_set(limit_set("1", "hash-1"), "ana");

    // The same limits twice, an unknown id, no names.
    CHECK_THROWS_WITH(repository.upload_limit_set(limit_set("1", "hash-1"), "ben"),
                      Contains("uploaded already as id"));
    CHECK_THROWS_WITH(repository.activate_limit_set(id + 7, "ben"),
                      Contains("no limit set of that id"));
    CHECK_THROWS_AS(repository.upload_limit_set(limit_set("3", "hash-3"), ""), DatabaseError);
    CHECK_THROWS_AS(repository.activate_limit_set(id, ""), DatabaseError);
    // A hash stored with another body is refused as store_limit_set refuses it.
    StoredLimitSet changed = limit_set("1", "hash-9");
    repository.store_limit_set(changed);
    changed.body = "# changed\n";
    CHECK_THROWS_WITH(repository.upload_limit_set(changed, "ana"), Contains("never changes"));
    // A set a run stored before (by --limits FILE) may still be uploaded.
    repository.store_limit_set(limit_set("4", "hash-4"));
    const auto stored_before = repository.upload_limit_set(limit_set("4", "hash-4"), "ana");
    CHECK(repository.limit_set_upload(stored_before)->limit_set.version == "4");

    // The database itself keeps the rules against any other writer.
    repository.activate_limit_set(id, "ben");
    RawDatabase raw(path);
    CHECK_THAT(raw.execute("DELETE FROM limit_set_uploads"), Contains("never deleted"));
    CHECK_THAT(raw.execute("UPDATE limit_set_uploads SET activated_by = 'cleo' WHERE "
                           "limit_set_id = " +
                           std::to_string(id)),
               Contains("activated once"));
    CHECK_THAT(raw.execute("UPDATE limit_set_uploads SET uploaded_by = 'zed' WHERE "
                           "limit_set_id = " +
                           std::to_string(stored_before)),
               Contains("never changes otherwise"));
    CHECK_THAT(raw.execute("UPDATE limit_set_uploads SET activated_by = 'ana', activated_at = "
                           "'2026-01-01T00:00:00.000Z', activation_seq = 9 WHERE limit_set_id = " +
                           std::to_string(stored_before)),
               Contains("CHECK constraint failed"));
    CHECK(repository.active_limit_set()->id == id);
}

TEST_CASE("what a station takes from its plant: the plant's limit set in use, its users kept") {
    using mpobench::db::PlantConfigCache;
    using mpobench::db::PlantUser;
    using mpobench::db::User;
    using mpobench::db::UserRole;
    TempDir dir;
    Repository repository(dir.file("mpobench.db"));
    CHECK_FALSE(repository.plant_config());
    // The station's own activation is in use until the plant gives one.
    const auto own = repository.upload_limit_set(limit_set("1", "hash-own"), "ana", at_ms(1'000));
    repository.activate_limit_set(own, "ben", at_ms(2'000));

    User station_user;
    station_user.name = "zoe";
    station_user.role = UserRole::Operator;
    station_user.password_hash = "$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$c3RhdGlvbg";
    station_user.created_at = at_ms(1'000);
    station_user.created_by = "root";
    repository.add_user(station_user);
    repository.set_badge("zoe", std::string(64, 'a'));
    station_user.name = "local";
    repository.add_user(station_user);

    PlantConfigCache config;
    config.plant = "plant-db:5432/plant";
    config.fetched_at = at_ms(5'000);
    mpobench::db::LimitSetUpload plant_limits;
    plant_limits.limit_set = {7, "plant-limits", "3", "hash-plant", "# the plant's\n"};
    plant_limits.activated_by = "cleo";
    plant_limits.activated_at = at_ms(4'000);
    config.limits = plant_limits;
    config.parts = mpobench::db::PublishedCatalogue{2, std::string(64, 'c'), "# parts\n", "cleo",
                                                    at_ms(3'000)};
    PlantUser zoe{station_user, std::string(64, 'a')};  // the station's zoe's badge
    zoe.user.name = "zoe";
    zoe.user.role = UserRole::Qa;
    zoe.user.password_hash = "$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$cGxhbnQ";
    PlantUser max{zoe.user, std::nullopt};
    max.user.name = "max";
    max.user.disabled_at = at_ms(4'500);
    config.users = 2;

    const auto changes = repository.cache_plant_config(config, {zoe, max});
    CHECK(changes.parts);
    CHECK(changes.limits);
    CHECK(changes.users == std::vector<std::string>{"zoe", "max"});
    REQUIRE(repository.active_limit_set());
    CHECK(repository.active_limit_set()->hash == "hash-plant");
    CHECK(repository.active_limit_set()->body == "# the plant's\n");
    // The plant's zoe replaces the station's; a station-only user stays.
    CHECK(repository.user("zoe")->role == UserRole::Qa);
    CHECK(repository.user("zoe")->password_hash == zoe.user.password_hash);
    CHECK(repository.user_by_badge(std::string(64, 'a'))->name == "zoe");
    CHECK(repository.user("max")->disabled_at == at_ms(4'500));
    CHECK_FALSE(repository.user_by_badge(std::string(64, 'b')));
    CHECK(repository.user("local"));

    const auto cached = repository.plant_config();
    REQUIRE(cached);
    CHECK(cached->plant == "plant-db:5432/plant");
    CHECK(cached->fetched_at == at_ms(5'000));
    REQUIRE(cached->limits);
    CHECK(cached->limits->limit_set.id == 7);  // the plant's numbering
    CHECK(cached->limits->activated_by == "cleo");
    REQUIRE(cached->parts);
    CHECK(cached->parts->body == "# parts\n");
    CHECK(cached->users == 2);

    // The same again changes nothing; a badge the plant gives another user
    // is taken from the station user who had it.
    CHECK_FALSE(repository.cache_plant_config(config, {zoe, max}).any());
    PlantUser local{zoe.user, std::string(64, 'd')};
    repository.set_badge("local", std::string(64, 'd'));
    local.user.name = "ida";
    config.users = 3;
    CHECK(repository.cache_plant_config(config, {zoe, max, local}).users ==
          std::vector<std::string>{"ida"});
    CHECK(repository.user_by_badge(std::string(64, 'd'))->name == "ida");
    CHECK_FALSE(repository.user("local")->has_badge);

    // The plant with no limit set active: the station's own again.
    config.limits.reset();
    CHECK(repository.cache_plant_config(config, {zoe, max, local}).limits);
    CHECK(repository.active_limit_set()->hash == "hash-own");
}

TEST_CASE("a station leaves its plant, or moves to another: what the first plant gave goes") {
    using mpobench::db::PlantConfigCache;
    using mpobench::db::PlantUser;
    using mpobench::db::UserRole;
    TempDir dir;
    Repository repository(dir.file("mpobench.db"));
    CHECK_FALSE(repository.forget_plant_config());  // nothing to forget
    PlantConfigCache config;
    config.plant = "plant-a:5432/plant";
    config.fetched_at = at_ms(5'000);
    mpobench::db::LimitSetUpload plant_limits;
    plant_limits.limit_set = {3, "plant-limits", "1", "hash-a", "# a\n"};
    plant_limits.activated_by = "cleo";
    plant_limits.activated_at = at_ms(4'000);
    config.limits = plant_limits;
    PlantUser ann;
    ann.user.name = "ann";
    ann.user.role = UserRole::Qa;
    ann.user.password_hash = "$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$YQ";
    ann.user.created_at = at_ms(1'000);
    ann.user.created_by = "root";
    PlantUser bo = ann;
    bo.user.name = "bo";
    config.users = 2;
    repository.cache_plant_config(config, {ann, bo});
    CHECK(repository.user("ann")->from_plant);

    // Another plant, which lists bo only: ann came from the first one.
    config.plant = "plant-b:5432/plant";
    config.users = 1;
    const auto changes = repository.cache_plant_config(config, {bo});
    CHECK(changes.users == std::vector<std::string>{"ann"});
    CHECK(repository.user("ann")->disabled_at == at_ms(5'000));
    CHECK_FALSE(repository.user("bo")->disabled_at);

    // No plant at all: its limits no longer grade, its users are the station's.
    CHECK(repository.forget_plant_config());
    CHECK_FALSE(repository.plant_config());
    CHECK_FALSE(repository.active_limit_set());
    CHECK_FALSE(repository.user("bo")->from_plant);
    CHECK_FALSE(repository.forget_plant_config());
}
