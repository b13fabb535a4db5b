#pragma once
// The pages' files (web/static/), compiled into the binary at build time
// (embed_assets.cmake): nothing is read from the file system or fetched
// from elsewhere at run time.

#include <string_view>
#include <vector>

namespace mpobench::web {

struct Asset {
    std::string_view name;  // "app.js"
    std::string_view content_type;
    std::string_view body;
};

// The asset of this flat name, or nullptr (a name with a '/' never matches).
const Asset* find_asset(std::string_view name);
std::vector<const Asset*> all_assets();

}  // namespace mpobench::web
