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
