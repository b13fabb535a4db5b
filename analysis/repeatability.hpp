#pragma once
// Mating-cycle repeatability statistics: how a fibre's IL varies over its
// matings (DESIGN.md §2). Pure functions, no I/O.

#include <vector>

#include "vocabulary/run_record.hpp"

namespace mpobench::analysis {

// One launched end x fibre x wavelength over its matings.
struct RepeatabilityStat {
    End end = End::A;
    int fiber = 0;
    int wavelength_nm = 0;
    int matings = 0;  // measurements with an IL value
    double mean_il_db = 0.0;
    double min_il_db = 0.0;
    double max_il_db = 0.0;
    double range_db = 0.0;  // max - min: the repeatability ΔIL
    double sigma_db = 0.0;  // sample standard deviation (n - 1); 0 for one mating
};

// Every measurement with a finite IL value counts as one mating, whatever its
// cycle. Sorted by end, fibre, wavelength.
std::vector<RepeatabilityStat> repeatability_stats(const std::vector<Measurement>& measurements);

}  // namespace mpobench::analysis
