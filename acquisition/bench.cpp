#include "acquisition/bench.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <exception>
#include <future>

#include "drivers/errors.hpp"
#include "drivers/registry.hpp"
#include "vocabulary/logger.hpp"

namespace mpobench::acquisition {

namespace {

constexpr const char* kSource = "source";
constexpr const char* kSwitch = "switch";
constexpr const char* kMeter = "meter";
constexpr const char* kReturnLoss = "rl";
constexpr const char* kMonitor = "monitor";

std::string station_file_name(const StationConfig& station) {
    return station.source_path.empty() ? std::string("the station") : station.source_path.string();
}

// The instrument the station file names, or why the bench cannot use it.
const drivers::InstrumentConfig* find_instrument(const StationConfig& station, const char* name,
                                                 bool required) {
    const auto* config = station.find(name);
    if (!config && required) {
        std::vector<std::string> names;
        for (const auto& instrument : station.instruments)
            names.push_back(instrument.name);
        throw BenchConfigurationError(fmt::format(
            "{}: no instrument named '{}'; the bench needs source, switch and meter (rl and "
            "monitor are optional); the file names: {}",
            station_file_name(station), name,
            names.empty() ? "none" : fmt::format("{}", fmt::join(names, ", "))));
    }
    return config;
}

// Builds a driver; a model the registry does not know, or one of another
// role, is the station file's mistake.
template <typename Driver, typename Factory>
std::unique_ptr<Driver> build(const StationConfig& station, const drivers::InstrumentConfig* config,
                              drivers::SessionPool& pool, Factory factory) {
    if (!config)
        return nullptr;
    try {
        return factory(*config, &pool);
    } catch (const drivers::InstrumentError& error) {
        throw BenchConfigurationError(fmt::format(
            "{}: instruments.{}: {}", station_file_name(station), config->name, error.what()));
    }
}

}  // namespace

struct Bench::Impl {
    StationConfig station;
    BenchTiming timing;
    // Every session spends its retries from this (station retry_budget).
    std::shared_ptr<drivers::RetryBudget> retry_budget;
    std::unique_ptr<drivers::LightSource> source;
    std::unique_ptr<drivers::OpticalSwitch> launch_switch;
    std::unique_ptr<drivers::PowerMeter> meter;
    std::unique_ptr<drivers::ReturnLossMeter> return_loss;
    std::unique_ptr<drivers::PowerMeter> monitor;
    std::vector<InstrumentRecord> records;  // filled by connect()

    const StopRequest* stop = nullptr;
    bool laser_may_be_on = false;  // selected since connect() or the last laser_off()

    // The light path as last set (see the header).
    std::optional<int> wavelength_nm;
    bool source_settling = false;
    int launch_port = 0;

