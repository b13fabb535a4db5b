// The API's rules, request by request, without a socket: sessions, roles,
// the CSRF token, the login throttle, and bad input of every kind.

#include <sqlite3.h>
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <fstream>
#include <random>

#include "analysis/passwords.hpp"
#include "app/test_flow.hpp"
#include "tests/support/temp_dir.hpp"
#include "web/api.hpp"

using namespace mpobench;
using nlohmann::json;

namespace {

constexpr const char* kPassword = "correct horse 1";

class ApiFixture {
  public:
    ApiFixture() {
        {
            db::Repository repository(db_path());
            for (const auto& [name, role] :
                 {std::pair{"ana", db::UserRole::Operator}, std::pair{"quinn", db::UserRole::Qa},
                  std::pair{"root", db::UserRole::Admin}}) {
                db::User user;
                user.name = name;
                user.role = role;
                user.password_hash = analysis::hash_password(kPassword);
                user.created_at = std::chrono::system_clock::now();
                user.created_by = "test";
                repository.add_user(user);
            }
        }
        web::ApiSetup setup;
        setup.db_path = db_path();
        setup.limits = app::load_limits({});
        api = std::make_unique<web::Api>(std::move(setup));
    }

    std::filesystem::path db_path() const { return dir.file("station.db"); }

    web::HttpResponse send(const std::string& method, const std::string& target,
                           const std::string& body = "", const std::string& cookie = "",
                           const std::string& csrf = "", const std::string& address = "10.1.2.3") {
        web::HttpRequest request;
        request.method = method;
        request.target = target;
        request.body = body;
        request.peer_address = address;
        if (!cookie.empty())
            request.headers["cookie"] = "mpobench_session=" + cookie;
        if (!csrf.empty())
            request.headers["x-csrf-token"] = csrf;
        return api->handle(request);
    }

    struct Login {
        std::string cookie, csrf;
    };
    Login login(const std::string& user, const std::string& password = kPassword) {
        const auto response =
            send("POST", "/api/session", json{{"user", user}, {"password", password}}.dump());
        REQUIRE(response.status == 200);
        const std::string set_cookie = response.headers.at("Set-Cookie");
        const auto start = set_cookie.find('=') + 1;
        return {set_cookie.substr(start, set_cookie.find(';') - start),
                json::parse(response.body).at("csrf_token").get<std::string>()};
    }

    testing::TempDir dir;
    std::unique_ptr<web::Api> api;
};

json body_of(const web::HttpResponse& response) {
    return json::parse(response.body);
}

}  // namespace

TEST_CASE("without a session the API answers 401, the same for every route", "[web]") {
    ApiFixture f;
    for (const auto& [method, target] :
         {std::pair{"GET", "/api/station"}, std::pair{"GET", "/api/runs"},
          std::pair{"GET", "/api/yield"}, std::pair{"POST", "/api/tests"},
          std::pair{"GET", "/api/audit"}, std::pair{"GET", "/api/users"},
          std::pair{"GET", "/api/tests/current/events"}}) {
        INFO(method << " " << target);
        const auto response = f.send(method, target, "{}", "forged-token");
        CHECK(response.status == 401);
        CHECK(body_of(response).at("error") == "not logged in");
    }
}

TEST_CASE("login: one answer for a wrong name or password; the cookie is HttpOnly and strict",
          "[web]") {
    ApiFixture f;
    const auto wrong = f.send("POST", "/api/session", R"({"user":"ana","password":"nope"})");
    const auto unknown = f.send("POST", "/api/session", R"({"user":"zed","password":"nope"})");
    CHECK(wrong.status == 401);
    CHECK(unknown.status == 401);
    CHECK(wrong.body == unknown.body);

    const auto ok =
        f.send("POST", "/api/session", json{{"user", "ana"}, {"password", kPassword}}.dump());
    REQUIRE(ok.status == 200);
    const std::string cookie = ok.headers.at("Set-Cookie");
    CHECK(cookie.find("HttpOnly") != std::string::npos);
    CHECK(cookie.find("SameSite=Strict") != std::string::npos);
    CHECK(body_of(ok).at("role") == "operator");

    // Every attempt is in the audit log, with where it came from.
    const auto entries = db::Repository::open_read_only(f.db_path()).audit_entries();
    std::vector<std::string> actions;
    for (const auto& entry : entries) {
        actions.push_back(entry.action);
        if (entry.action.starts_with("login")) {
            CHECK(entry.source == "web");
            CHECK(entry.host == "10.1.2.3");
        }
    }
    CHECK(std::count(actions.begin(), actions.end(), "login.fail") == 2);
    CHECK(std::count(actions.begin(), actions.end(), "login") == 1);
}

