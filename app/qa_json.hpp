#pragma once
// The JSON of `mpobench yield|pareto|trend --json`, for the command line and
// the web server's /api/yield, /api/pareto, /api/trend alike: one set of
// queries. Each reads the fields of `options` its command has flags for
// (filter, by, site for --by shift) and throws UsageError for a bad one.

#include <nlohmann/json.hpp>

#include "analysis/limits.hpp"
#include "app/commands.hpp"
#include "app/qa_source.hpp"

namespace mpobench::app {

nlohmann::json yield_report_json(const QaSource& source, const QaCommandOptions& options);
nlohmann::json pareto_report_json(const QaSource& source, const QaCommandOptions& options);
nlohmann::json trend_report_json(const QaSource& source, const QaCommandOptions& options);
// The IL distribution per wavelength (the histograms of `report`): bins of
// 0.01 dB from the first to the last one holding a reading, and the Elite
// per-fibre maximum of the wavelength's mode from `limits`.
nlohmann::json histogram_report_json(const QaSource& source, const QaCommandOptions& options,
                                     const analysis::LimitSet& limits);

}  // namespace mpobench::app
