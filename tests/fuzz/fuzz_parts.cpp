// The part catalogue (acquisition/parts.hpp) from text. A bad catalogue must
// be refused with PartCatalogueError; every part of a good one is usable.

#include <algorithm>

#include "acquisition/parts.hpp"
#include "tests/fuzz/fuzz_contract.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace mpobench;
    using fuzz::require;
    acquisition::PartCatalogue catalogue;
    try {
        catalogue = acquisition::parse_part_catalogue(fuzz::as_text(data, size), "fuzz.toml");
    } catch (const acquisition::PartCatalogueError&) {
        return 0;
    }
    require(!catalogue.parts.empty(), "a catalogue has parts");
    for (const auto& part : catalogue.parts) {
        require(catalogue.find(part.number) == &part, "part numbers are unique");
        require(is_supported_fiber_count(part.fibers), "a part has an MPO fibre count");
        require(part.length_m > 0.0 && part.target != Grade::Fail, "a part is a real product");
        const auto allowed = default_wavelengths_nm(part.mode);
        require(!part.wavelengths_nm.empty() &&
                    std::all_of(part.wavelengths_nm.begin(), part.wavelengths_nm.end(),
                                [&](int nm) {
                                    return std::find(allowed.begin(), allowed.end(), nm) !=
                                           allowed.end();
                                }),
                "a part is tested at wavelengths of its mode");
    }
    return 0;
}
