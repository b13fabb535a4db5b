#pragma once
// The polarity map of a certificate: the two end faces of the assembly as
// seen looking into each connector, key up, with a line from every end-A
// position to the end-B position its light reached.
//
// Depiction: each ferrule row is one band, end A's row above end B's row, so
// the lines of one row never cross another row (24F and 32F give two bands,
// 72F six). An 8-fibre part is drawn in a 12-position ferrule with fibres
// 1-4 and 5-8 in positions 1-4 and 9-12 and the centre four unused, as
// 8-fibre MPO connectors are built. Lines that differ from the part's type
// are red; a fibre that gave no light is crossed out in red; a fibre reaching
// another row ends in a red label naming its far position.

#include <vector>

#include "reports/cert_flow.hpp"
#include "vocabulary/assembly.hpp"

namespace mpobench::reports {

struct PolarityDiagram {
    int fibers = 12;
    PolarityType type = PolarityType::B;
    std::vector<int> expected;  // element i: end-B position end-A fibre i+1 must reach
    std::vector<int> measured;  // as measured from end A (0 = no light); empty: not recorded
    std::vector<int> dark_b;    // end-B fibres that gave no light when end B was launched
};

// One block per ferrule row, then the verdict in words and the legend,
// measured with `cr` to wrap at `width`.
std::vector<FlowBlock> polarity_blocks(const PolarityDiagram& diagram, cairo_t* cr, double width);

}  // namespace mpobench::reports
