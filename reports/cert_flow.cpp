#include "reports/cert_flow.hpp"

namespace mpobench::reports {

std::vector<PlacedBlock> lay_out(const std::vector<FlowBlock>& blocks, const PageArea& area) {
    std::vector<PlacedBlock> placed;
    int page = 0;
    double y = area.first_top_pt;
    const auto page_top = [&] { return page == 0 ? area.first_top_pt : area.top_pt; };
    for (const FlowBlock& block : blocks) {
        const bool page_empty = y <= page_top();
        const bool fits = y + block.height_pt + block.keep_with_next_pt <= area.bottom_pt;
        if (!block.draw && (page_empty || !fits))
            continue;  // spacing is not carried over to the top of a page
        if (!page_empty && (block.starts_page || !fits)) {
            ++page;
            y = page_top();
            if (block.continuation) {
                placed.push_back({block.continuation.get(), page, y});
                y += block.continuation->height_pt;
            }
        }
        placed.push_back({&block, page, y});
        y += block.height_pt;
    }
    return placed;
}

}  // namespace mpobench::reports