TEST_CASE("a disabled user cannot log in; logging out ends the session", "[web]") {
    ApiFixture f;
    const auto ana = f.login("ana");
    const auto root = f.login("root");
    CHECK(f.send("POST", "/api/users/ana/disable", "{}", root.cookie, root.csrf).status == 200);
    CHECK(f.send("GET", "/api/session", "", ana.cookie).status == 401);
    CHECK(f.send("POST", "/api/session", json{{"user", "ana"}, {"password", kPassword}}.dump())
              .status == 401);
    CHECK(f.send("DELETE", "/api/session", "", root.cookie, root.csrf).status == 204);
    CHECK(f.send("GET", "/api/session", "", root.cookie).status == 401);
}

TEST_CASE("a state-changing request without the CSRF token is refused", "[web]") {
    ApiFixture f;
    const auto root = f.login("root");
    const std::string new_user =
        json{{"name", "newbie"}, {"role", "operator"}, {"password", "long enough 1"}}.dump();
    CHECK(f.send("POST", "/api/users", new_user, root.cookie).status == 403);
    CHECK(f.send("POST", "/api/users", new_user, root.cookie, std::string(64, 'a')).status == 403);
    CHECK(f.send("DELETE", "/api/session", "", root.cookie).status == 403);
    CHECK(f.send("POST", "/api/users", new_user, root.cookie, root.csrf).status == 201);
    // A GET changes nothing and needs no token.
    CHECK(f.send("GET", "/api/users", "", root.cookie).status == 200);
}

TEST_CASE("roles are enforced by the server: operator < qa < admin", "[web]") {
    ApiFixture f;
    const auto ana = f.login("ana");
    const auto quinn = f.login("quinn");
    const auto root = f.login("root");
    CHECK(f.send("GET", "/api/users", "", ana.cookie).status == 403);
    CHECK(f.send("GET", "/api/users", "", quinn.cookie).status == 403);
    CHECK(f.send("GET", "/api/users", "", root.cookie).status == 200);
    CHECK(f.send("POST", "/api/users",
                 json{{"name", "x"}, {"role", "admin"}, {"password", "long enough 1"}}.dump(),
                 ana.cookie, ana.csrf)
              .status == 403);
    CHECK(f.send("GET", "/api/audit", "", ana.cookie).status == 403);
    const auto audit = f.send("GET", "/api/audit", "", quinn.cookie);
    REQUIRE(audit.status == 200);
    CHECK(body_of(audit).at("verified") == true);
    CHECK(body_of(audit).at("entries").size() >= 3);
    // Everyone may read the QA views.
    CHECK(f.send("GET", "/api/yield", "", ana.cookie).status == 200);
    CHECK(f.send("GET", "/api/pareto?by=week", "", ana.cookie).status == 400);
}

