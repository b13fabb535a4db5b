// The production test and mating-cycle repeatability: IL, RL and the
// polarity map of every fibre at every wavelength, measured in the order
// that keeps the bench at its instrument-bound minimum (DESIGN.md §7).

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <map>
#include <stdexcept>

#include "acquisition/procedures.hpp"
#include "drivers/errors.hpp"
#include "vocabulary/logger.hpp"

namespace mpobench::acquisition {

namespace {

std::vector<int> part_wavelengths(const Part& part) {
    return part.wavelengths_nm.empty() ? default_wavelengths_nm(part.mode) : part.wavelengths_nm;
}

// P_ref by wavelength and launch position, checked once before the run.
class ReferenceTable {
  public:
    ReferenceTable(const Reference& reference, const Part& part,
                   const std::vector<int>& wavelengths, const StationConfig& station) {
        check_reference(reference, part, station, std::chrono::system_clock::now());
        for (const int wavelength_nm : wavelengths) {
            auto& points = by_wavelength_[wavelength_nm];
            points.assign(static_cast<std::size_t>(part.fibers), ReferencePoint{});
            for (int fiber = 1; fiber <= part.fibers; ++fiber) {
                // check_reference made sure every point is there.
                points[static_cast<std::size_t>(fiber - 1)] = *reference.find(fiber, wavelength_nm);
            }
        }
    }

    double power_dbm(int wavelength_nm, int fiber) const {
        return point(wavelength_nm, fiber).power_dbm;
    }
    // M_ref of the point; empty for a reference taken without a monitor.
    std::optional<double> monitor_dbm(int wavelength_nm, int fiber) const {
        return point(wavelength_nm, fiber).monitor_dbm;
    }

  private:
    const ReferencePoint& point(int wavelength_nm, int fiber) const {
        return by_wavelength_.at(wavelength_nm)[static_cast<std::size_t>(fiber - 1)];
    }
    std::map<int, std::vector<ReferencePoint>> by_wavelength_;
};

void check_capacity(Bench& bench, const Part& part) {
    const int switch_ports = bench.launch_switch().port_count();
    const int detectors = bench.far_position_count();
    if (part.fibers > switch_ports || part.fibers > detectors) {
        throw BenchConfigurationError(
            fmt::format("{} has {} fibres; station {} has {} switch outputs and {} far positions",
                        part.number, part.fibers, bench.station().name, switch_ports, detectors));
    }
}

// Sanity rules of DESIGN.md §2 applied to one launch.
Measurement classify(const LaunchReading& reading, const SanityLimits& sanity) {
    Measurement measurement;
    int brightest = 0;
    double brightest_dbm = sanity.no_light_dbm;
    int overrange = 0;
    bool invalid = false;
    for (std::size_t i = 0; i < reading.far_end.size(); ++i) {
        const auto& detector = reading.far_end[i];
        const int position = static_cast<int>(i) + 1;
        switch (detector.status) {
            case drivers::PowerReading::Status::Ok:
                if (detector.dbm >= brightest_dbm) {
                    brightest = position;
                    brightest_dbm = detector.dbm;
                }
                break;
            case drivers::PowerReading::Status::Overrange:
                if (overrange == 0)
                    overrange = position;
                break;
            case drivers::PowerReading::Status::Invalid:
                invalid = true;
                break;
            case drivers::PowerReading::Status::Underrange:
                break;
        }
    }
    if (overrange != 0) {
        measurement.status = ReadingStatus::Overrange;
        measurement.far_position = overrange;
    } else if (brightest != 0) {
        measurement.status = ReadingStatus::Ok;
        measurement.far_position = brightest;
        measurement.power_dbm = brightest_dbm;
    } else {
        measurement.status = invalid ? ReadingStatus::Invalid : ReadingStatus::NoLight;
    }
    return measurement;
}

std::string rl_text(const std::optional<drivers::ReturnLossReading>& reading) {
    if (!reading)
        return "-";
    switch (reading->status) {
        case drivers::ReturnLossReading::Status::Ok:
            return fmt::format("{:.1f}", reading->rl_db);
        case drivers::ReturnLossReading::Status::Overrange:
            return fmt::format("overrange (beyond {:.1f} dB)", reading->range_db);
        case drivers::ReturnLossReading::Status::Underrange:
            return "underrange";
        case drivers::ReturnLossReading::Status::Invalid:
            return "invalid";
    }
    return "?";
}

// Runs the passes of one run: operator steps, wavelength changes, one
// launch per fibre, each measurement to the sink and the record.
class Sweeper {
  public:
    Sweeper(Bench& bench, Operator& op, const ReferenceTable& reference, RunRecord& run,
            MeasurementSink& sink, const ProgressCallback& progress, const SanityLimits& sanity,
            int total, RlRule* rl_rule = nullptr)
        : bench_(bench),
          op_(op),
          reference_(reference),
          run_(run),
          sink_(sink),
          progress_(progress),
          sanity_(sanity),
          wavelengths_(part_wavelengths(run.part)),
          total_(total),
          rl_rule_(rl_rule),
          log_(logger("bench")) {}

