#include "acquisition/data_files.hpp"

#include <fmt/format.h>

#include <string>
#include <system_error>

namespace mpobench::acquisition {

std::vector<std::filesystem::path> data_directory_candidates(
    const std::filesystem::path& executable) {
    const auto bin = executable.parent_path();
    std::vector<std::filesystem::path> candidates{
        (bin / ".." / "share" / "mpobench").lexically_normal()};
    std::error_code error;
    for (auto dir = bin; !dir.empty(); dir = dir.parent_path()) {
        if (std::filesystem::is_regular_file(dir / "CMakeCache.txt", error)) {
            const auto staged = (dir / "share" / "mpobench").lexically_normal();
            if (staged != candidates.front())
                candidates.push_back(staged);
            break;
        }
        if (dir == dir.root_path())
            break;
    }
    return candidates;
}

std::optional<std::filesystem::path> find_data_directory(const std::filesystem::path& executable) {
    std::error_code error;
    for (const auto& candidate : data_directory_candidates(executable)) {
        if (std::filesystem::is_directory(candidate, error))
            return candidate;
    }
    return std::nullopt;
}

std::optional<std::filesystem::path> running_executable() {
    std::error_code error;
    auto path = std::filesystem::read_symlink("/proc/self/exe", error);
    if (error)
        return std::nullopt;
    return path;
}

std::optional<std::filesystem::path> data_directory() {
    static const std::optional<std::filesystem::path> found =
        []() -> std::optional<std::filesystem::path> {
        const auto executable = running_executable();
        if (!executable)
            return std::nullopt;
        return find_data_directory(*executable);
    }();
    return found;
}

std::string data_directory_search_text() {
    const auto executable = running_executable();
    if (!executable)
        return "the running binary cannot be found (/proc/self/exe is unreadable)";
    std::string text;
    for (const auto& candidate : data_directory_candidates(*executable))
        text += (text.empty() ? "" : ", ") + candidate.string();
    return "looked in " + text;
}

}  // namespace mpobench::acquisition
