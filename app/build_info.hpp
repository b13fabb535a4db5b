#pragma once
// What this binary is: the project version (CMake's project VERSION) and the
// commit it was configured from (`git describe --always --dirty` at
// configure time; "unknown" when the source was not a git checkout).
// Generated into the build tree from app/build_info.cpp.in, so a new commit
// recompiles this one file only.

#include <string>

namespace mpobench::app {

extern const char* const kProjectVersion;
extern const char* const kGitCommit;

// "mpobench 0.2.0 (commit 69ecbd1-dirty)": what `mpobench --version` prints.
std::string version_text();

}  // namespace mpobench::app
