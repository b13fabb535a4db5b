#pragma once
// The words of the domain: fibre modes, polarity types, assembly ends, and
// the polarity mapping every layer agrees on (DESIGN.md §2).

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace mpobench {

enum class FiberMode { MM, SM };
enum class PolarityType { A, B, C };
enum class End { A, B };

inline std::string_view to_string(FiberMode mode) {
    return mode == FiberMode::MM ? "MM" : "SM";
}
inline std::string_view to_string(End end) {
    return end == End::A ? "A" : "B";
}
inline std::string_view to_string(PolarityType type) {
    switch (type) {
        case PolarityType::A:
            return "A";
        case PolarityType::B:
            return "B";
        case PolarityType::C:
            return "C";
    }
    return "?";
}

inline std::optional<FiberMode> parse_fiber_mode(std::string_view text) {
    if (text == "MM")
        return FiberMode::MM;
    if (text == "SM")
        return FiberMode::SM;
    return std::nullopt;
}

inline std::optional<PolarityType> parse_polarity(std::string_view text) {
    if (text == "A")
        return PolarityType::A;
    if (text == "B")
        return PolarityType::B;
    if (text == "C")
        return PolarityType::C;
    return std::nullopt;
}

// Fibre counts the MPO families define, and their row layout:
// N <= 16 is one row; 24 = 2 x 12; 32 = 2 x 16; 72 = 6 x 12.
inline bool is_supported_fiber_count(int fibers) {
    return fibers == 8 || fibers == 12 || fibers == 16 || fibers == 24 || fibers == 32 ||
           fibers == 72;
}

inline int fibers_per_row(int fibers) {
    if (fibers <= 16)
        return fibers;
    if (fibers == 32)
        return 16;
    return 12;
}

// The two test wavelengths of each mode.
inline std::vector<int> default_wavelengths_nm(FiberMode mode) {
    return mode == FiberMode::MM ? std::vector<int>{850, 1300} : std::vector<int>{1310, 1550};
}

// End-B position that end-A position `position` (1-based) reaches in a
// correctly built assembly of the given polarity type.
inline int polarity_partner(PolarityType type, int fibers, int position) {
    if (position < 1 || position > fibers) {
        throw std::out_of_range("fibre position " + std::to_string(position) + " outside 1.." +
                                std::to_string(fibers));
    }
    const int row = fibers_per_row(fibers);
    switch (type) {
        case PolarityType::A:
            return position;
        case PolarityType::B: {
            const int row_start = ((position - 1) / row) * row;
            return row_start + (row - (position - row_start)) + 1;
        }
        case PolarityType::C:
            return position % 2 == 1 ? position + 1 : position - 1;
    }
    return position;
}

// Element i is the end-B position reached from end-A fibre i+1.
inline std::vector<int> polarity_map(PolarityType type, int fibers) {
    std::vector<int> map(static_cast<std::size_t>(fibers));
    for (int p = 1; p <= fibers; ++p)
        map[static_cast<std::size_t>(p - 1)] = polarity_partner(type, fibers, p);
    return map;
}

}  // namespace mpobench
