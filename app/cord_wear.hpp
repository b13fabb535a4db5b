#pragma once
// Cord wear (station file [[cords]]): every plug the bench asks for wears the
// connectors of the cords in the path; past a cord's limit the bench no
// longer measures like the cord its reference was taken with. The run
// lifecycle checks the wear before touching an instrument and counts each
// mating as the operator performs it.

#include <memory>
#include <string>
#include <vector>

#include "acquisition/operator.hpp"
#include "acquisition/station.hpp"
#include "db/repository.hpp"

namespace mpobench::app {

enum class CordState { Ok, Warn, Worn };
std::string_view to_string(CordState state);  // "ok", "warn", "worn"

struct CordStatus {
    acquisition::CordConfig cord;
    db::CordWear wear;
    CordState state = CordState::Ok;
};

// Every cord the station file names, with its wear as the database has it.
std::vector<CordStatus> cord_statuses(const acquisition::StationConfig& station,
                                      const db::Repository& repository);

// Throws acquisition::Refused (exit 4) naming each cord at or past its
// mating limit and what to do; logs a warning for each past its warning
// count.
void check_cord_wear(const acquisition::StationConfig& station, const db::Repository& repository);

// The operator, counting one mating on each cord a step plugs
// (acquisition::mates_cord) once the step is done. A count that cannot be
// stored throws db::DatabaseError: the run ends on a storage fault.
std::unique_ptr<acquisition::Operator> counting_cord_matings(
    std::unique_ptr<acquisition::Operator> op, const acquisition::StationConfig& station,
    db::Repository& repository);

}  // namespace mpobench::app
