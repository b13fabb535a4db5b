// The one-cord reference (DESIGN.md §2): the launch cord straight into the
// meter; P_ref of every launch position at every wavelength.

#include <fmt/format.h>

#include <chrono>
#include <cmath>

#include "acquisition/procedures.hpp"
#include "drivers/errors.hpp"
#include "vocabulary/logger.hpp"

namespace mpobench::acquisition {

namespace {

class ReferenceTaker {
  public:
    ReferenceTaker(Bench& bench, const ReferenceOptions& options, const ProgressCallback& progress,
                   int wavelengths)
        : bench_(bench),
          options_(options),
          progress_(progress),
          total_(wavelengths * options.fibers * kPasses) {}

    // Both passes at the bench's wavelength, checked; retaken once when a
    // point drifts too much.
    std::vector<ReferencePoint> points_at(int wavelength_nm) {
        auto points = two_passes(wavelength_nm);
        const ReferencePoint* worst = least_stable(points);
        if (std::abs(worst->drift_db) <= options_.max_drift_db)
            return points;
        logger("bench")->warn(
            "reference at {} nm: fibre {} drifted {:.3f} dB (limit {:.3f} dB); "
            "taking it again",
            wavelength_nm, worst->fiber, worst->drift_db, options_.max_drift_db);
        report_step(fmt::format("reference at {} nm unstable: taking it again", wavelength_nm),
                    wavelength_nm);
        total_ += options_.fibers * kPasses;
        points = two_passes(wavelength_nm);
        worst = least_stable(points);
        if (std::abs(worst->drift_db) > options_.max_drift_db) {
            throw TestAborted(fmt::format(
                "reference unstable: fibre {} at {} nm drifted {:.3f} dB (limit {:.3f} dB) twice",
                worst->fiber, wavelength_nm, worst->drift_db, options_.max_drift_db));
        }
        return points;
    }

    void report_step(std::string message, int wavelength_nm) const {
        if (!progress_)
            return;
        ProgressEvent event;
        event.kind = ProgressEvent::Kind::Step;
        event.message = std::move(message);
        event.wavelength_nm = wavelength_nm;
        event.done = done_;
        event.total = total_;
        progress_(event);
    }

    std::string where;                            // what the bench is doing, for an abort's reason
    std::vector<RlCalibrationWindow> rl_windows;  // for the RL module's noise model

  private:
    static constexpr int kPasses = 2;

    std::vector<ReferencePoint> two_passes(int wavelength_nm) {
        // A retaken wavelength's RL windows replace the first attempt's.
        std::erase_if(rl_windows, [&](const RlCalibrationWindow& window) {
            return window.wavelength_nm == wavelength_nm;
        });
        const auto first = pass(wavelength_nm, 1);
        const auto second = pass(wavelength_nm, 2);
        std::vector<ReferencePoint> points;
        points.reserve(first.size());
        for (std::size_t i = 0; i < first.size(); ++i) {
            ReferencePoint point{static_cast<int>(i) + 1, wavelength_nm,
                                 (first[i].power_dbm + second[i].power_dbm) / 2.0,
                                 second[i].power_dbm - first[i].power_dbm, std::nullopt};
            if (first[i].monitor_dbm && second[i].monitor_dbm) {
                point.monitor_dbm = (*first[i].monitor_dbm + *second[i].monitor_dbm) / 2.0;
                // The source's own drift between the reads, as the tap saw
                // it, is not the path's instability: the IL corrects it.
                point.drift_db -= *second[i].monitor_dbm - *first[i].monitor_dbm;
            }
            points.push_back(point);
        }
        return points;
    }

    // One read of a launch position: its own detector, the tap monitor.
    struct Read {
        double power_dbm = 0.0;
        std::optional<double> monitor_dbm;
    };

    static const ReferencePoint* least_stable(const std::vector<ReferencePoint>& points) {
        const ReferencePoint* worst = &points.front();
        for (const auto& point : points) {
            if (std::abs(point.drift_db) > std::abs(worst->drift_db))
                worst = &point;
        }
        return worst;
    }

