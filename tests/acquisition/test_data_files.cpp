// The data directory: found relative to the binary, an installed prefix
// first, then the build tree above it; nothing when neither is there.

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>

#include "acquisition/data_files.hpp"
#include "acquisition/parts.hpp"

using namespace mpobench::acquisition;
namespace fs = std::filesystem;

namespace {

// A fresh directory under the system temp directory, removed afterwards.
struct TempDir {
    fs::path path;
    TempDir() {
        std::string name = (fs::temp_directory_path() / "mpobench-data-dir-XXXXXX").string();
        REQUIRE(::mkdtemp(name.data()) != nullptr);
        path = name;
    }
    ~TempDir() {
        std::error_code ignored_because_cleanup_is_best_effort;
        fs::remove_all(path, ignored_because_cleanup_is_best_effort);
    }
};

void touch(const fs::path& file) {
    fs::create_directories(file.parent_path());
    std::ofstream(file) << "";
}

}  // namespace

TEST_CASE("an installed binary's data is in ../share/mpobench", "[data_files]") {
    const auto candidates = data_directory_candidates("/opt/line/bin/mpobench");
    REQUIRE(!candidates.empty());
    CHECK(candidates.front() == "/opt/line/share/mpobench");
}

TEST_CASE("a binary in the build tree finds the staged data above it", "[data_files]") {
    TempDir build;
    touch(build.path / "CMakeCache.txt");
    fs::create_directories(build.path / "share" / "mpobench");
    const auto test_binary = build.path / "tests" / "acquisition" / "acquisition_tests";
    touch(test_binary);

    const auto candidates = data_directory_candidates(test_binary);
    REQUIRE(candidates.size() == 2);
    CHECK(candidates[0] == build.path / "tests" / "share" / "mpobench");
    CHECK(candidates[1] == build.path / "share" / "mpobench");
    CHECK(find_data_directory(test_binary) == build.path / "share" / "mpobench");

    // build/app/mpobench: ../share/mpobench is the build tree's, named once.
    const auto app_binary = build.path / "app" / "mpobench";
    touch(app_binary);
    CHECK(data_directory_candidates(app_binary) ==
          std::vector<fs::path>{build.path / "share" / "mpobench"});
}

TEST_CASE("the installed prefix comes before a build tree around it", "[data_files]") {
    TempDir build;
    touch(build.path / "CMakeCache.txt");
    fs::create_directories(build.path / "share" / "mpobench");
    fs::create_directories(build.path / "prefix" / "share" / "mpobench");
    const auto installed = build.path / "prefix" / "bin" / "mpobench";
    touch(installed);
    CHECK(find_data_directory(installed) == build.path / "prefix" / "share" / "mpobench");
}

TEST_CASE("a lone binary has no data directory", "[data_files]") {
    TempDir lonely;
    const auto binary = lonely.path / "bin" / "mpobench";
    touch(binary);
    CHECK_FALSE(find_data_directory(binary).has_value());
}

TEST_CASE("this test binary finds the build tree's staged catalogue", "[data_files]") {
    const auto directory = data_directory();
    REQUIRE(directory.has_value());
    CHECK(fs::is_regular_file(*directory / "fixtures" / "parts.toml"));
    CHECK(fs::is_regular_file(*directory / "site.toml"));
    CHECK(default_part_catalogue_path() == *directory / "fixtures" / "parts.toml");
}
