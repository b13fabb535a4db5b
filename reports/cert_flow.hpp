#pragma once
// Page flow of a certificate: blocks of known height placed top to bottom
// over as many pages as they need. Layout comes first and drawing second, so
// every page can say "Page n of m".

#include <cairo.h>

#include <functional>
#include <memory>
#include <vector>

namespace mpobench::reports {

struct FlowBlock {
    double height_pt = 0;
    // Draws the block with its top-left corner at (x, y), `width` wide;
    // empty for spacing, which is dropped where a page starts.
    std::function<void(cairo_t* cr, double x, double y, double width)> draw;
    // Room the following blocks need on the same page, so a title is never
    // left alone at the foot of a page (its table's heads and first rows).
    double keep_with_next_pt = 0;
    // Drawn first when this block has to open a new page: a table's column
    // heads, repeated above its continued rows.
    std::shared_ptr<const FlowBlock> continuation;
    bool starts_page = false;
};

struct PlacedBlock {
    const FlowBlock* block = nullptr;
    int page = 0;  // 0-based
    double y_pt = 0;
};

struct PageArea {
    double first_top_pt = 0;  // page 1 has no running header
    double top_pt = 0;        // pages 2..m
    double bottom_pt = 0;
};

// Places the blocks in order; a block taller than a page gets a page of its
// own (and overflows it). The result is sorted by page, then y.
std::vector<PlacedBlock> lay_out(const std::vector<FlowBlock>& blocks, const PageArea& area);

}  // namespace mpobench::reports