TEST_CASE("users: a short password, a bad role and a duplicate are refused with a reason",
          "[web]") {
    ApiFixture f;
    const auto root = f.login("root");
    const auto add = [&](const json& body) {
        return f.send("POST", "/api/users", body.dump(), root.cookie, root.csrf);
    };
    CHECK(add({{"name", "bo"}, {"role", "qa"}, {"password", "short"}}).status == 400);
    CHECK(add({{"name", "bo"}, {"role", "boss"}, {"password", "long enough 1"}}).status == 400);
    CHECK(add({{"name", "ana"}, {"role", "qa"}, {"password", "long enough 1"}}).status == 409);
    CHECK(add({{"name", "b\x01o"}, {"role", "qa"}, {"password", "long enough 1"}}).status == 400);
    const auto added = add({{"name", "bo"}, {"role", "qa"}, {"password", "long enough 1"}});
    REQUIRE(added.status == 201);
    CHECK(body_of(added).at("created_by") == "root");
    CHECK(f.send("POST", "/api/users/root/disable", "{}", root.cookie, root.csrf).status == 409);
    CHECK(f.send("POST", "/api/users/nobody/disable", "{}", root.cookie, root.csrf).status == 404);
}

TEST_CASE("repeated wrong passwords are answered 429 with Retry-After", "[web]") {
    ApiFixture f;
    const std::string wrong = R"({"user":"ana","password":"guess"})";
    for (int i = 0; i < web::LoginThrottle::kFailuresPerUser; ++i)
        CHECK(f.send("POST", "/api/session", wrong).status == 401);
    const auto limited = f.send("POST", "/api/session", wrong);
    CHECK(limited.status == 429);
    CHECK(std::stoi(limited.headers.at("Retry-After")) > 0);
    // Even the right password waits: a guess that hits is not told so.
    CHECK(f.send("POST", "/api/session", json{{"user", "ana"}, {"password", kPassword}}.dump())
              .status == 429);
    // From another address the user may still log in.
    CHECK(f.send("POST", "/api/session", json{{"user", "ana"}, {"password", kPassword}}.dump(), "",
                 "", "10.9.9.9")
              .status == 200);
}

TEST_CASE("bad bodies and paths are 400 or 404 with a message, never a crash", "[web]") {
    ApiFixture f;
    const auto root = f.login("root");
    const auto post = [&](const std::string& target, const std::string& body) {
        return f.send("POST", target, body, root.cookie, root.csrf);
    };
    for (const char* body : {"{", "[]", "\"text\"", "42", "{\"name\": }", "\xff\xfe"}) {
        INFO(body);
        const auto response = post("/api/users", body);
        CHECK(response.status == 400);
        CHECK(body_of(response).contains("detail"));
    }
    CHECK(post("/api/users", R"({"name": 7, "role": "qa", "password": "long enough 1"})").status ==
          400);
    CHECK(post("/api/users",
               json{{"name", std::string(5000, 'x')}, {"role", "qa"}, {"password", "long enough 1"}}
                   .dump())
              .status == 400);
    CHECK(post("/api/tests", R"({"part": "MPO12-SM-B-E", "serial": "SN1"})").status == 409);
    CHECK(f.send("GET", "/api/runs/abc", "", root.cookie).status == 404);
    CHECK(f.send("GET", "/api/runs/99999999999999999999", "", root.cookie).status == 404);
    CHECK(f.send("GET", "/api/runs/42", "", root.cookie).status == 404);
    CHECK(f.send("GET", "/api/yield?from=2026-13-45", "", root.cookie).status == 400);
    CHECK(f.send("GET", "/api/nothing", "", root.cookie).status == 404);
    // No request reaches the file system.
    for (const char* target : {"/static/../CMakeLists.txt", "/static/%2e%2e%2fapi.cpp",
                               "/static/..%2F..%2Fetc%2Fpasswd", "/etc/passwd", "/static/%zz"}) {
        INFO(target);
        const auto response = f.send("GET", target);
        CHECK((response.status == 404 || response.status == 400));
    }
}

