#pragma once
// What this command line did to the record, in the audit log
// (analysis/audit.hpp): source "cli", the OS user, this host, and the name
// the command was given (--operator, --by).

#include <string>

#include <nlohmann/json.hpp>

#include "db/repository.hpp"

namespace mpobench::app {

// Appends one entry. Throws db::DatabaseError when it cannot be written.
void audit_cli_act(db::Repository& repository, const std::string& action, const std::string& actor,
                   const nlohmann::json& detail);

}  // namespace mpobench::app
