#include "acquisition/parts.hpp"

#include "acquisition/data_files.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <toml++/toml.h>
#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace mpobench::acquisition {

namespace {

constexpr double kMaxLengthM = 100000.0;
// A production check runs a few re-mates; qualification a few thousand.
constexpr long long kMaxMatingCycles = 100000;

// One [[part]] table: every key checked, every message with file, line and key.
class PartReader {
  public:
    PartReader(const toml::table& table, std::size_t index, const std::filesystem::path& file)
        : table_(table), path_(fmt::format("part[{}]", index + 1)), file_(file) {
        static const std::set<std::string> allowed = {
            "number",   "fibers",         "mode",          "polarity",   "grade",
            "length_m", "wavelengths_nm", "mating_cycles", "description"};
        for (const auto& [key, node] : table_) {
            if (!allowed.contains(std::string(key.str()))) {
                throw error(node, fmt::format("{}.{}: unknown key (allowed: {})", path_, key.str(),
                                              fmt::join(allowed, ", ")));
            }
        }
    }

    // After the number is known, messages name the part as well.
    void name_part(const std::string& number) { path_ = fmt::format("{} ({})", path_, number); }

    const toml::node& required(std::string_view key) const {
        if (const auto* node = table_.get(key))
            return *node;
        throw PartCatalogueError(fmt::format("{}:{}: {}.{}: missing (required)", file_.string(),
                                             table_.source().begin.line, path_, key));
    }

    std::string string(const toml::node& node, std::string_view key) const {
        if (auto value = node.value_exact<std::string>())
            return *value;
        throw error(node, fmt::format("{}.{}: expected a string", path_, key));
    }

    long long integer(const toml::node& node, std::string_view key, long long min,
                      long long max) const {
        const auto value = node.value_exact<int64_t>();
        if (!value)
            throw error(node, fmt::format("{}.{}: expected an integer", path_, key));
        if (*value < min || *value > max) {
            throw error(node,
                        fmt::format("{}.{}: {} is outside {}..{}", path_, key, *value, min, max));
        }
        return *value;
    }

    double number(const toml::node& node, std::string_view key) const {
        if (node.is_integer())
            return static_cast<double>(*node.value_exact<int64_t>());
        if (auto value = node.value_exact<double>())
            return *value;
        throw error(node, fmt::format("{}.{}: expected a number", path_, key));
    }

    const std::string& path() const { return path_; }

    PartCatalogueError error(const toml::node& node, const std::string& message) const {
        return PartCatalogueError(
            fmt::format("{}:{}: {}", file_.string(), node.source().begin.line, message));
    }

  private:
    const toml::table& table_;
    std::string path_;
    const std::filesystem::path& file_;
};

Part parse_part(const toml::table& table, std::size_t index, const std::filesystem::path& file) {
    PartReader reader(table, index, file);
    Part part;

    const auto& number_node = reader.required("number");
    part.number = reader.string(number_node, "number");
    if (part.number.empty() ||
        std::any_of(part.number.begin(), part.number.end(),
                    [](unsigned char c) { return std::isspace(c) != 0 || c < 0x20; })) {
        throw reader.error(number_node,
                           fmt::format("{}.number: '{}' is not a part number (non-empty, no "
                                       "spaces or control characters)",
                                       reader.path(), part.number));
    }
    reader.name_part(part.number);

    const auto& fibers_node = reader.required("fibers");
    part.fibers = static_cast<int>(reader.integer(fibers_node, "fibers", 1, 1000));
    if (!is_supported_fiber_count(part.fibers)) {
        throw reader.error(fibers_node,
                           fmt::format("{}.fibers: {} is not an MPO fibre count (8, 12, 16, 24, "
                                       "32 or 72)",
                                       reader.path(), part.fibers));
    }

    const auto& mode_node = reader.required("mode");
    const auto mode_text = reader.string(mode_node, "mode");
    const auto mode = parse_fiber_mode(mode_text);
    if (!mode) {
        throw reader.error(mode_node, fmt::format("{}.mode: '{}' is not \"MM\" or \"SM\"",
                                                  reader.path(), mode_text));
    }
    part.mode = *mode;

    const auto& polarity_node = reader.required("polarity");
    const auto polarity_text = reader.string(polarity_node, "polarity");
    const auto polarity = parse_polarity(polarity_text);
    if (!polarity) {
        throw reader.error(polarity_node,
                           fmt::format("{}.polarity: '{}' is not \"A\", \"B\" or \"C\"",
                                       reader.path(), polarity_text));
    }
    part.polarity = *polarity;

    const auto& grade_node = reader.required("grade");
    const auto grade_text = reader.string(grade_node, "grade");
    const auto grade = parse_grade(grade_text);
    if (!grade || *grade == Grade::Fail) {
        throw reader.error(grade_node,
                           fmt::format("{}.grade: '{}' is not a target grade (\"generic\", "
                                       "\"standard\" or \"elite\")",
                                       reader.path(), grade_text));
    }
    part.target = *grade;

    const auto& length_node = reader.required("length_m");
    part.length_m = reader.number(length_node, "length_m");
    if (!std::isfinite(part.length_m) || part.length_m <= 0.0 || part.length_m > kMaxLengthM) {
        throw reader.error(length_node, fmt::format("{}.length_m: {} m is outside (0, {}] m",
                                                    reader.path(), part.length_m, kMaxLengthM));
    }

    const auto mode_wavelengths = default_wavelengths_nm(part.mode);
    if (const auto* node = table.get("wavelengths_nm")) {
        const auto* array = node->as_array();
        if (!array || array->empty()) {
            throw reader.error(*node,
                               fmt::format("{}.wavelengths_nm: expected a non-empty array "
                                           "of wavelengths in nm, e.g. [{}]",
                                           reader.path(), fmt::join(mode_wavelengths, ", ")));
        }
        for (const auto& element : *array) {
            const auto value = element.value_exact<int64_t>();
            if (!value) {
                throw reader.error(element, fmt::format("{}.wavelengths_nm: expected integers (nm)",
                                                        reader.path()));
            }
            const auto wavelength = static_cast<int>(std::clamp<int64_t>(*value, -1, 100000));
            if (std::find(mode_wavelengths.begin(), mode_wavelengths.end(), wavelength) ==
                mode_wavelengths.end()) {
                throw reader.error(element, fmt::format("{}.wavelengths_nm: {} nm is not a {} test "
                                                        "wavelength ({} nm)",
                                                        reader.path(), *value, to_string(part.mode),
                                                        fmt::join(mode_wavelengths, ", ")));
            }
            if (std::find(part.wavelengths_nm.begin(), part.wavelengths_nm.end(), wavelength) !=
                part.wavelengths_nm.end()) {
                throw reader.error(element, fmt::format("{}.wavelengths_nm: {} nm is listed twice",
                                                        reader.path(), wavelength));
            }
            part.wavelengths_nm.push_back(wavelength);
        }
    } else {
        part.wavelengths_nm = mode_wavelengths;
    }

    if (const auto* node = table.get("mating_cycles")) {
        part.mating_cycles =
            static_cast<int>(reader.integer(*node, "mating_cycles", 0, kMaxMatingCycles));
    }
    if (const auto* node = table.get("description")) {
        part.description = reader.string(*node, "description");
    }
    return part;
}

}  // namespace

