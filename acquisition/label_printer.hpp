#pragma once
// Where a station's bag labels go (station file `[label] printer`, or
// `mpobench label --to`):
//
//   tcp://HOST[:PORT]   a label printer's raw socket (port 9100 by default,
//                       the JetDirect/Zebra convention); [v6::addr]:PORT too
//   file:PATH           appended to a file (a spool folder, a test)
//   lp:QUEUE            a CUPS queue, through `lp -d QUEUE -o raw`
//
// Parsing only; app/ sends.

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>

namespace mpobench::acquisition {

struct LabelDestination {
    enum class Kind { Tcp, File, Lp };
    Kind kind = Kind::Tcp;
    std::string host;            // Tcp
    std::uint16_t port = 9100;   // Tcp
    std::filesystem::path file;  // File
    std::string queue;           // Lp
    std::string text;            // as written: what the database records
};

// Throws std::invalid_argument saying what is wrong and what is allowed.
LabelDestination parse_label_destination(std::string_view text);

}  // namespace mpobench::acquisition
