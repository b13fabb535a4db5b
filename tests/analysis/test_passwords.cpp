// Station users' passwords: argon2id hashes, checked, never the clear text.

#include <catch2/catch.hpp>

#include "analysis/passwords.hpp"

using namespace mpobench::analysis;

TEST_CASE("a password hashes to argon2id, salted, and only it matches", "[passwords]") {
    const std::string password = "correct horse battery";
    const auto hash = hash_password(password);
    CHECK(hash.rfind("$argon2id$", 0) == 0);
    CHECK(hash.find(password) == std::string::npos);
    CHECK(password_matches(hash, password));
    CHECK_FALSE(password_matches(hash, "correct horse batterY"));
    CHECK_FALSE(password_matches(hash, ""));
    CHECK(hash_password(password) != hash);  // a new salt each time
    CHECK_FALSE(password_matches("not a hash", password));
}

TEST_CASE("passwords too short, too long or with control characters are refused", "[passwords]") {
    CHECK_FALSE(password_problem("ten chars!"));
    CHECK(password_problem("nine char") == "a password needs at least 10 characters");
    CHECK(password_problem(std::string(257, 'x')) == "a password has at most 256 characters");
    CHECK(password_problem("tab\there is bad") == "a password holds no control characters");
    CHECK_FALSE(password_problem("pässwörd mit Umlaut"));  // any UTF-8 is fine
}

TEST_CASE("badge codes: printable, 6 to 128 characters, stored as SHA-256", "[passwords]") {
    using mpobench::analysis::badge_digest;
    using mpobench::analysis::badge_problem;
    CHECK_FALSE(badge_problem("E4A1-0042-77"));
    CHECK(badge_problem("12345"));
    CHECK(badge_problem(std::string(129, 'A')));
    CHECK(badge_problem("has space"));
    CHECK(badge_problem("tab\there"));
    // SHA-256("abc"), FIPS 180-2's example.
    CHECK(badge_digest("abc") ==
          "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(badge_digest("E4A1-0042-77") != badge_digest("E4A1-0042-78"));
}
