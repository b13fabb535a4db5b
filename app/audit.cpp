#include "app/audit.hpp"

#include <unistd.h>

#include <array>

#include "app/run_json.hpp"
#include "app/station_session.hpp"

namespace mpobench::app {

namespace {

std::string host_name() {
    std::array<char, 256> name{};
    if (::gethostname(name.data(), name.size() - 1) != 0 || name[0] == '\0')
        return "unknown";
    return name.data();
}

void append(db::Repository& repository, const std::string& source, const std::string& host,
            const std::string& action, const std::string& actor, const nlohmann::json& detail) {
    analysis::AuditEntry entry;
    entry.at = std::chrono::system_clock::now();
    entry.source = source;
    entry.os_user = login_name();
    entry.actor = actor;
    entry.host = host;
    entry.action = action;
    entry.detail = json_text(detail);
    repository.append_audit(std::move(entry));
}

}  // namespace

void audit_cli_act(db::Repository& repository, const std::string& action, const std::string& actor,
                   const nlohmann::json& detail) {
    append(repository, "cli", host_name(), action, actor, detail);
}

void audit_web_act(db::Repository& repository, const std::string& action, const std::string& actor,
                   const std::string& address, const nlohmann::json& detail) {
    append(repository, "web", address, action, actor, detail);
}

}  // namespace mpobench::app
