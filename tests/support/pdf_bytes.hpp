#pragma once
// A written file's bytes, and a PDF's with its creation date blanked out:
// two renderings of one record compare equal byte for byte.

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace mpobench::testing {

inline std::string read_bytes(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    REQUIRE(in);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline std::string without_creation_date(std::string bytes) {
    const std::string key = "/CreationDate (";
    const auto at = bytes.find(key);
    REQUIRE(at != std::string::npos);
    const auto close = bytes.find(')', at);
    REQUIRE(close != std::string::npos);
    for (auto i = at + key.size(); i < close; ++i)
        bytes[i] = '#';
    return bytes;
}

}  // namespace mpobench::testing
