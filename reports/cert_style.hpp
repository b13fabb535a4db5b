#pragma once
// The certificate's palette and type sizes, shared by its page parts so the
// result, the tables and the polarity diagram read as one document.

#include "reports/drawing.hpp"

namespace mpobench::reports::cert {

inline constexpr Colour kNavy{0.11, 0.23, 0.38};        // titles, rules, the company
inline constexpr Colour kInk{0.13, 0.15, 0.18};         // body text
inline constexpr Colour kMuted{0.40, 0.43, 0.48};       // labels, notes
inline constexpr Colour kRule{0.78, 0.80, 0.84};        // table rules
inline constexpr Colour kStripe{0.955, 0.963, 0.975};   // alternate fibres
inline constexpr Colour kHeadFill{0.89, 0.915, 0.945};  // table heads
inline constexpr Colour kPass{0.09, 0.47, 0.24};
inline constexpr Colour kFail{0.74, 0.11, 0.11};
inline constexpr Colour kFailFill{0.99, 0.89, 0.89};  // a failing row
inline constexpr Colour kFibre{0.13, 0.52, 0.68};     // a lit fibre position
inline constexpr Colour kWhite{1, 1, 1};

inline constexpr double kBody_pt = 8.0;
inline constexpr double kSmall_pt = 7.0;
inline constexpr double kSectionTitle_pt = 10.5;

inline TextStyle body(Colour colour = kInk) {
    return {.size_pt = kBody_pt, .colour = colour};
}
inline TextStyle small(Colour colour = kMuted) {
    return {.size_pt = kSmall_pt, .colour = colour};
}

}  // namespace mpobench::reports::cert