bool same_part_number(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

const Part* PartCatalogue::find(std::string_view number) const {
    const auto found = std::find_if(parts.begin(), parts.end(), [&](const Part& part) {
        return same_part_number(part.number, number);
    });
    return found == parts.end() ? nullptr : &*found;
}

const Part* PartCatalogue::match(int fibers, FiberMode mode, PolarityType polarity,
                                 Grade target) const {
    const auto found = std::find_if(parts.begin(), parts.end(), [&](const Part& part) {
        return part.fibers == fibers && part.mode == mode && part.polarity == polarity &&
               part.target == target;
    });
    return found == parts.end() ? nullptr : &*found;
}

PartCatalogue parse_part_catalogue(std::string_view toml_text,
                                   const std::filesystem::path& source_name) {
    toml::table root;
    try {
        root = toml::parse(toml_text, source_name.string());
    } catch (const toml::parse_error& bad) {
        throw PartCatalogueError(fmt::format("{}:{}:{}: {}", source_name.string(),
                                             bad.source().begin.line, bad.source().begin.column,
                                             bad.description()));
    }
    for (const auto& [key, node] : root) {
        if (key.str() != "part") {
            throw PartCatalogueError(
                fmt::format("{}:{}: {}: unknown key (a part catalogue holds only [[part]] tables)",
                            source_name.string(), node.source().begin.line, key.str()));
        }
    }
    const auto* node = root.get("part");
    const auto* array = node ? node->as_array() : nullptr;
    if (!node) {
        throw PartCatalogueError(
            fmt::format("{}: no [[part]] tables: the catalogue is empty", source_name.string()));
    }
    if (!array) {
        throw PartCatalogueError(fmt::format("{}:{}: part: expected [[part]] tables",
                                             source_name.string(), node->source().begin.line));
    }

    PartCatalogue catalogue;
    catalogue.source_path = source_name;
    // Part numbers are looked up ignoring case: two that differ only in case
    // are the same number.
    std::map<std::string, std::uint32_t> first_line;  // lower-case number -> line of its table
    for (std::size_t i = 0; i < array->size(); ++i) {
        const auto& element = *array->get(i);
        const auto* table = element.as_table();
        if (!table) {
            throw PartCatalogueError(fmt::format("{}:{}: part[{}]: expected a table",
                                                 source_name.string(), element.source().begin.line,
                                                 i + 1));
        }
        Part part = parse_part(*table, i, source_name);
        const auto line = table->source().begin.line;
        std::string key = part.number;
        std::transform(key.begin(), key.end(), key.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        if (const auto [where, inserted] = first_line.emplace(key, line); !inserted) {
            throw PartCatalogueError(
                fmt::format("{}:{}: part[{}].number: '{}' is already defined at line {}",
                            source_name.string(), line, i + 1, part.number, where->second));
        }
        catalogue.parts.push_back(std::move(part));
    }
    return catalogue;
}

PartCatalogue load_part_catalogue(const std::filesystem::path& path) {
    std::ifstream in(path);
    if (!in) {
        throw PartCatalogueError(fmt::format("{}: cannot open part catalogue", path.string()));
    }
    std::ostringstream text;
    text << in.rdbuf();
    return parse_part_catalogue(text.str(), path);
}

std::filesystem::path default_part_catalogue_path() {
    const auto directory = data_directory();
    if (!directory) {
        throw PartCatalogueError(
            fmt::format("no default part catalogue: mpobench's data directory is missing ({}); "
                        "give --parts FILE or reinstall",
                        data_directory_search_text()));
    }
    return *directory / "fixtures" / "parts.toml";
}

}  // namespace mpobench::acquisition