    // An operator step, the first wavelength of what follows already
    // selected so that the laser settles while the operator works.
    void operator_step(OperatorStep step) {
        where_ = fmt::format("{} of {}", to_string(step), run_.serial);
        bench_.select_wavelength_nm(bench_.wavelength_order(wavelengths_).front());
        bench_.route_launch(first_fiber());
        report_step(where_);
        op_.perform(step, run_.serial);
    }

    // Every fibre of `end` at every wavelength. `polarity` (cycle 0)
    // receives the far position each fibre reached.
    void pass(End end, int cycle, bool with_return_loss, PolarityMap* polarity) {
        const int fibers = run_.part.fibers;
        for (const int wavelength_nm : bench_.wavelength_order(wavelengths_)) {
            where_ = fmt::format("end {}, {} nm", to_string(end), wavelength_nm);
            if (bench_.wavelength_nm() != wavelength_nm) {
                report_step(fmt::format("{} nm", wavelength_nm), end, wavelength_nm, cycle);
                bench_.select_wavelength_nm(wavelength_nm);
            }
            const int first = first_fiber();
            // A move the pass needs anyway happens while the laser settles.
            bench_.route_launch(first);
            bench_.wait_until_source_stable();
            const bool descending = first != 1;
            for (int i = 0; i < fibers; ++i) {
                const int fiber = descending ? fibers - i : i + 1;
                where_ = fmt::format("end {}, {} nm, fibre {}{}", to_string(end), wavelength_nm,
                                     fiber, cycle > 0 ? fmt::format(", cycle {}", cycle) : "");
                const Measurement& taken =
                    measure(end, fiber, wavelength_nm, cycle, with_return_loss);
                if (polarity && polarity->far_positions[static_cast<std::size_t>(fiber - 1)] == 0)
                    polarity->far_positions[static_cast<std::size_t>(fiber - 1)] =
                        taken.far_position;
            }
            // Measurement commands are not checked one by one (that would
            // double the round trips); an error any of them raised stops
            // the run before its pass counts.
            where_ = fmt::format("end {}, {} nm{}", to_string(end), wavelength_nm,
                                 cycle > 0 ? fmt::format(", cycle {}", cycle) : "");
            bench_.check_error_queues("SYST:ERR? after the pass");
        }
    }

    void report_cycle(int cycle, int cycles) const {
        if (!progress_)
            return;
        ProgressEvent event;
        event.kind = ProgressEvent::Kind::Cycle;
        event.message = fmt::format("cycle {} of {} done", cycle, cycles);
        event.cycle = cycle;
        event.done = done_;
        event.total = total_;
        progress_(event);
    }

    const std::string& where() const { return where_; }

  private:
    // Where the next pass starts: back down from the last fibre when the
    // switch sits there, so a pass that follows another needs no move.
    int first_fiber() const {
        const int fibers = run_.part.fibers;
        return fibers > 1 && bench_.launch_port() == fibers ? fibers : 1;
    }

