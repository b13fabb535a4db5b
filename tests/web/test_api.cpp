// The API's rules, request by request, without a socket: sessions, roles,
// the CSRF token, the login throttle, and bad input of every kind.

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

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
