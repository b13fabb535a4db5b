// `mpobench reference`: take and store a reference (one-cord method).

#include <fmt/format.h>

#include "app/commands.hpp"
#include "app/guarded.hpp"
#include "app/progress.hpp"
#include "app/signals.hpp"
#include "app/station_session.hpp"
#include "app/test_flow.hpp"

namespace mpobench::app {

int run_reference(const ReferenceCommandOptions& options) {
    return guarded("reference", [&] {
        const auto mode = parse_fiber_mode(options.mode);
        if (!mode) {
            fmt::print(stderr, "mpobench reference: --mode must be MM or SM, not '{}'\n",
                       options.mode);
            return static_cast<int>(kBadInput);
        }
        auto station = acquisition::load_station(options.station_file);
        // The station file names its launch cord: the reference is of that one.
        const auto* cord = station.launch_cord();
        if (cord && !options.launch_cord.empty() && options.launch_cord != cord->id) {
            fmt::print(stderr,
                       "mpobench reference: --launch-cord {}: the station file {} names launch "
                       "cord {}\n",
                       options.launch_cord, station.source_path.string(), cord->id);
            return static_cast<int>(kBadInput);
        }
        const std::string launch_cord =
            cord ? cord->id : (options.launch_cord.empty() ? "launch cord" : options.launch_cord);
        std::string operator_name = resolve_operator(options.operator_name, station);
        // A database path that cannot be opened is bad input, found before
        // any instrument is touched.
        db::Repository repository(database_path(options.db));
        SignalStop stop;
        RunLifecycle lifecycle(
            {std::move(station), "reference", std::move(operator_name), "", &stop, {}, {}},
            repository);
        TerminalProgress progress("reference", /*enabled=*/true);
        const Reference reference = take_and_store_reference(lifecycle, *mode, options.fibers,
                                                             launch_cord, progress.callback());
        progress.clear();
        fmt::print("{}\n", reference_summary(reference));
        return static_cast<int>(kPassed);
    });
}

}  // namespace mpobench::app