    // Each launch position once, in order; the power of its own detector
    // and the monitor's in the same window.
    std::vector<Read> pass(int wavelength_nm, int pass_number) {
        std::vector<Read> powers;
        powers.reserve(static_cast<std::size_t>(options_.fibers));
        const bool with_rl = bench_.return_loss_meter() && options_.rl_noise_windows > 0;
        for (int fiber = 1; fiber <= options_.fibers; ++fiber) {
            where = fmt::format("reference, {} nm, fibre {}", wavelength_nm, fiber);
            bench_.route_launch(fiber);
            const LaunchReading reading = bench_.read_launch(with_rl);
            powers.push_back({own_detector_dbm(reading, fiber, wavelength_nm),
                              monitor_dbm(reading, fiber, wavelength_nm)});
            if (with_rl) {
                add_rl_window(*reading.return_loss, fiber, wavelength_nm, pass_number);
                for (int k = 1; k < options_.rl_noise_windows; ++k)
                    add_rl_window(bench_.read_return_loss(), fiber, wavelength_nm, pass_number);
            }
            ++done_;
            if (progress_) {
                ProgressEvent event;
                event.kind = ProgressEvent::Kind::Fiber;
                event.wavelength_nm = wavelength_nm;
                event.fiber = fiber;
                event.done = done_;
                event.total = total_;
                progress_(event);
            }
        }
        return powers;
    }

    // The cord's end in the meter's input reflects a little, steadily: a
    // window beyond the range is kept as such (the model leaves its group
    // out); a window without a value is an instrument fault.
    void add_rl_window(const drivers::ReturnLossReading& window, int fiber, int wavelength_nm,
                       int pass_number) {
        if (window.ok() || window.status == drivers::ReturnLossReading::Status::Overrange) {
            rl_windows.push_back({fiber, wavelength_nm, pass_number,
                                  window.ok() ? std::optional(window.rl_db) : std::nullopt});
            return;
        }
        const auto* rl = bench_.return_loss_meter();
        throw TestAborted(fmt::format(
            "reference, {} nm, fibre {}: {} ({}): '{}' reported {} with the launch cord in the "
            "meter: check the RL module and the launch path",
            wavelength_nm, fiber, rl->role(), rl->resource(), window.command,
            window.status == drivers::ReturnLossReading::Status::Underrange ? "underrange"
                                                                            : "no value"));
    }

    // The monitor taps the source: it must read a power whenever the laser
    // is on; anything else is an instrument fault, not a reference.
    std::optional<double> monitor_dbm(const LaunchReading& reading, int fiber,
                                      int wavelength_nm) const {
        if (!reading.monitor)
            return std::nullopt;
        if (reading.monitor->ok())
            return reading.monitor->dbm;
        const auto* monitor = bench_.monitor();
        throw TestAborted(fmt::format(
            "reference, {} nm, fibre {}: the tap monitor {} ({}) gave no power for '{}': check "
            "the monitor and its tap",
            wavelength_nm, fiber, monitor->role(), monitor->resource(), reading.monitor->command));
    }

    // With the cord in the meter, launch position p lights detector p.
    double own_detector_dbm(const LaunchReading& reading, int fiber, int wavelength_nm) const {
        const auto& own = reading.far_end[static_cast<std::size_t>(fiber - 1)];
        if (own.ok() && own.dbm >= options_.no_light_dbm) {
            logger("bench")->debug("reference {} nm fibre {}: {:.4f} dBm", wavelength_nm, fiber,
                                   own.dbm);
            return own.dbm;
        }
        if (own.status == drivers::PowerReading::Status::Overrange) {
            const FarEndPort port = bench_.far_end_port(fiber);
            throw TestAborted(fmt::format(
                "reference: {} ({}): '{}' reported overrange on channel {} (far position {}) at "
                "{} nm: too much light for its range",
                port.meter->role(), port.meter->resource(), own.command, port.channel, fiber,
                wavelength_nm));
        }
        int brightest = 0;
        double brightest_dbm = options_.no_light_dbm;
        for (std::size_t i = 0; i < reading.far_end.size(); ++i) {
            const auto& other = reading.far_end[i];
            if (other.ok() && other.dbm >= brightest_dbm) {
                brightest = static_cast<int>(i) + 1;
                brightest_dbm = other.dbm;
            }
        }
        if (brightest != 0) {
            throw TestAborted(fmt::format(
                "reference: the light of launch fibre {} at {} nm reaches detector {}, not {}: "
                "plug the launch cord straight into the meter",
                fiber, wavelength_nm, brightest, fiber));
        }
        throw TestAborted(fmt::format(
            "reference: no light on launch fibre {} at {} nm (detector {} {}): check the launch "
            "cord and the meter input",
            fiber, wavelength_nm, fiber,
            own.ok()
                ? fmt::format("reads {:.1f} dBm, below {:.1f} dBm", own.dbm, options_.no_light_dbm)
                : std::string("reads nothing")));
    }

