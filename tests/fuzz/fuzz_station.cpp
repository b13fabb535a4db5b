// Station files (acquisition/station.hpp) from text. A bad file must be
// refused with StationFileError; a good one must survive format_station,
// which `mpobench sim` uses to write the station files it serves.

#include "acquisition/station.hpp"
#include "tests/fuzz/fuzz_contract.hpp"

namespace {

using namespace mpobench;
using fuzz::require;

void require_same_instrument(const drivers::InstrumentConfig& a,
                             const drivers::InstrumentConfig& b) {
    require(a.name == b.name && a.role == b.role && a.model == b.model && a.resource == b.resource,
            "format_station keeps name, role, model and resource");
    require(a.timeout == b.timeout && a.channels == b.channels &&
                a.calibration_due == b.calibration_due,
            "format_station keeps timeout, channels and calibration date");
    require(a.transport.connect_timeout == b.transport.connect_timeout,
            "format_station keeps the connect timeout");
    require(a.write_terminator == b.write_terminator && a.read_terminator == b.read_terminator,
            "format_station keeps the terminators");
    // Serial settings mean something only for a serial resource, and only
    // there does format_station write them.
    if (std::holds_alternative<drivers::SerialResource>(drivers::parse_resource(a.resource))) {
        const auto& x = a.transport.serial;
        const auto& y = b.transport.serial;
        require(x.baud == y.baud && x.data_bits == y.data_bits && x.parity == y.parity &&
                    x.stop_bits == y.stop_bits && x.flow_control == y.flow_control,
                "format_station keeps the serial settings");
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    acquisition::StationConfig station;
    try {
        station = acquisition::parse_station(fuzz::as_text(data, size), "fuzz.toml");
    } catch (const acquisition::StationFileError&) {
        return 0;
    }
    require(!station.instruments.empty(), "a station has instruments");
    // Not caught: a formatted station that no longer parses is a finding.
    const auto again = acquisition::parse_station(acquisition::format_station(station), "again");
    require(again.name == station.name && again.mated_pairs == station.mated_pairs &&
                again.reference_max_age_min == station.reference_max_age_min,
            "format_station keeps the [station] table");
    require(again.operator_channel.kind == station.operator_channel.kind &&
                again.operator_channel.resource == station.operator_channel.resource &&
                again.operator_channel.timeout == station.operator_channel.timeout,
            "format_station keeps the [operator] table");
    require(again.instruments.size() == station.instruments.size(),
            "format_station keeps every instrument");
    for (std::size_t i = 0; i < station.instruments.size(); ++i) {
        require_same_instrument(station.instruments[i], again.instruments[i]);
        require(station.find(station.instruments[i].name) == &station.instruments[i],
                "instrument names are unique");
    }
    return 0;
}
