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

}  // namespace mpobench::analysis
