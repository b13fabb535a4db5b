#pragma once
// `mpobench serve`: the station web server (README "The station web server").

#include <filesystem>
#include <string>

namespace mpobench::web {

struct ServeOptions {
    std::filesystem::path station_file;  // empty: QA pages only, no bench
    std::filesystem::path db;
    std::string listen = "127.0.0.1:8080";
    std::filesystem::path parts;
    std::filesystem::path limits;
    std::filesystem::path site;
};

// Serves until SIGINT/SIGTERM; a test running then is stopped and recorded
// aborted, as the CLI does. Exit codes as DESIGN §6: 2 bad input (a station
// or database that cannot be used, an address that is not one), 4 refused
// (a non-loopback address while no admin user exists, the port taken).
int run_serve(const ServeOptions& options);

// "127.0.0.1:8080", "[::1]:8080", "0.0.0.0:80": the address and port.
// Throws app::UsageError for anything else.
std::pair<std::string, unsigned short> parse_listen(const std::string& text);
bool is_loopback(const std::string& address);

}  // namespace mpobench::web