    const Measurement& measure(End end, int fiber, int wavelength_nm, int cycle,
                               bool with_return_loss) {
        bench_.route_launch(fiber);
        const LaunchReading reading = bench_.read_launch(with_return_loss);
        Measurement measurement = classify(reading, sanity_);
        measurement.end = end;
        measurement.fiber = fiber;
        measurement.wavelength_nm = wavelength_nm;
        measurement.cycle = cycle;
        measurement.taken_at = std::chrono::system_clock::now();
        const std::optional<double> monitor_ref_dbm = reference_.monitor_dbm(wavelength_nm, fiber);
        if (reading.monitor) {
            if (!reading.monitor->ok()) {
                const auto* monitor = bench_.monitor();
                throw TestAborted(fmt::format(
                    "{}: the tap monitor {} ({}) gave no power for '{}': check the monitor and "
                    "its tap",
                    where_, monitor->role(), monitor->resource(), reading.monitor->command));
            }
            measurement.monitor_dbm = reading.monitor->dbm;
            if (monitor_ref_dbm && !drift_checked_) {
                // The first launch's monitor window is the fresh reading the
                // run starts against; nothing is recorded before it passes.
                check_monitor_drift(*monitor_ref_dbm, *measurement.monitor_dbm, wavelength_nm,
                                    bench_.station());
                drift_checked_ = true;
            } else if (!monitor_ref_dbm && !warned_no_monitor_reference_) {
                log_->warn(
                    "{}: the reference holds no tap-monitor readings (taken without a monitor): "
                    "IL is not corrected for the source's drift; take a new reference",
                    where_);
                warned_no_monitor_reference_ = true;
            }
        }
        if (measurement.status == ReadingStatus::Ok) {
            measurement.il_db = drift_corrected_il_db(reference_.power_dbm(wavelength_nm, fiber),
                                                      measurement.power_dbm, monitor_ref_dbm,
                                                      measurement.monitor_dbm);
        }
        // RL beyond the module's range is a bound, but only where the same
        // launch lit its far-end detector: without light at the far end the
        // missing reflection says nothing of the connector (the run stops
        // below). Any other reading without a value stops the run too.
        std::optional<drivers::ReturnLossReading> failed_rl;
        if (reading.return_loss)
            failed_rl = decide_rl(*reading.return_loss, measurement);
        if (log_->should_log(spdlog::level::debug)) {
            log_->debug(
                "{}: {} far {} {:.3f} dBm IL {} RL {}", where_, to_string(measurement.status),
                measurement.far_position, measurement.power_dbm,
                measurement.il_db ? fmt::format("{:.3f}", *measurement.il_db) : "-",
                measurement.rl_db         ? fmt::format("{:.2f}", *measurement.rl_db)
                : measurement.rl_above_db ? fmt::format("> {:.1f}", *measurement.rl_above_db)
                                          : std::string("-"));
        }

        sink_.on_measurement(measurement);
        run_.measurements.push_back(measurement);
        ++done_;
        if (progress_) {
            ProgressEvent event;
            event.kind = ProgressEvent::Kind::Fiber;
            event.end = end;
            event.wavelength_nm = wavelength_nm;
            event.fiber = fiber;
            event.cycle = cycle;
            event.done = done_;
            event.total = total_;
            progress_(event);
        }
        // An instrument beyond its range gave no value to grade: the reading
        // stays in the record as evidence and the run stops.
        if (measurement.status == ReadingStatus::Overrange) {
            const FarEndPort port = bench_.far_end_port(measurement.far_position);
            const auto& detector =
                reading.far_end.at(static_cast<std::size_t>(measurement.far_position) - 1);
            throw TestAborted(
                fmt::format("{}: {} ({}): '{}' reported overrange on channel {} (far position {})",
                            where_, port.meter->role(), port.meter->resource(), detector.command,
                            port.channel, measurement.far_position));
        }
        if (failed_rl) {
            const auto* rl = bench_.return_loss_meter();
            throw TestAborted(
                fmt::format("{}: {} ({}): '{}' reported {}{}", where_, rl->role(), rl->resource(),
                            failed_rl->command, rl_text(failed_rl),
                            measurement.status == ReadingStatus::Ok
                                ? ""
                                : fmt::format(" but the far end read {}: no light, not an RL bound",
                                              to_string(measurement.status))));
        }
        // Kept in the record as evidence, then the run stops: no IL is
        // trustworthy against this reference.
        if (measurement.il_db && *measurement.il_db < sanity_.suspect_il_db) {
            throw TestAborted(fmt::format(
                "reference suspect: {} measured IL {:.3f} dB, below {:.3f} dB: take a new "
                "reference",
                where_, *measurement.il_db, sanity_.suspect_il_db));
        }
        return run_.measurements.back();
    }

