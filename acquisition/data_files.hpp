#pragma once
// Where the files that ship with mpobench are: the default part catalogue,
// the sample site file and its logo, the simulated bench's DUT files and the
// example station file. They sit in a data directory laid out like the source
// root (site.toml, fixtures/parts.toml, fixtures/site/logo.png,
// fixtures/data/*.json, fixtures/stations/*.toml), found relative to the
// running binary — never through a path compiled in — so an installed or
// copied prefix works wherever it is put:
//
//   1. <directory of the binary>/../share/mpobench — an installed prefix
//      (`cmake --install`, the .deb), and also the build tree, where the
//      build stages the same files in build/share/mpobench next to
//      build/app/mpobench;
//   2. <build tree>/share/mpobench, the build tree being the nearest
//      directory above the binary that holds a CMakeCache.txt — for the test
//      and benchmark binaries two levels down.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace mpobench::acquisition {

// The places above, in the order they are tried, for a binary at `executable`.
std::vector<std::filesystem::path> data_directory_candidates(
    const std::filesystem::path& executable);

// The first candidate that is a directory, or none.
std::optional<std::filesystem::path> find_data_directory(const std::filesystem::path& executable);

// The running binary (/proc/self/exe), or none when the link cannot be read.
std::optional<std::filesystem::path> running_executable();

// find_data_directory(running_executable()); cached after the first call.
std::optional<std::filesystem::path> data_directory();

// "looked in A, B" for the messages of callers that found nothing.
std::string data_directory_search_text();

}  // namespace mpobench::acquisition
