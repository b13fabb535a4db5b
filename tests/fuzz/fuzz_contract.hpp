#pragma once
// What every fuzz target shares: bytes in as text, and a broken contract
// reported as a crash so libFuzzer keeps the input.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace mpobench::fuzz {

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

// A property the API documents, checked on what the fuzzer found; abort()
// makes libFuzzer save the input as a crash.
inline void require(bool holds, const char* property) {
    if (!holds) {
        std::fprintf(stderr, "fuzz: broken contract: %s\n", property);
        std::abort();
    }
}

}  // namespace mpobench::fuzz