    // The RL of a launch from its first window and, with a rule, as many
    // more as the rule needs. Returns the window that read no value (and
    // is no bound), which stops the run once the measurement is recorded.
    std::optional<drivers::ReturnLossReading> decide_rl(const drivers::ReturnLossReading& first,
                                                        Measurement& measurement) {
        std::vector<RlWindow> windows;
        const auto add = [&](const drivers::ReturnLossReading& window) {
            if (window.ok()) {
                windows.push_back({window.rl_db, window.range_db});
                return true;
            }
            if (window.status == drivers::ReturnLossReading::Status::Overrange &&
                measurement.status == ReadingStatus::Ok) {
                windows.push_back({std::nullopt, window.range_db});
                return true;
            }
            return false;
        };
        if (!add(first))
            return first;
        if (!rl_rule_) {
            if (first.ok())
                measurement.rl_db = first.rl_db;
            else
                measurement.rl_above_db = first.range_db;
            return std::nullopt;
        }
        RlEstimate estimate = rl_rule_->judge(windows);
        while (!estimate.decided) {
            const drivers::ReturnLossReading next = bench_.read_return_loss();
            if (!add(next))
                return next;
            estimate = rl_rule_->judge(windows);
        }
        rl_rule_->finish(windows);
        measurement.rl_db = estimate.rl_db;
        measurement.rl_above_db = estimate.rl_above_db;
        measurement.rl_low_db = estimate.low_db;
        measurement.rl_high_db = estimate.high_db;
        measurement.rl_windows = static_cast<int>(windows.size());
        measurement.rl_marginal = estimate.marginal;
        return std::nullopt;
    }

    void report_step(std::string message, End end = End::A, int wavelength_nm = 0,
                     int cycle = 0) const {
        if (!progress_)
            return;
        ProgressEvent event;
        event.kind = ProgressEvent::Kind::Step;
        event.message = std::move(message);
        event.end = end;
        event.wavelength_nm = wavelength_nm;
        event.cycle = cycle;
        event.done = done_;
        event.total = total_;
        progress_(event);
    }

