#pragma once
// The read commands on the plant (--db postgresql://...): their failures
// as every command's (guarded), and a connection string holding a password
// a usage error (2) like sync's. README: "Reading the plant".

#include <string_view>

#include "app/guarded.hpp"
#include "db/plant.hpp"

namespace mpobench::app {

// Unreachable plant and other plant faults: 3 (guarded's std::exception);
// a password in the connection string, or one libpq cannot parse: 2; a
// change of the plant's configuration its rules refuse: 4.
template <typename Body>
int plant_guarded(std::string_view command, Body body) {
    return guarded(command, [&] {
        try {
            return body();
        } catch (const db::plant::PlantUrlError& error) {
            throw UsageError(error.what());
        } catch (const db::plant::PlantConfigRefused& error) {
            throw acquisition::Refused(error.what());
        }
    });
}

}  // namespace mpobench::app
