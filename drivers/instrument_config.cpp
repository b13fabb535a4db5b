#include "drivers/instrument_config.hpp"

namespace mpobench::drivers {

std::string_view to_string(Role role) {
    switch (role) {
        case Role::PowerMeter:
            return "power meter";
        case Role::LightSource:
            return "light source";
        case Role::OpticalSwitch:
            return "optical switch";
        case Role::ReturnLossMeter:
            return "return-loss meter";
    }
    return "unknown role";
}

}  // namespace mpobench::drivers
