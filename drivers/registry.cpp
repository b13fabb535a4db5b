#include "drivers/registry.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <stdexcept>

#include "drivers/models/keysight_81610a.hpp"
#include "drivers/models/keysight_8165x.hpp"
#include "drivers/models/keysight_n773x.hpp"
#include "drivers/models/keysight_n774x.hpp"
#include "drivers/models/thorlabs_pm100.hpp"
#include "vocabulary/logger.hpp"

namespace mpobench::drivers {

namespace {

using Factory = std::function<std::unique_ptr<Instrument>(const InstrumentConfig&,
                                                          std::unique_ptr<ScpiSession>)>;

struct Model {
    ModelInfo info;
    Factory build;
};

template <typename Driver>
Factory factory() {
    return [](const InstrumentConfig& config,
              std::unique_ptr<ScpiSession> session) -> std::unique_ptr<Instrument> {
        return std::make_unique<Driver>(config, std::move(session));
    };
}

// Adding a model is adding a row.
const std::vector<Model>& models() {
    static const std::vector<Model> table = {
        {{std::string(KeysightN774x::model_key), Role::PowerMeter,
          "Keysight N7744/N7745 multiport power meter"},
         factory<KeysightN774x>()},
        {{std::string(ThorlabsPm100::model_key), Role::PowerMeter,
          "Thorlabs PM100 family single-channel power meter"},
         factory<ThorlabsPm100>()},
        {{std::string(Keysight8165x::model_key), Role::LightSource,
          "Keysight 8165x source modules in an 8163/8164/8166 mainframe"},
         factory<Keysight8165x>()},
        {{std::string(KeysightN773x::model_key), Role::OpticalSwitch,
          "Keysight N7731C/N7734C 1xN optical switch"},
         factory<KeysightN773x>()},
        {{std::string(Keysight81610a::model_key), Role::ReturnLossMeter,
          "Keysight 81610A return loss module in an 8163/8164/8166 mainframe"},
         factory<Keysight81610a>()},
    };
    return table;
}

ErrorContext config_context(const InstrumentConfig& config) {
    return ErrorContext{config.name, config.resource, "", std::nullopt, {}};
}

std::string known_keys(std::optional<Role> role) {
    std::string text;
    for (const Model& model : models()) {
        if (role && model.info.role != *role)
            continue;
        if (!text.empty())
            text += ", ";
        text += fmt::format("{} ({})", model.info.key, to_string(model.info.role));
    }
    return text;
}

const Model& find_model(const InstrumentConfig& config) {
    const auto& table = models();
    const auto found = std::find_if(table.begin(), table.end(), [&](const Model& model) {
        return model.info.key == config.model;
    });
    if (found == table.end()) {
        throw InstrumentError(ErrorKind::Configuration, config_context(config),
                              fmt::format("unknown instrument model '{}'; known models: {}",
                                          config.model, known_keys(std::nullopt)));
    }
    if (found->info.role != config.role) {
        throw InstrumentError(
            ErrorKind::Configuration, config_context(config),
            fmt::format("model '{}' is a {}, but the station file uses it as a {}; {} models: {}",
                        config.model, to_string(found->info.role), to_string(config.role),
                        to_string(config.role), known_keys(config.role)));
    }
    return *found;
}

std::unique_ptr<Instrument> build(const InstrumentConfig& config, SessionPool* pool) {
    const Model& model = find_model(config);
    return model.build(config, pool ? pool->session(config) : make_session(config));
}

template <typename RoleInterface>
std::unique_ptr<RoleInterface> make_role(const InstrumentConfig& config, Role role,
                                         SessionPool* pool) {
    if (config.role != role) {
        throw InstrumentError(ErrorKind::Configuration, config_context(config),
                              fmt::format("instrument '{}' is configured as a {}, not a {}",
                                          config.name, to_string(config.role), to_string(role)));
    }
    std::unique_ptr<Instrument> instrument = build(config, pool);
    auto* typed = dynamic_cast<RoleInterface*>(instrument.get());
    if (typed == nullptr) {
        throw std::logic_error(fmt::format("model table: '{}' does not implement the {} role",
                                           config.model, to_string(role)));
    }
    instrument.release();
    return std::unique_ptr<RoleInterface>(typed);
}

}  // namespace

const std::vector<ModelInfo>& known_models() {
    static const std::vector<ModelInfo> infos = [] {
        std::vector<ModelInfo> list;
        for (const Model& model : models())
            list.push_back(model.info);
        return list;
    }();
    return infos;
}

namespace {

Resource parsed_resource(const InstrumentConfig& config) {
    try {
        return parse_resource(config.resource);
    } catch (const std::invalid_argument& error) {
        throw InstrumentError(ErrorKind::Configuration, config_context(config), error.what());
    }
}

SessionOptions session_options(const InstrumentConfig& config, const Resource& resource,
                               std::shared_ptr<RetryBudget> budget) {
    SessionOptions options;
    options.role = config.name;
    options.write_terminator = config.write_terminator;
    options.read_terminator = config.read_terminator;
    options.timeout = config.timeout;
    options.resync_on_connect = std::holds_alternative<SerialResource>(resource);
    options.retry_budget = std::move(budget);
    return options;
}

bool same_line(const SerialSettings& a, const SerialSettings& b) {
    return a.baud == b.baud && a.data_bits == b.data_bits && a.parity == b.parity &&
           a.stop_bits == b.stop_bits && a.flow_control == b.flow_control;
}

}  // namespace

std::unique_ptr<ScpiSession> make_session(const InstrumentConfig& config) {
    const Resource resource = parsed_resource(config);
    return std::make_unique<ScpiSession>(make_transport(resource, config.transport),
                                         session_options(config, resource, nullptr));
}

SessionPool::SessionPool(std::shared_ptr<RetryBudget> budget) : budget_(std::move(budget)) {}

SessionPool::~SessionPool() = default;

std::unique_ptr<ScpiSession> SessionPool::session(const InstrumentConfig& config) {
    const Resource resource = parsed_resource(config);
    std::lock_guard lock(mutex_);
    const std::string key = format_resource(resource);
    auto options = session_options(config, resource, budget_);
    const auto found = by_resource_.find(key);
    if (found == by_resource_.end()) {
        auto origin =
            std::make_unique<ScpiSession>(make_transport(resource, config.transport), options);
        auto session = origin->share(std::move(options));
        by_resource_.emplace(key, Shared{config.name, config, std::move(origin)});
        return session;
    }
    const Shared& shared = found->second;
    const bool serial = std::holds_alternative<SerialResource>(resource);
    if (serial && !same_line(shared.config.transport.serial, config.transport.serial)) {
        throw InstrumentError(
            ErrorKind::Configuration, config_context(config),
            fmt::format("shares {} with {} but not its serial settings (baud, data bits, parity, "
                        "stop bits, flow control must agree)",
                        key, shared.first));
    }
    try {
        auto session = shared.origin->share(std::move(options));
        logger("drivers")->info("{}: shares {} with {} (one connection, exchanges serialised)",
                                config.name, key, shared.first);
        return session;
    } catch (const std::invalid_argument& error) {
        throw InstrumentError(ErrorKind::Configuration, config_context(config), error.what());
    }
}

std::unique_ptr<PowerMeter> make_power_meter(const InstrumentConfig& config, SessionPool* pool) {
    return make_role<PowerMeter>(config, Role::PowerMeter, pool);
}

std::unique_ptr<LightSource> make_light_source(const InstrumentConfig& config, SessionPool* pool) {
    return make_role<LightSource>(config, Role::LightSource, pool);
}

std::unique_ptr<OpticalSwitch> make_optical_switch(const InstrumentConfig& config,
                                                   SessionPool* pool) {
    return make_role<OpticalSwitch>(config, Role::OpticalSwitch, pool);
}

std::unique_ptr<ReturnLossMeter> make_return_loss_meter(const InstrumentConfig& config,
                                                        SessionPool* pool) {
    return make_role<ReturnLossMeter>(config, Role::ReturnLossMeter, pool);
}

std::unique_ptr<Instrument> make_instrument(const InstrumentConfig& config, SessionPool* pool) {
    return build(config, pool);
}

}  // namespace mpobench::drivers