TEST_CASE("fuzzed JSON bodies never make the API fail", "[web]") {
    ApiFixture f;
    const auto root = f.login("root");
    const std::vector<std::string> seeds{
        R"({"user":"ana","password":"x"})",
        R"({"name":"bo","role":"qa","password":"long enough 1"})",
        R"({"part":"MPO12-SM-B-E","serial":"SN1","retest_reason":"RECLEAN"})",
        R"({"answer":"done"})", R"({"mode":"SM"})"};
    const std::vector<std::string> targets{"/api/session",   "/api/users",
                                           "/api/tests",     "/api/tests/current/prompt",
                                           "/api/reference", "/api/tests/current/abort"};
    std::mt19937 random(20261207);
    const std::string alphabet = "{}[]\":,0123456789.eE+-truefalsnul \\u00\xc3\xa9\x01\xff";
    for (int i = 0; i < 600; ++i) {
        std::string body = seeds[random() % seeds.size()];
        const int edits = 1 + static_cast<int>(random() % 6);
        for (int e = 0; e < edits && !body.empty(); ++e) {
            const std::size_t at = random() % body.size();
            switch (random() % 4) {
                case 0:
                    body.erase(at, 1 + random() % 3);
                    break;
                case 1:
                    body.insert(at, 1, alphabet[random() % alphabet.size()]);
                    break;
                case 2:
                    body[at] = alphabet[random() % alphabet.size()];
                    break;
                default:
                    body.insert(at, std::string(random() % 3000, 'A'));
                    break;
            }
        }
        const auto& target = targets[random() % targets.size()];
        const auto response = f.send("POST", target, body, root.cookie, root.csrf, "10.7.7.7");
        INFO(target << " " << body);
        CHECK(response.status >= 200);
        CHECK(response.status < 500);
        CHECK(json::accept(response.body));
    }
}

namespace {

// The default set renamed, every IL limit far below what any assembly meets.
std::string strict_limits_toml(const std::string& version) {
    std::string text(analysis::default_limit_set_toml());
    const auto replace_all = [&](const std::string& key, const std::string& value) {
        for (auto at = text.find(key); at != std::string::npos; at = text.find(key, at + 1)) {
            const auto end = text.find('\n', at);
            text.replace(at, end - at, key + " = " + value);
        }
    };
    replace_all("name", "\"site-strict\"");
    replace_all("version", "\"" + version + "\"");
    replace_all("il_typical_db", "0.01");
    replace_all("il_max_db", "0.02");
    return text;
}

void add_qa_user(const std::filesystem::path& db_path, const std::string& name) {
    db::Repository repository(db_path);
    db::User user;
    user.name = name;
    user.role = db::UserRole::Qa;
    user.password_hash = analysis::hash_password(kPassword);
    user.created_at = std::chrono::system_clock::now();
    user.created_by = "test";
    repository.add_user(user);
}

}  // namespace

