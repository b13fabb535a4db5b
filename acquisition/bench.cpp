#include "acquisition/bench.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <exception>
#include <future>
#include <map>

#include "drivers/errors.hpp"
#include "drivers/registry.hpp"
#include "vocabulary/logger.hpp"

namespace mpobench::acquisition {

namespace {

// The names of the instruments in station files from before roles decided:
// a power meter named "monitor" without far positions is the tap monitor.
constexpr const char* kLegacyMonitorName = "monitor";

std::string station_file_name(const StationConfig& station) {
    return station.source_path.empty() ? std::string("the station") : station.source_path.string();
}

bool is_monitor(const drivers::InstrumentConfig& config) {
    return config.role == drivers::Role::PowerMeter &&
           (config.monitor || (config.name == kLegacyMonitorName && config.far_positions.empty()));
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

// The station's instruments sorted by what the bench uses them for.
struct Roles {
    const drivers::InstrumentConfig* source = nullptr;
    const drivers::InstrumentConfig* launch_switch = nullptr;
    const drivers::InstrumentConfig* return_loss = nullptr;
    const drivers::InstrumentConfig* monitor = nullptr;
    std::vector<const drivers::InstrumentConfig*> far_end;  // file order
};

Roles sort_by_role(const StationConfig& station) {
    const std::string file = station_file_name(station);
    Roles roles;
    const auto one = [&](const drivers::InstrumentConfig*& slot,
                         const drivers::InstrumentConfig& config, const char* what) {
        if (slot) {
            throw BenchConfigurationError(
                fmt::format("{}: instruments.{}: a second {} (instruments.{} is one); the bench "
                            "uses one",
                            file, config.name, what, slot->name));
        }
        slot = &config;
    };
    for (const auto& config : station.instruments) {
        switch (config.role) {
            case drivers::Role::LightSource:
                one(roles.source, config, "light_source");
                break;
            case drivers::Role::OpticalSwitch:
                one(roles.launch_switch, config, "optical_switch (launch switch)");
                break;
            case drivers::Role::ReturnLossMeter:
                one(roles.return_loss, config, "return_loss_meter");
                break;
            case drivers::Role::PowerMeter:
                if (is_monitor(config))
                    one(roles.monitor, config, "tap monitor (power_meter with monitor = true)");
                else
                    roles.far_end.push_back(&config);
                break;
        }
    }
    const auto missing = [&](const char* what) {
        std::vector<std::string> names;
        for (const auto& instrument : station.instruments)
            names.push_back(fmt::format("{} ({})", instrument.name, role_key(instrument.role)));
        return BenchConfigurationError(fmt::format(
            "{}: no {}; the bench needs a light_source, an optical_switch and a far-end "
            "power_meter (a return_loss_meter and a power_meter with monitor = true are "
            "optional); the file names: {}",
            file, what, names.empty() ? "none" : fmt::format("{}", fmt::join(names, ", "))));
    };
    if (!roles.source)
        throw missing("light_source");
    if (!roles.launch_switch)
        throw missing("optical_switch");
    if (roles.far_end.empty())
        throw missing("far-end power_meter");
    if (roles.far_end.size() > 1) {
        for (const auto* config : roles.far_end) {
            if (config->far_positions.empty()) {
                std::vector<std::string> names;
                for (const auto* other : roles.far_end)
                    names.push_back(other->name);
                throw BenchConfigurationError(fmt::format(
                    "{}: instruments.{}.far_positions: missing; with several far-end power "
                    "meters ({}) each names the far positions it serves (e.g. far_positions = "
                    "\"1-8\"), or a meter that taps the source says monitor = true",
                    file, config->name, fmt::join(names, ", ")));
            }
        }
    }
    return roles;
}

// Far positions 1..N, each served by exactly one meter channel; a meter
// names no more positions than the channels the file gives it.
void check_far_positions(const StationConfig& station,
                         const std::vector<const drivers::InstrumentConfig*>& far_end) {
    const std::string file = station_file_name(station);
    std::map<int, const drivers::InstrumentConfig*> served;
    for (const auto* config : far_end) {
        if (config->channels > 0 &&
            static_cast<int>(config->far_positions.size()) > config->channels) {
            throw BenchConfigurationError(fmt::format(
                "{}: instruments.{}.far_positions: names {} positions, beyond the meter's "
                "channels = {}",
                file, config->name, config->far_positions.size(), config->channels));
        }
        for (const int position : config->far_positions) {
            const auto [it, fresh] = served.emplace(position, config);
            if (!fresh) {
                throw BenchConfigurationError(
                    fmt::format("{}: instruments.{}.far_positions: position {} is also served by "
                                "instruments.{}",
                                file, config->name, position, it->second->name));
            }
        }
    }
    int expected = 1;
    for (const auto& [position, config] : served) {
        if (position != expected) {
            std::vector<std::string> given;
            for (const auto* meter : far_end)
                given.push_back(fmt::format("instruments.{}.far_positions", meter->name));
            throw BenchConfigurationError(fmt::format(
                "{}: far position {} is served by no meter ({}): the positions run from 1 "
                "without a gap",
                file, expected, fmt::join(given, ", ")));
        }
        ++expected;
    }
}

}  // namespace

struct Bench::Impl {
    // A far-end meter and the far positions its channels 1, 2, ... serve.
    struct FarMeter {
        const drivers::InstrumentConfig* config;
        std::unique_ptr<drivers::PowerMeter> meter;
        std::vector<int> positions;  // from the file; 1..channels of the one meter when not given
    };

