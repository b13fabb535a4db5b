#include "analysis/passwords.hpp"

#include <fmt/format.h>
#include <sodium.h>

#include <algorithm>
#include <array>
#include <stdexcept>

namespace mpobench::analysis {

namespace {

void initialise_sodium() {
    static const bool initialised = sodium_init() >= 0;
    if (!initialised)
        throw std::runtime_error("libsodium failed to initialise (sodium_init)");
}

}  // namespace

std::optional<std::string> password_problem(std::string_view password) {
    if (password.size() < kMinPasswordLength)
        return fmt::format("a password needs at least {} characters", kMinPasswordLength);
    if (password.size() > 256)
        return std::string("a password has at most 256 characters");
    if (std::any_of(password.begin(), password.end(),
                    [](unsigned char c) { return c < 0x20 || c == 0x7f; })) {
        return std::string("a password holds no control characters");
    }
    return std::nullopt;
}

std::string hash_password(std::string_view password) {
    initialise_sodium();
    std::array<char, crypto_pwhash_STRBYTES> hash{};
    if (crypto_pwhash_str(hash.data(), password.data(), password.size(),
                          crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
        throw std::runtime_error("hashing the password failed (out of memory)");
    }
    return hash.data();
}

bool password_matches(const std::string& hash, std::string_view password) {
    initialise_sodium();
    return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

std::optional<std::string> badge_problem(std::string_view badge) {
    if (badge.size() < 6)
        return std::string("a badge code has at least 6 characters");
    if (badge.size() > 128)
        return std::string("a badge code has at most 128 characters");
    if (std::any_of(badge.begin(), badge.end(),
                    [](unsigned char c) { return c < 0x21 || c > 0x7e; })) {
        return std::string("a badge code is printable ASCII without spaces");
    }
    return std::nullopt;
}

std::string badge_digest(std::string_view badge) {
    initialise_sodium();
    std::array<unsigned char, crypto_hash_sha256_BYTES> digest{};
    crypto_hash_sha256(digest.data(), reinterpret_cast<const unsigned char*>(badge.data()),
                       badge.size());
    std::array<char, 2 * crypto_hash_sha256_BYTES + 1> hex{};
    sodium_bin2hex(hex.data(), hex.size(), digest.data(), digest.size());
    return hex.data();
}

}  // namespace mpobench::analysis
