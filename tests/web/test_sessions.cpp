#include <catch2/catch.hpp>

#include <set>

#include "web/sessions.hpp"

using namespace mpobench;
using namespace std::chrono_literals;
using web::Clock;

TEST_CASE("sessions expire when idle and after their absolute limit", "[web]") {
    web::SessionStore store({std::chrono::minutes(30), std::chrono::minutes(120)});
    const auto t0 = Clock::time_point{} + std::chrono::hours(1000);
    const auto session = store.create("ana", db::UserRole::Operator, "127.0.0.1", t0);
    CHECK(session.token.size() == 64);
    CHECK(session.csrf_token.size() == 64);
    CHECK(session.token != session.csrf_token);

    // Used every 20 minutes: alive until the absolute limit.
    auto now = t0;
    for (int i = 0; i < 5; ++i) {
        now += 20min;
        REQUIRE(store.find(session.token, now));
    }
    now += 20min;  // 120 min after the login
    CHECK_FALSE(store.find(session.token, now));

    const auto idle = store.create("ana", db::UserRole::Operator, "127.0.0.1", t0);
    CHECK(store.find(idle.token, t0 + 29min));
    CHECK_FALSE(store.find(idle.token, t0 + 29min + 30min));
    CHECK_FALSE(store.find("not-a-token", t0));
}

TEST_CASE("a disabled user's sessions end; tokens are unguessable and distinct", "[web]") {
    web::SessionStore store;
    const auto now = Clock::now();
    const auto a = store.create("ana", db::UserRole::Operator, "10.0.0.5", now);
    const auto b = store.create("ana", db::UserRole::Operator, "10.0.0.6", now);
    const auto c = store.create("bo", db::UserRole::Qa, "10.0.0.7", now);
    store.remove_user("ana");
    CHECK_FALSE(store.find(a.token, now));
    CHECK_FALSE(store.find(b.token, now));
    CHECK(store.find(c.token, now));
    store.remove(c.token);
    CHECK_FALSE(store.find(c.token, now));

    std::set<std::string> tokens;
    for (int i = 0; i < 200; ++i)
        tokens.insert(web::random_token());
    CHECK(tokens.size() == 200);
}

TEST_CASE("failed logins are slowed per user and address, doubling", "[web]") {
    web::LoginThrottle throttle;
    const auto t0 = Clock::time_point{} + std::chrono::hours(1000);
    for (int i = 0; i < web::LoginThrottle::kFailuresPerUser - 1; ++i) {
        CHECK_FALSE(throttle.wait("ana", "10.0.0.5", t0));
        throttle.failed("ana", "10.0.0.5", t0);
    }
    CHECK_FALSE(throttle.wait("ana", "10.0.0.5", t0));
    throttle.failed("ana", "10.0.0.5", t0);  // the fifth
    REQUIRE(throttle.wait("ana", "10.0.0.5", t0));
    CHECK(*throttle.wait("ana", "10.0.0.5", t0) == 30s);
    CHECK(*throttle.wait("ana", "10.0.0.5", t0 + 10s) == 20s);
    CHECK_FALSE(throttle.wait("ana", "10.0.0.5", t0 + 30s));
    // Another name from the same place, or the same name elsewhere, may try.
    CHECK_FALSE(throttle.wait("bo", "10.0.0.5", t0));
    CHECK_FALSE(throttle.wait("ana", "10.0.0.9", t0));

    throttle.failed("ana", "10.0.0.5", t0 + 30s);  // the sixth: a minute
    CHECK(*throttle.wait("ana", "10.0.0.5", t0 + 30s) == 60s);
    for (int i = 0; i < 20; ++i)
        throttle.failed("ana", "10.0.0.5", t0 + 90s);
    CHECK(*throttle.wait("ana", "10.0.0.5", t0 + 90s) == std::chrono::seconds(15 * 60));

    // A success forgets the user's failures; 15 quiet minutes forget them too.
    throttle.succeeded("ana", "10.0.0.5");
    CHECK(throttle.wait("bo", "10.0.0.7", t0) == std::nullopt);
}

TEST_CASE("many names tried from one address slow that address down", "[web]") {
    web::LoginThrottle throttle;
    const auto t0 = Clock::time_point{} + std::chrono::hours(1000);
    for (int i = 0; i < web::LoginThrottle::kFailuresPerAddress; ++i)
        throttle.failed("user" + std::to_string(i), "10.0.0.66", t0);
    REQUIRE(throttle.wait("someone-new", "10.0.0.66", t0));
    CHECK_FALSE(throttle.wait("someone-new", "10.0.0.67", t0));
    CHECK_FALSE(throttle.wait("someone-new", "10.0.0.66", t0 + 16min));
}