    Bench& bench_;
    Operator& op_;
    const ReferenceTable& reference_;
    RunRecord& run_;
    MeasurementSink& sink_;
    const ProgressCallback& progress_;
    const SanityLimits& sanity_;
    std::vector<int> wavelengths_;
    int done_ = 0;
    int total_;
    RlRule* rl_rule_;
    bool drift_checked_ = false;
    bool warned_no_monitor_reference_ = false;
    std::string where_ = "setting up";
    std::shared_ptr<spdlog::logger> log_;
};

// Runs `body`; an instrument fault or the operator's abort becomes
// TestAborted saying where the run was and what failed.
template <typename Body>
void abort_on_fault(const Sweeper& sweeper, Body body) {
    try {
        body();
    } catch (const drivers::InstrumentError& error) {
        throw TestAborted(fmt::format("{}: {}", sweeper.where(), error.what()));
    } catch (const OperatorAbort& abort) {
        throw TestAborted(fmt::format("{}: operator abort: {}", sweeper.where(), abort.what()));
    }
}

PolarityMap empty_map(End end, int fibers) {
    return PolarityMap{end, std::vector<int>(static_cast<std::size_t>(fibers), 0)};
}

}  // namespace

double drift_corrected_il_db(double reference_dbm, double dut_dbm,
                             std::optional<double> monitor_ref_dbm,
                             std::optional<double> monitor_now_dbm) {
    const double il_db = reference_dbm - dut_dbm;
    if (!monitor_ref_dbm || !monitor_now_dbm)
        return il_db;
    return il_db - (*monitor_ref_dbm - *monitor_now_dbm);
}

void check_monitor_drift(double monitor_ref_dbm, double monitor_now_dbm, int wavelength_nm,
                         const StationConfig& station) {
    const double drift_db = monitor_now_dbm - monitor_ref_dbm;
    if (!(std::abs(drift_db) <= station.max_monitor_drift_db)) {
        throw Refused(fmt::format(
            "the source drifted {:+.3f} dB at {} nm since the reference (tap monitor {:.3f} dBm "
            "then, {:.3f} dBm now); station {} allows {:.3f} dB: take a new reference",
            drift_db, wavelength_nm, monitor_ref_dbm, monitor_now_dbm, station.name,
            station.max_monitor_drift_db));
    }
}

void check_reference(const Reference& reference, const Part& part, const StationConfig& station,
                     TimePoint now) {
    if (reference.mode != part.mode) {
        throw Refused(fmt::format(
            "the reference was taken for {} and {} is {}: take a {} "
            "reference",
            to_string(reference.mode), part.number, to_string(part.mode), to_string(part.mode)));
    }
    // A new launch cord measures otherwise than the one the reference saw.
    if (const auto* cord = station.launch_cord(); cord && reference.launch_cord != cord->id) {
        throw Refused(
            fmt::format("the reference was taken with launch cord {} and station {} "
                        "launches through {}: take a new reference",
                        reference.launch_cord, station.name, cord->id));
    }
    const auto age = std::chrono::duration_cast<std::chrono::minutes>(now - reference.taken_at);
    if (age.count() > station.reference_max_age_min) {
        throw Refused(
            fmt::format("the reference is {} min old; station {} allows {} min: "
                        "take a new reference",
                        age.count(), station.name, station.reference_max_age_min));
    }
    for (const int wavelength_nm : part_wavelengths(part)) {
        for (int fiber = 1; fiber <= part.fibers; ++fiber) {
            if (!reference.find(fiber, wavelength_nm)) {
                throw Refused(
                    fmt::format("the reference has no point for launch fibre {} at {} nm, which {} "
                                "needs: take a new reference",
                                fiber, wavelength_nm, part.number));
            }
        }
    }
}

void run_production_test(Bench& bench, Operator& op, const Reference& reference, RunRecord& run,
                         MeasurementSink& sink, const ProgressCallback& progress,
                         const SanityLimits& sanity, RlRule* rl_rule) {
    const Part& part = run.part;
    const auto wavelengths = part_wavelengths(part);
    check_capacity(bench, part);
    const ReferenceTable table(reference, part, wavelengths, bench.station());
    run.instruments = bench.instruments();
    run.reference_id = reference.id;

    const int per_pass = static_cast<int>(wavelengths.size()) * part.fibers;
    const int total = per_pass * (2 + part.mating_cycles);
    run.measurements.reserve(run.measurements.size() + static_cast<std::size_t>(total));
    Sweeper sweeper(bench, op, table, run, sink, progress, sanity, total, rl_rule);
    abort_on_fault(sweeper, [&] {
        bench.apply_timing(part.mode, rl_rule ? std::optional(rl_rule->window()) : std::nullopt);
        for (const End end : {End::A, End::B}) {
            sweeper.operator_step(end == End::A ? OperatorStep::ConnectEndA
                                                : OperatorStep::ConnectEndB);
            PolarityMap map = empty_map(end, part.fibers);
            sweeper.pass(end, 0, true, &map);
            run.polarity.push_back(std::move(map));
            if (end != End::A)
                continue;
            // Production re-mates of end A while it is connected.
            for (int cycle = 1; cycle <= part.mating_cycles; ++cycle) {
                sweeper.operator_step(OperatorStep::Remate);
                sweeper.pass(End::A, cycle, false, nullptr);
                run.mating_cycles_run = cycle;
                sweeper.report_cycle(cycle, part.mating_cycles);
            }
        }
    });
}

void run_repeatability(Bench& bench, Operator& op, const Reference& reference, RunRecord& run,
                       int cycles, MeasurementSink& sink, const ProgressCallback& progress,
                       const SanityLimits& sanity) {
    if (cycles < 1)
        throw std::invalid_argument(fmt::format("repeatability: {} cycles (at least 1)", cycles));
    const Part& part = run.part;
    const auto wavelengths = part_wavelengths(part);
    check_capacity(bench, part);
    const ReferenceTable table(reference, part, wavelengths, bench.station());
    run.instruments = bench.instruments();
    run.reference_id = reference.id;

    const long long total_measurements =
        static_cast<long long>(cycles) * static_cast<long long>(wavelengths.size()) * part.fibers;
    if (total_measurements > std::numeric_limits<int>::max()) {
        throw std::invalid_argument(fmt::format(
            "repeatability: {} cycles of {} fibres is too many measurements", cycles, part.fibers));
    }
    const int total = static_cast<int>(total_measurements);
    // Reserved once: no cycle pays for the record growing.
    run.measurements.reserve(run.measurements.size() + static_cast<std::size_t>(total));
    Sweeper sweeper(bench, op, table, run, sink, progress, sanity, total);
    abort_on_fault(sweeper, [&] {
        bench.apply_timing(part.mode);
        sweeper.operator_step(OperatorStep::ConnectEndA);
        for (int cycle = 1; cycle <= cycles; ++cycle) {
            sweeper.operator_step(OperatorStep::Remate);
            if (cycle == 1) {
                PolarityMap map = empty_map(End::A, part.fibers);
                sweeper.pass(End::A, cycle, false, &map);
                run.polarity.push_back(std::move(map));
            } else {
                sweeper.pass(End::A, cycle, false, nullptr);
            }
            run.mating_cycles_run = cycle;
            sweeper.report_cycle(cycle, cycles);
        }
    });
}

}  // namespace mpobench::acquisition
