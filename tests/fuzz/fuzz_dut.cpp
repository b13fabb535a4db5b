// DUT files (fixtures/dut.hpp) from JSON text. A bad file must be refused
// with DutFileError; a good one must survive dut_to_json, which writes the
// DUT files `mpobench sim` is given.

#include "fixtures/dut.hpp"
#include "tests/fuzz/fuzz_contract.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace mpobench;
    using fuzz::require;
    fixtures::Dut dut;
    try {
        dut = fixtures::parse_dut(fuzz::as_text(data, size), "fuzz.json");
    } catch (const fixtures::DutFileError&) {
        return 0;
    }
    require(dut.routing().size() == static_cast<std::size_t>(dut.fibers),
            "a DUT routes every fibre");
    // Not caught: JSON from dut_to_json that no longer parses is a finding.
    const auto again = fixtures::parse_dut(fixtures::dut_to_json(dut), "again.json");
    require(again.description == dut.description && again.fibers == dut.fibers &&
                again.mode == dut.mode && again.polarity == dut.polarity && again.map == dut.map,
            "dut_to_json keeps the shape");
    require(again.end_a.il_db == dut.end_a.il_db && again.end_a.rl_db == dut.end_a.rl_db &&
                again.end_b.il_db == dut.end_b.il_db && again.end_b.rl_db == dut.end_b.rl_db,
            "dut_to_json keeps every value");
    require(again.mating.sigma_db == dut.mating.sigma_db &&
                again.mating.drift_db_per_1000 == dut.mating.drift_db_per_1000,
            "dut_to_json keeps the mating model");
    return 0;
}
