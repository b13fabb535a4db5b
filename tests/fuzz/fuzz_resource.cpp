// VISA resource strings (drivers/resource.hpp). Bad strings must be refused
// with std::invalid_argument; one that parses must format back to a string
// that parses to the same resource (the station file and the logs show it).

#include <stdexcept>

#include "drivers/resource.hpp"
#include "tests/fuzz/fuzz_contract.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace mpobench::drivers;
    Resource resource;
    try {
        resource = parse_resource(mpobench::fuzz::as_text(data, size));
    } catch (const std::invalid_argument&) {
        return 0;
    }
    // Not caught: a formatted resource that no longer parses is a finding.
    const auto again = parse_resource(format_resource(resource));
    mpobench::fuzz::require(again == resource, "parse_resource(format_resource(r)) == r");
    return 0;
}