TEST_CASE("limit sets: one QA user uploads, another activates (two-person rule)", "[web]") {
    ApiFixture f;
    add_qa_user(f.db_path(), "rosa");
    const auto quinn = f.login("quinn");
    const auto rosa = f.login("rosa");

    auto listed = f.send("GET", "/api/limits", "", quinn.cookie);
    REQUIRE(listed.status == 200);
    CHECK(body_of(listed).at("limit_sets").empty());
    CHECK(body_of(listed).at("in_use").at("source") == "default");

    const auto uploaded =
        f.send("POST", "/api/limits", json{{"toml", strict_limits_toml("2")}}.dump(), quinn.cookie,
               quinn.csrf);
    REQUIRE(uploaded.status == 201);
    const json pending = body_of(uploaded);
    const auto id = pending.at("id").get<std::int64_t>();
    CHECK(pending.at("name") == "site-strict");
    CHECK(pending.at("uploaded_by") == "quinn");
    CHECK(pending.at("activated_by").is_null());
    CHECK(pending.at("active") == false);
    const std::string activate = "/api/limits/" + std::to_string(id) + "/activate";

    // Pending: nothing grades with it yet.
    CHECK(body_of(f.send("GET", "/api/limits", "", quinn.cookie)).at("in_use").at("source") ==
          "default");
    // The same set again is a conflict; the uploader may not activate it.
    CHECK(f.send("POST", "/api/limits", json{{"toml", strict_limits_toml("2")}}.dump(), rosa.cookie,
                 rosa.csrf)
              .status == 409);
    const auto own = f.send("POST", activate, "{}", quinn.cookie, quinn.csrf);
    CHECK(own.status == 403);
    CHECK(body_of(own).at("error") == "two-person rule");
    CHECK_FALSE(db::Repository(f.db_path()).active_limit_set());

    const auto activated = f.send("POST", activate, "{}", rosa.cookie, rosa.csrf);
    REQUIRE(activated.status == 200);
    CHECK(body_of(activated).at("activated_by") == "rosa");
    CHECK(body_of(activated).at("active") == true);
    CHECK(f.send("POST", activate, "{}", rosa.cookie, rosa.csrf).status == 409);

    listed = f.send("GET", "/api/limits", "", rosa.cookie);
    CHECK(body_of(listed).at("in_use").at("source") == "database");
    CHECK(body_of(listed).at("in_use").at("hash") == pending.at("hash"));
    const auto one = f.send("GET", "/api/limits/" + std::to_string(id), "", rosa.cookie);
    REQUIRE(one.status == 200);
    CHECK(body_of(one).at("body") == strict_limits_toml("2"));
    CHECK(f.send("GET", "/api/limits/999", "", rosa.cookie).status == 404);
    CHECK(f.send("GET", "/api/limits/abc", "", rosa.cookie).status == 404);
    CHECK(f.send("POST", "/api/limits/999/activate", "{}", rosa.cookie, rosa.csrf).status == 404);

    // Both steps are in the audit log, each with who did it.
    std::vector<std::pair<std::string, std::string>> acts;
    for (const auto& entry : db::Repository::open_read_only(f.db_path()).audit_entries()) {
        if (entry.action.starts_with("limits."))
            acts.emplace_back(entry.action, entry.actor);
    }
    CHECK(acts == std::vector<std::pair<std::string, std::string>>{{"limits.upload", "quinn"},
                                                                   {"limits.activate", "rosa"}});
}

TEST_CASE("limit sets: operators get 403, a bad file 400 naming the line", "[web]") {
    ApiFixture f;
    const auto ana = f.login("ana");
    const auto quinn = f.login("quinn");
    const auto root = f.login("root");
    const std::string toml = json{{"toml", strict_limits_toml("2")}}.dump();
    CHECK(f.send("GET", "/api/limits", "", ana.cookie).status == 403);
    CHECK(f.send("GET", "/api/limits/1", "", ana.cookie).status == 403);
    CHECK(f.send("POST", "/api/limits", toml, ana.cookie, ana.csrf).status == 403);
    CHECK(f.send("POST", "/api/limits/1/activate", "{}", ana.cookie, ana.csrf).status == 403);
    CHECK(f.send("POST", "/api/limits", toml, quinn.cookie).status == 403);  // no CSRF token

    std::string bad = strict_limits_toml("3");
    bad.replace(bad.find("il_max_db = 0.02"), 16, "il_max_db = \"x\"");
    const auto refused =
        f.send("POST", "/api/limits", json{{"toml", bad}}.dump(), quinn.cookie, quinn.csrf);
    CHECK(refused.status == 400);
    CHECK(body_of(refused).at("error") == "bad limit set");
    CHECK_THAT(
        body_of(refused).at("detail").get<std::string>(),
        Catch::Matchers::Contains("uploaded limit set:") && Catch::Matchers::Contains("il_max_db"));
    for (const std::string body :
         {R"({})", R"({"toml": 7})", R"({"toml": "name = "})", R"({"toml": ""})"}) {
        INFO(body);
        CHECK(f.send("POST", "/api/limits", body, quinn.cookie, quinn.csrf).status == 400);
    }
    // An admin is QA too, and may activate a QA user's upload.
    const auto uploaded = f.send("POST", "/api/limits", toml, quinn.cookie, quinn.csrf);
    REQUIRE(uploaded.status == 201);
    const auto id = body_of(uploaded).at("id").get<std::int64_t>();
    CHECK(f.send("POST", "/api/limits/" + std::to_string(id) + "/activate", "{}", root.cookie,
                 root.csrf)
              .status == 200);
    CHECK(db::Repository(f.db_path()).limit_set_uploads().size() == 1);
}