    struct Member {
        const drivers::InstrumentConfig* config;
        drivers::Instrument* instrument;
    };
    std::vector<Member> members() const {
        std::vector<Member> out;
        for (const auto& config : station.instruments) {
            drivers::Instrument* instrument = nullptr;
            if (config.name == kSource)
                instrument = source.get();
            else if (config.name == kSwitch)
                instrument = launch_switch.get();
            else if (config.name == kMeter)
                instrument = meter.get();
            else if (config.name == kReturnLoss)
                instrument = return_loss.get();
            else if (config.name == kMonitor)
                instrument = monitor.get();
            if (instrument)
                out.push_back({&config, instrument});
        }
        return out;
    }
};

Bench::Bench(StationConfig station, BenchTiming timing) : impl_(std::make_unique<Impl>()) {
    Impl& impl = *impl_;
    impl.station = std::move(station);
    impl.timing = timing;
    const StationConfig& s = impl.station;
    impl.retry_budget = std::make_shared<drivers::RetryBudget>(s.retry_budget);
    // Instruments that name one resource (modules of one mainframe) share
    // its connection: one session per resource, exchanges serialised.
    drivers::SessionPool pool(impl.retry_budget);
    impl.source = build<drivers::LightSource>(s, find_instrument(s, kSource, true), pool,
                                              drivers::make_light_source);
    impl.launch_switch = build<drivers::OpticalSwitch>(s, find_instrument(s, kSwitch, true), pool,
                                                       drivers::make_optical_switch);
    impl.meter = build<drivers::PowerMeter>(s, find_instrument(s, kMeter, true), pool,
                                            drivers::make_power_meter);
    impl.return_loss = build<drivers::ReturnLossMeter>(s, find_instrument(s, kReturnLoss, false),
                                                       pool, drivers::make_return_loss_meter);
    impl.monitor = build<drivers::PowerMeter>(s, find_instrument(s, kMonitor, false), pool,
                                              drivers::make_power_meter);
    for (const auto& config : s.instruments) {
        const bool used = config.name == kSource || config.name == kSwitch ||
                          config.name == kMeter || config.name == kReturnLoss ||
                          config.name == kMonitor;
        if (!used) {
            logger("bench")->warn(
                "{}: instrument '{}' is not one the bench uses (source, switch, "
                "meter, rl, monitor); it is left alone",
                station_file_name(s), config.name);
        }
    }
}

Bench::~Bench() = default;

void Bench::connect() {
    Impl& impl = *impl_;
    const auto members = impl.members();
    const std::string file = station_file_name(impl.station);
    // One task per instrument: a slow or unreachable one costs its own
    // time once, not the sum. Modules sharing a connection take turns on
    // it (each prepare() holds it whole).
    const auto bring_up = [&file](const Impl::Member& member) {
        const auto& config = *member.config;
        drivers::Instrument& instrument = *member.instrument;
        const drivers::Identity identity = instrument.identify();
        if (!instrument.accepts(identity)) {
            throw BenchConfigurationError(fmt::format(
                "{}: instruments.{} is model '{}', but {} answered '{},{},{},{}', which that "
                "driver does not drive",
                file, config.name, config.model, config.resource, identity.vendor, identity.model,
                identity.serial, identity.firmware));
        }
        instrument.prepare();
        return InstrumentRecord{
            config.name,     config.role,       config.model,
            config.resource, identity.vendor,   identity.model,
            identity.serial, identity.firmware, config.calibration_due.value_or("")};
    };
    std::vector<std::future<InstrumentRecord>> pending;
    pending.reserve(members.size());
    for (const auto& member : members)
        pending.push_back(std::async(std::launch::async, bring_up, member));

    std::vector<InstrumentRecord> records;
    std::exception_ptr first_failure;
    for (std::size_t i = 0; i < pending.size(); ++i) {
        try {
            records.push_back(pending[i].get());
        } catch (const std::exception& failure) {
            // Every failure is reported; the first (in station-file order) is thrown.
            logger("bench")->error("{}: {}", members[i].config->name, failure.what());
            if (!first_failure)
                first_failure = std::current_exception();
        }
    }
    if (first_failure)
        std::rethrow_exception(first_failure);

    if (impl.meter->averaging_time() != impl.timing.meter_averaging)
        impl.meter->set_averaging_time(impl.timing.meter_averaging);
    if (impl.monitor && impl.monitor->averaging_time() != impl.timing.meter_averaging)
        impl.monitor->set_averaging_time(impl.timing.meter_averaging);
    impl.records = std::move(records);
    impl.wavelength_nm.reset();
    impl.launch_port = 0;
    impl.laser_may_be_on = false;  // prepare() leaves every source dark
    for (const auto& record : impl.records) {
        logger("bench")->info("{}: {} {} serial {} firmware {} on {}", record.name, record.vendor,
                              record.model, record.serial, record.firmware, record.resource);
    }
}

void Bench::check_calibration(const std::string& today_iso) const {
    std::vector<std::string> overdue;
    for (const auto& config : impl_->station.instruments) {
        if (config.calibration_due && *config.calibration_due < today_iso) {
            overdue.push_back(fmt::format("{} ({}) was due {}", config.name, config.model,
                                          *config.calibration_due));
        }
    }
    if (!overdue.empty()) {
        throw Refused(fmt::format("calibration overdue on {} (today is {}): {}",
                                  impl_->station.name, today_iso, fmt::join(overdue, "; ")));
    }
}

void Bench::set_stop_request(const StopRequest* stop) {
    impl_->stop = stop;
}

void Bench::check_stop() const {
    throw_if_stopped(impl_->stop);
}

void Bench::laser_off() {
    Impl& impl = *impl_;
    if (!impl.laser_may_be_on)
        return;
    // The next selection sends the wavelength again, which lights the laser.
    impl.wavelength_nm.reset();
    impl.source_settling = false;
    impl.source->set_output(false);
    impl.laser_may_be_on = false;
    logger("bench")->debug("source: laser off");
}

int Bench::take_retries() {
    const int used = impl_->retry_budget->used();
    impl_->retry_budget->reset();
    return used;
}

const StationConfig& Bench::station() const {
    return impl_->station;
}

const BenchTiming& Bench::timing() const {
    return impl_->timing;
}

std::vector<InstrumentRecord> Bench::instruments() const {
    return impl_->records;
}

drivers::LightSource& Bench::source() {
    return *impl_->source;
}

drivers::OpticalSwitch& Bench::launch_switch() {
    return *impl_->launch_switch;
}

drivers::PowerMeter& Bench::meter() {
    return *impl_->meter;
}

void Bench::check_error_queues(std::string_view after) {
    check_stop();
    for (const auto& member : impl_->members())
        member.instrument->check_errors(after);
}

drivers::ReturnLossMeter* Bench::return_loss_meter() {
    return impl_->return_loss.get();
}

drivers::PowerMeter* Bench::monitor() {
    return impl_->monitor.get();
}

void Bench::apply_timing(FiberMode mode, std::optional<std::chrono::microseconds> rl_window) {
    Impl& impl = *impl_;
    check_stop();
    if (impl.meter->averaging_time() != impl.timing.meter_averaging)
        impl.meter->set_averaging_time(impl.timing.meter_averaging);
    if (impl.monitor && impl.monitor->averaging_time() != impl.timing.meter_averaging)
        impl.monitor->set_averaging_time(impl.timing.meter_averaging);
    if (impl.return_loss) {
        const auto wanted = rl_window               ? *rl_window
                            : mode == FiberMode::MM ? impl.timing.rl_averaging_pc
                                                    : impl.timing.rl_averaging_apc;
        if (impl.return_loss->averaging_time() != wanted)
            impl.return_loss->set_averaging_time(wanted);
    }
}

void Bench::select_wavelength_nm(int wavelength_nm) {
    Impl& impl = *impl_;
    check_stop();
    if (impl.wavelength_nm == wavelength_nm)
        return;
    // Unknown until every instrument has taken the new wavelength.
    impl.wavelength_nm.reset();
    const auto nm = static_cast<double>(wavelength_nm);
    impl.laser_may_be_on = true;
    impl.source->select_wavelength_nm(nm);
    impl.source_settling = true;
    // The meters take their calibration wavelength while the laser settles.
    impl.meter->set_wavelength_nm(nm);
    if (impl.return_loss)
        impl.return_loss->set_wavelength_nm(nm);
    if (impl.monitor)
        impl.monitor->set_wavelength_nm(nm);
    impl.wavelength_nm = wavelength_nm;
}

void Bench::wait_until_source_stable() {
    Impl& impl = *impl_;
    check_stop();
    if (!impl.source_settling)
        return;
    impl.source->wait_stable();
    impl.source_settling = false;
}

std::optional<int> Bench::wavelength_nm() const {
    return impl_->wavelength_nm;
}

std::vector<int> Bench::wavelength_order(const std::vector<int>& wanted) const {
    std::vector<int> order = wanted;
    if (const auto current = impl_->wavelength_nm) {
        const auto found = std::find(order.begin(), order.end(), *current);
        if (found != order.end())
            std::rotate(order.begin(), found, order.end());
    }
    return order;
}

void Bench::route_launch(int port) {
    Impl& impl = *impl_;
    check_stop();
    if (impl.launch_port == port)
        return;
    impl.launch_port = 0;
    impl.launch_switch->route(port);
    impl.launch_port = port;
}

int Bench::launch_port() const {
    return impl_->launch_port;
}

LaunchReading Bench::read_launch(bool with_return_loss) {
    Impl& impl = *impl_;
    drivers::ReturnLossMeter* return_loss = with_return_loss ? impl.return_loss.get() : nullptr;
    check_stop();
    impl.meter->start_measurement();
    if (impl.monitor)
        impl.monitor->start_measurement();
    if (return_loss)
        return_loss->start_measurement();
    LaunchReading reading;
    reading.far_end = impl.meter->read_all_dbm();
    if (return_loss)
        reading.return_loss = return_loss->read_rl_db();
    // Its window started with the meter's and is as long: over by now.
    if (impl.monitor)
        reading.monitor = impl.monitor->read_all_dbm().at(0);
    return reading;
}

drivers::ReturnLossReading Bench::read_return_loss() {
    Impl& impl = *impl_;
    check_stop();
    if (!impl.return_loss) {
        throw BenchConfigurationError(
            fmt::format("station {} has no return-loss meter", impl.station.name));
    }
    impl.return_loss->start_measurement();
    return impl.return_loss->read_rl_db();
}

std::optional<drivers::PowerReading> Bench::read_monitor() {
    Impl& impl = *impl_;
    check_stop();
    if (!impl.monitor)
        return std::nullopt;
    impl.monitor->start_measurement();
    return impl.monitor->read_all_dbm().at(0);
}

}  // namespace mpobench::acquisition
