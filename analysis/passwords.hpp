#pragma once
// Passwords of station users: argon2id through libsodium (crypto_pwhash_str,
// its interactive limits), never stored or logged in clear.

#include <optional>
#include <string>
#include <string_view>

namespace mpobench::analysis {

constexpr std::size_t kMinPasswordLength = 10;

// Why a password may not be used (too short, too long, a control
// character), or nullopt.
std::optional<std::string> password_problem(std::string_view password);

// "$argon2id$v=19$m=...,t=...,p=1$salt$hash": a new salt each time.
// Throws std::runtime_error when libsodium cannot hash (out of memory).
std::string hash_password(std::string_view password);

// Whether `password` is the one `hash` was made from.
bool password_matches(const std::string& hash, std::string_view password);

// Badges: the code a badge scanner types, 6 to 128 printable ASCII
// characters. Why one may not be used, or nullopt.
std::optional<std::string> badge_problem(std::string_view badge);
// SHA-256 of the badge code, hex: how it is stored and looked up.
std::string badge_digest(std::string_view badge);

}  // namespace mpobench::analysis