    Bench& bench_;
    const ReferenceOptions& options_;
    const ProgressCallback& progress_;
    int done_ = 0;
    int total_;
};

}  // namespace

Reference take_reference(Bench& bench, Operator& op, const ReferenceOptions& options,
                         const ProgressCallback& progress) {
    const int switch_ports = bench.launch_switch().port_count();
    const int detectors = bench.far_position_count();
    if (options.fibers < 1 || options.fibers > switch_ports || options.fibers > detectors) {
        throw BenchConfigurationError(
            fmt::format("a reference of {} launch positions needs as many switch outputs and far "
                        "positions; {} has {} and {}",
                        options.fibers, bench.station().name, switch_ports, detectors));
    }
    if (!(options.max_drift_db > 0.0)) {
        throw std::invalid_argument(
            fmt::format("reference: max drift {} dB must be above 0", options.max_drift_db));
    }
    const std::vector<int> wavelengths = options.wavelengths_nm.empty()
                                             ? default_wavelengths_nm(options.mode)
                                             : options.wavelengths_nm;

    Reference reference;
    reference.station = bench.station().name;
    reference.operator_name = options.operator_name.empty() ? op.name() : options.operator_name;
    reference.launch_cord = options.launch_cord;
    reference.mode = options.mode;
    reference.fibers = options.fibers;
    reference.points.reserve(wavelengths.size() * static_cast<std::size_t>(options.fibers));

    ReferenceTaker taker(bench, options, progress, static_cast<int>(wavelengths.size()));
    try {
        taker.where = "reference, setting up";
        bench.apply_timing(options.mode, bench.timing().rl_window_sequential);
        const auto order = bench.wavelength_order(wavelengths);
        // The laser settles and the switch moves while the operator plugs the cord.
        bench.select_wavelength_nm(order.front());
        bench.route_launch(1);
        taker.where = "reference, operator step";
        taker.report_step(
            fmt::format("connect the launch cord ({}) to the meter", options.launch_cord),
            order.front());
        op.perform(OperatorStep::ConnectReference, options.launch_cord);
        for (const int wavelength_nm : order) {
            taker.where = fmt::format("reference, {} nm", wavelength_nm);
            if (bench.wavelength_nm() != wavelength_nm) {
                taker.report_step(fmt::format("{} nm", wavelength_nm), wavelength_nm);
                bench.select_wavelength_nm(wavelength_nm);
            }
            bench.wait_until_source_stable();
            for (auto& point : taker.points_at(wavelength_nm))
                reference.points.push_back(point);
            // An error a measurement command raised makes this wavelength's
            // powers untrustworthy (see the production test's passes).
            taker.where = fmt::format("reference, {} nm", wavelength_nm);
            bench.check_error_queues("SYST:ERR? after the pass");
        }
    } catch (const drivers::InstrumentError& error) {
        throw TestAborted(fmt::format("{}: {}", taker.where, error.what()));
    } catch (const OperatorAbort& abort) {
        throw TestAborted(fmt::format("{}: operator abort: {}", taker.where, abort.what()));
    }
    reference.taken_at = std::chrono::system_clock::now();
    reference.rl_calibration = std::move(taker.rl_windows);
    logger("bench")->info("reference taken on {}: {} launch positions at {} wavelengths",
                          reference.station, reference.fibers, wavelengths.size());
    return reference;
}

}  // namespace mpobench::acquisition