TEST_CASE("the next test grades with --limits, else the activated set, else the default", "[web]") {
    testing::TempDir dir;
    const auto db_path = dir.file("station.db");
    const auto file = dir.file("given.toml");
    std::ofstream(file) << strict_limits_toml("file");
    db::Repository repository(db_path);
    CHECK(app::limits_in_use(repository, {}).hash == analysis::default_limit_set().hash);

    const auto strict = analysis::parse_limit_set(strict_limits_toml("2"), "strict");
    const auto id = repository.upload_limit_set(
        {0, strict.name, strict.version, strict.hash, strict.body}, "quinn");
    CHECK(app::limits_in_use(repository, {}).hash == analysis::default_limit_set().hash);
    repository.activate_limit_set(id, "rosa");
    const auto in_use = app::limits_in_use(repository, {});
    CHECK(in_use.hash == strict.hash);
    CHECK(in_use.version == "2");
    // A file given on the command line wins over the database.
    CHECK(app::limits_in_use(repository, file).version == "file");
    CHECK_THROWS_AS(app::limits_in_use(repository, dir.file("missing.toml")),
                    analysis::LimitSetError);
}

TEST_CASE("a stored limit set whose body no longer hashes to its hash is refused", "[web]") {
    const auto strict = analysis::parse_limit_set(strict_limits_toml("2"), "strict");
    db::StoredLimitSet stored{5, strict.name, strict.version, strict.hash, strict.body};
    CHECK(app::stored_limit_set(stored).hash == strict.hash);
    stored.body = strict_limits_toml("2-changed");
    CHECK_THROWS_WITH(app::stored_limit_set(stored),
                      Catch::Matchers::Contains("not to its stored hash"));
    stored.body = "name = ";
    CHECK_THROWS_AS(app::stored_limit_set(stored), analysis::LimitSetError);
}

TEST_CASE("fuzzed limit-set uploads are 201, 400 or 409, never a failure", "[web]") {
    ApiFixture f;
    const auto quinn = f.login("quinn");
    std::mt19937 random(20261213);
    const std::string seed = strict_limits_toml("fuzz");
    const std::string alphabet = "[]=.\"'#\n 0123456789eE+-_abcdefgilmnoprstuvxyz\xc3\xa9\x01\xff";
    int created = 0;
    for (int i = 0; i < 300; ++i) {
        std::string text = seed;
        const int edits = 1 + static_cast<int>(random() % 4);
        for (int e = 0; e < edits && !text.empty(); ++e) {
            const std::size_t at = random() % text.size();
            if (random() % 2 == 0)
                text.erase(at, 1 + random() % 4);
            else
                text.insert(at, 1, alphabet[random() % alphabet.size()]);
        }
        // Invalid UTF-8 cannot be sent as a JSON string: replaced as a page would.
        const std::string body =
            json{{"toml", text}}.dump(-1, ' ', false, json::error_handler_t::replace);
        const auto response = f.send("POST", "/api/limits", body, quinn.cookie, quinn.csrf);
        INFO(text);
        CHECK((response.status == 201 || response.status == 400 || response.status == 409));
        CHECK(json::accept(response.body));
        created += response.status == 201 ? 1 : 0;
    }
    CHECK(created > 0);  // some edits only touch comments or values: still a valid set
    // Every upload that was accepted is listed, pending.
    const auto listed = body_of(f.send("GET", "/api/limits", "", quinn.cookie));
    CHECK(listed.at("limit_sets").size() == static_cast<std::size_t>(created));
}

