#include <catch2/catch.hpp>

#include "app/guarded.hpp"
#include "web/http.hpp"
#include "web/serve.hpp"

using namespace mpobench;

TEST_CASE("percent-decoding of paths and queries", "[web]") {
    CHECK(web::percent_decode("SN%2041", false) == "SN 41");
    CHECK(web::percent_decode("a+b", true) == "a b");
    CHECK(web::percent_decode("a+b", false) == "a+b");
    CHECK(web::percent_decode("%e2%82%ac", false) == "\xe2\x82\xac");
    CHECK_FALSE(web::percent_decode("%", false));
    CHECK_FALSE(web::percent_decode("%4", false));
    CHECK_FALSE(web::percent_decode("%zz", false));
}

TEST_CASE("a request's path, query and cookies", "[web]") {
    web::HttpRequest request;
    request.target = "/api/yield?from=2026-12-01&part=MPO12%2DSM&by=&bad=%zz&from=2026-12-02";
    request.headers["cookie"] = "theme=dark; mpobench_session=abc123; other=x=y";
    CHECK(request.path() == "/api/yield");
    const auto query = request.query();
    CHECK(query.at("from") == "2026-12-02");  // the last of two
    CHECK(query.at("part") == "MPO12-SM");
    CHECK(query.at("by").empty());
    CHECK_FALSE(query.contains("bad"));  // a malformed escape is no parameter
    CHECK(request.cookie("mpobench_session") == "abc123");
    CHECK(request.cookie("other") == "x=y");
    CHECK(request.cookie("missing").empty());
}

TEST_CASE("the listen address is ADDRESS:PORT, and loopback is known", "[web]") {
    CHECK(web::parse_listen("127.0.0.1:8080") ==
          std::pair<std::string, unsigned short>{"127.0.0.1", 8080});
    CHECK(web::parse_listen("[::1]:9000").first == "::1");
    CHECK(web::parse_listen("0.0.0.0:80").second == 80);
    for (const char* bad : {"8080", "localhost:8080", "127.0.0.1:", "127.0.0.1:99999",
                            "127.0.0.1:80x", ":80", "1.2.3:80"}) {
        INFO(bad);
        CHECK_THROWS_AS(web::parse_listen(bad), app::UsageError);
    }
    CHECK(web::is_loopback("127.0.0.1"));
    CHECK(web::is_loopback("127.1.2.3"));
    CHECK(web::is_loopback("::1"));
    CHECK_FALSE(web::is_loopback("0.0.0.0"));
    CHECK_FALSE(web::is_loopback("192.168.1.20"));
}
