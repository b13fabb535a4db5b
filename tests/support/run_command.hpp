#pragma once
// Runs an outside tool (qpdf, pdftotext, zbarimg, python) the way a user
// would, for tests that check files with the tools that read them.

#include <stdio.h>
#include <sys/wait.h>
#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <string>

namespace mpobench::testing {

struct CommandResult {
    int exit_code = -1;  // -1 when the command did not exit normally
    std::string output;
};

enum class Capture { StdoutAndStderr, Stdout };

// Runs `command` with /bin/sh and collects what it writes: with stderr too
// by default, so a failure's message is in `output`; stdout alone where
// `output` is parsed.
inline CommandResult run_command(const std::string& command,
                                 Capture capture = Capture::StdoutAndStderr) {
    CommandResult result;
    const std::string shell_command =
        capture == Capture::StdoutAndStderr ? command + " 2>&1" : command;
    FILE* pipe = ::popen(shell_command.c_str(), "r");
    REQUIRE(pipe != nullptr);
    char buffer[4096];
    std::size_t read = 0;
    while ((read = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) {
        result.output.append(buffer, read);
    }
    const int status = ::pclose(pipe);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
}

// A path as one shell word (test paths hold no single quotes).
inline std::string quoted(const std::filesystem::path& path) {
    return "'" + path.string() + "'";
}

}  // namespace mpobench::testing