TEST_CASE("a scanned serial is checked as the CLI checks it before Start", "[web]") {
    ApiFixture f;
    const auto ana = f.login("ana");
    const auto fresh = body_of(f.send("GET", "/api/serials/SN%2D0042%0D", "", ana.cookie));
    CHECK(fresh.at("valid") == true);
    CHECK(fresh.at("serial") == "SN-0042");  // the scanner's carriage return trimmed
    CHECK(fresh.at("verdict") == "first_test");
    CHECK(fresh.at("retest_reason_needed") == false);
    const auto bad = f.send("GET", "/api/serials/SN%C3%A9", "", ana.cookie);
    CHECK(bad.status == 200);
    CHECK(body_of(bad).at("valid") == false);
    CHECK(body_of(bad).at("problem").get<std::string>().find("U+00E9") != std::string::npos);
}

TEST_CASE("a badge scanned into the login field logs its user in", "[web]") {
    ApiFixture f;
    const auto root = f.login("root");
    const auto register_badge = [&](const std::string& user, const std::string& badge) {
        return f.send("POST", "/api/users/" + user + "/badge", json{{"badge", badge}}.dump(),
                      root.cookie, root.csrf);
    };
    CHECK(register_badge("ana", "E4A1-0042-77").status == 200);
    CHECK(register_badge("quinn", "E4A1-0042-77").status == 409);  // one badge, one user
    CHECK(register_badge("quinn", "123").status == 400);
    CHECK(register_badge("quinn", "has space 1").status == 400);
    CHECK(register_badge("nobody", "E4A1-0099-01").status == 404);

    const auto badge_login = [&](const std::string& badge, const std::string& address) {
        return f.send("POST", "/api/session", json{{"badge", badge}}.dump(), "", "", address);
    };
    const auto ok = badge_login("E4A1-0042-77", "10.3.3.3");
    REQUIRE(ok.status == 200);
    CHECK(body_of(ok).at("user") == "ana");
    CHECK(body_of(ok).at("role") == "operator");
    CHECK(badge_login("E4A1-0042-78", "10.3.3.3").status == 401);

    // Only the digest is stored; the badge changes hands with a new registration.
    const auto users = db::Repository::open_read_only(f.db_path()).users();
    CHECK(std::count_if(users.begin(), users.end(), [](const auto& u) { return u.has_badge; }) ==
          1);
    CHECK(register_badge("ana", "E4A1-0042-90").status == 200);
    CHECK(badge_login("E4A1-0042-77", "10.3.3.4").status == 401);
    CHECK(badge_login("E4A1-0042-90", "10.3.3.4").status == 200);

    // A disabled user's badge no longer opens anything.
    CHECK(f.send("POST", "/api/users/ana/disable", "{}", root.cookie, root.csrf).status == 200);
    CHECK(badge_login("E4A1-0042-90", "10.3.3.5").status == 401);

    // Guessing badges from one place is slowed down like guessing passwords.
    int limited = 0;
    for (int i = 0; i < 30; ++i)
        limited += badge_login("GUESS-" + std::to_string(1000 + i), "10.6.6.6").status == 429;
    CHECK(limited > 0);
}

TEST_CASE("the audit page names an entry changed behind mpobench's back", "[web]") {
    ApiFixture f;
    const auto quinn = f.login("quinn");
    f.login("ana");
    {
        // Another tool, past the table's triggers: a login rewritten to someone else.
        sqlite3* raw = nullptr;
        REQUIRE(sqlite3_open(f.db_path().c_str(), &raw) == SQLITE_OK);
        const char* forge =
            "DROP TRIGGER audit_log_never_changes;"
            "UPDATE audit_log SET actor = 'root' WHERE action = 'login' AND actor = 'ana';";
        const int code = sqlite3_exec(raw, forge, nullptr, nullptr, nullptr);
        sqlite3_close(raw);
        REQUIRE(code == SQLITE_OK);
    }
    const auto audit = body_of(f.send("GET", "/api/audit", "", quinn.cookie));
    CHECK(audit.at("verified") == false);
    REQUIRE(audit.at("first_broken").is_object());
    const auto broken = audit.at("first_broken").at("seq").get<std::int64_t>();
    for (const auto& entry : audit.at("entries")) {
        if (entry.at("seq") == broken)
            CHECK(entry.at("action") == "login");
    }
}
