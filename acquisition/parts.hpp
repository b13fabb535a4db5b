#pragma once
// The part catalogue (DESIGN.md §5): TOML [[part]] tables.

#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "vocabulary/run_record.hpp"

namespace mpobench::acquisition {

class PartCatalogueError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

struct PartCatalogue {
    std::vector<Part> parts;
    std::filesystem::path source_path;

    // The part of this number, ignoring case ("mpo12-sm-b-e" finds MPO12-SM-B-E).
    const Part* find(std::string_view number) const;
    // The first part of this shape with this target grade (demo --dut).
    const Part* match(int fibers, FiberMode mode, PolarityType polarity, Grade target) const;
};

// Part numbers equal ignoring ASCII case.
bool same_part_number(std::string_view a, std::string_view b);

// Messages name the file, the line and the key; duplicate numbers are errors.
PartCatalogue parse_part_catalogue(std::string_view toml_text,
                                   const std::filesystem::path& source_name);
PartCatalogue load_part_catalogue(const std::filesystem::path& path);
// fixtures/parts.toml of the data directory (data_files.hpp): 8/12/16/24/32
// fibres x MM/SM x A/B/C. Throws PartCatalogueError when there is none.
std::filesystem::path default_part_catalogue_path();

}  // namespace mpobench::acquisition