    StationConfig station;
    BenchTiming timing;
    // Every session spends its retries from this (station retry_budget).
    std::shared_ptr<drivers::RetryBudget> retry_budget;
    std::unique_ptr<drivers::LightSource> source;
    std::unique_ptr<drivers::OpticalSwitch> launch_switch;
    std::vector<FarMeter> far_meters;  // station-file order
    std::unique_ptr<drivers::ReturnLossMeter> return_loss;
    std::unique_ptr<drivers::PowerMeter> monitor;
    std::vector<InstrumentRecord> records;  // filled by connect()
    // far position p (index p - 1) -> the meter and its channel; after connect()
    std::vector<FarEndPort> ports;

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
    std::vector<Member> members;  // every instrument, in station-file order

    // Every power meter the bench reads in one window: the far end's and the monitor.
    template <typename Each>
    void each_power_meter(Each each) {
        for (auto& far : far_meters)
            each(*far.meter);
        if (monitor)
            each(*monitor);
    }

    void set_meter_averaging() {
        each_power_meter([this](drivers::PowerMeter& meter) {
            if (meter.averaging_time() != timing.meter_averaging)
                meter.set_averaging_time(timing.meter_averaging);
        });
    }
};

Bench::Bench(StationConfig station, BenchTiming timing) : impl_(std::make_unique<Impl>()) {
    Impl& impl = *impl_;
    impl.station = std::move(station);
    impl.timing = timing;
    const StationConfig& s = impl.station;
    const Roles roles = sort_by_role(s);
    check_far_positions(s, roles.far_end);
    impl.retry_budget = std::make_shared<drivers::RetryBudget>(s.retry_budget);
    // Instruments that name one resource (modules of one mainframe) share
    // its connection: one session per resource, exchanges serialised.
    drivers::SessionPool pool(impl.retry_budget);
    impl.source = build<drivers::LightSource>(s, roles.source, pool, drivers::make_light_source);
    impl.launch_switch =
        build<drivers::OpticalSwitch>(s, roles.launch_switch, pool, drivers::make_optical_switch);
    for (const auto* config : roles.far_end) {
        impl.far_meters.push_back(
            {config, build<drivers::PowerMeter>(s, config, pool, drivers::make_power_meter),
             config->far_positions});
    }
    impl.return_loss = build<drivers::ReturnLossMeter>(s, roles.return_loss, pool,
                                                       drivers::make_return_loss_meter);
    impl.monitor = build<drivers::PowerMeter>(s, roles.monitor, pool, drivers::make_power_meter);
    for (const auto& config : s.instruments) {
        drivers::Instrument* instrument = nullptr;
        if (&config == roles.source)
            instrument = impl.source.get();
        else if (&config == roles.launch_switch)
            instrument = impl.launch_switch.get();
        else if (&config == roles.return_loss)
            instrument = impl.return_loss.get();
        else if (&config == roles.monitor)
            instrument = impl.monitor.get();
        for (auto& far : impl.far_meters) {
            if (far.config == &config)
                instrument = far.meter.get();
        }
        impl.members.push_back({&config, instrument});
    }
}

Bench::~Bench() = default;

void Bench::connect() {
    Impl& impl = *impl_;
    const auto& members = impl.members;
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

    // Which meter channel serves each far position, now that every meter
    // knows its channels.
    std::vector<FarEndPort> ports;
    for (auto& far : impl.far_meters) {
        const int channels = far.meter->channel_count();
        if (far.config->far_positions.empty()) {
            far.positions.clear();
            for (int position = 1; position <= channels; ++position)
                far.positions.push_back(position);
        } else if (static_cast<int>(far.positions.size()) > channels) {
            throw BenchConfigurationError(fmt::format(
                "{}: instruments.{}.far_positions: names {} positions, but the meter has {} "
                "channels",
                file, far.config->name, far.positions.size(), channels));
        }
        for (std::size_t i = 0; i < far.positions.size(); ++i) {
            const auto position = static_cast<std::size_t>(far.positions[i]);
            if (ports.size() < position)
                ports.resize(position);
            ports[position - 1] = {far.meter.get(), static_cast<int>(i) + 1};
        }
    }
    impl.ports = std::move(ports);
    impl.set_meter_averaging();
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

int Bench::far_position_count() const {
    return static_cast<int>(impl_->ports.size());
}

FarEndPort Bench::far_end_port(int far_position) const {
    const auto& ports = impl_->ports;
    if (far_position < 1 || far_position > static_cast<int>(ports.size())) {
        throw std::out_of_range(fmt::format("far position {} is outside 1..{} of {}", far_position,
                                            ports.size(), impl_->station.name));
    }
    return ports[static_cast<std::size_t>(far_position - 1)];
}

std::vector<drivers::PowerMeter*> Bench::far_end_meters() {
    std::vector<drivers::PowerMeter*> out;
    for (auto& far : impl_->far_meters)
        out.push_back(far.meter.get());
    return out;
}

void Bench::check_error_queues(std::string_view after) {
    check_stop();
    for (const auto& member : impl_->members)
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
    impl.set_meter_averaging();
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
    impl.each_power_meter([nm](drivers::PowerMeter& meter) { meter.set_wavelength_nm(nm); });
    if (impl.return_loss)
        impl.return_loss->set_wavelength_nm(nm);
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
    // Every window starts before any is collected: the launch costs one
    // window however many meters the far end has.
    impl.each_power_meter([](drivers::PowerMeter& meter) { meter.start_measurement(); });
    if (return_loss)
        return_loss->start_measurement();
    LaunchReading reading;
    reading.far_end.resize(impl.ports.size());
    for (auto& far : impl.far_meters) {
        auto readings = far.meter->read_all_dbm();
        if (readings.size() < far.positions.size()) {
            throw drivers::InstrumentError(
                drivers::ErrorKind::Protocol,
                {far.meter->role(), far.meter->resource(), "", std::nullopt},
                fmt::format("{} readings from one window, for {} far positions", readings.size(),
                            far.positions.size()));
        }
        for (std::size_t i = 0; i < far.positions.size(); ++i)
            reading.far_end[static_cast<std::size_t>(far.positions[i] - 1)] =
                std::move(readings[i]);
    }
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
