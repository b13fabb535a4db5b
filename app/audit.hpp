#pragma once
// What this command line or the web server did to the record, in the audit
// log (analysis/audit.hpp): the source, the OS user, the host (this one, or
// the web client's address), and the name given (--operator, --by, the login).

#include <string>

#include <nlohmann/json.hpp>

#include "db/repository.hpp"

namespace mpobench::app {

// Appends one entry. Throws db::DatabaseError when it cannot be written.
void audit_cli_act(db::Repository& repository, const std::string& action, const std::string& actor,
                   const nlohmann::json& detail);

// The same for the web server: source "web", the logged-in user (empty for
// a failed login's unknown name), the client's address as the host.
void audit_web_act(db::Repository& repository, const std::string& action, const std::string& actor,
                   const std::string& address, const nlohmann::json& detail);

}  // namespace mpobench::app
