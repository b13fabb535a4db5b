// `mpobench user add|list|disable`: who may log in to the station's pages.

#include <fmt/format.h>
#include <termios.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <fstream>
#include <iostream>
#include <type_traits>

#include "analysis/identifiers.hpp"
#include "analysis/passwords.hpp"
#include "app/audit.hpp"
#include "app/commands.hpp"
#include "app/guarded.hpp"
#include "app/plant_source.hpp"
#include "app/run_json.hpp"
#include "app/station_session.hpp"
#include "app/test_flow.hpp"
#include "db/plant_config.hpp"
#include "db/plant_read.hpp"

namespace mpobench::app {

namespace {

// One line read from the terminal with its echo off (restored whatever
// happens); nullopt at the end of input.
std::optional<std::string> read_hidden_line(const std::string& prompt) {
    termios saved{};
    const bool terminal = ::tcgetattr(STDIN_FILENO, &saved) == 0;
    if (terminal) {
        termios quiet = saved;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    // The prompt only once the echo is off: what is typed as soon as it
    // shows is neither echoed nor flushed away with what came before it.
    fmt::print(stderr, "{}", prompt);
    std::fflush(stderr);
    std::string line;
    const bool read = static_cast<bool>(std::getline(std::cin, line));
    if (terminal)
        ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
    fmt::print(stderr, "\n");
    if (!read)
        return std::nullopt;
    if (!line.empty() && line.back() == '\r')
        line.pop_back();
    return line;
}

std::string new_password(const UserAddOptions& options) {
    std::string password;
    if (!options.password_file.empty()) {
        std::ifstream in(options.password_file);
        if (!in || !std::getline(in, password)) {
            throw UsageError(fmt::format("--password-file {}: cannot read a password from it",
                                         options.password_file.string()));
        }
        if (!password.empty() && password.back() == '\r')
            password.pop_back();
    } else {
        if (::isatty(STDIN_FILENO) != 1) {
            throw UsageError("no terminal to read the password from: give --password-file FILE");
        }
        const auto first = read_hidden_line(fmt::format("password for {}: ", options.name));
        const auto again = read_hidden_line("the same password again: ");
        if (!first || !again)
            throw UsageError("no password typed");
        if (*first != *again)
            throw UsageError("the two passwords differ; nothing was changed");
        password = *first;
    }
    if (const auto problem = analysis::password_problem(password))
        throw UsageError(*problem);
    return password;
}

// The users of the plant (--db postgresql://...) or of the station database.
template <typename Body>
auto on_user_store(const std::filesystem::path& db_option, bool writes, Body body) {
    if (db::plant::is_plant_url(db_option.string())) {
        db::plant::ConfigStore store(db_option.string());
        return body(store);
    }
    if (writes) {
        db::Repository repository(database_path(db_option));
        return body(repository);
    }
    db::Repository repository = open_database_for_reading(db_option);
    return body(repository);
}

template <typename Store>
constexpr bool plant_store = std::is_same_v<Store, db::plant::ConfigStore>;

// A station user the plant keeps is changed at the plant: the station's next
// fetch would undo a change made here.
void refuse_plant_user(const db::User& user, std::string_view change) {
    if (user.from_plant)
        throw acquisition::Refused(
            fmt::format("user {} comes from the station's plant: {} them there (mpobench user ... "
                        "--db postgresql://...); the station's next fetch would undo it here",
                        user.name, change));
}

}  // namespace

int run_user_add(const UserAddOptions& options) {
    return plant_guarded("user add", [&] {
        const auto role = db::parse_user_role(options.role);
        if (!role)
            throw UsageError(
                fmt::format("--role {}: not one of operator, qa, admin", options.role));
        db::User user;
        user.name = analysis::validate_operator_name(options.name);
        user.role = *role;
        return on_user_store(options.db, true, [&](auto& store) {
            using Store = std::decay_t<decltype(store)>;
            if (store.user(user.name))
                throw UsageError(fmt::format("there is a user {} already", user.name));
            user.password_hash = analysis::hash_password(new_password(options));
            user.created_at = std::chrono::system_clock::now();
            user.created_by = login_name();
            store.add_user(user);
            if constexpr (!plant_store<Store>) {
                audit_cli_act(
                    store, "user.add", "",
                    {{"user", user.name}, {"role", std::string(db::to_string(user.role))}});
            }
            fmt::print("user {} added ({}){}\n", user.name, db::to_string(user.role),
                       plant_store<Store> ? " to the plant: each station takes it at its next test "
                                            "or within 30 s (mpobench serve)"
                                          : "");
            return static_cast<int>(kPassed);
        });
    });
}

int run_user_list(const UserListOptions& options) {
    return plant_guarded("user list", [&] {
        const auto users =
            on_user_store(options.db, false, [](auto& store) { return store.users(); });
        if (options.json) {
            auto out = nlohmann::json::array();
            for (const auto& user : users) {
                out.push_back(
                    {{"name", user.name},
                     {"role", std::string(db::to_string(user.role))},
                     {"created_at", iso_utc(user.created_at)},
                     {"created_by", user.created_by},
                     {"badge", user.has_badge},
                     {"disabled_at", user.disabled_at ? nlohmann::json(iso_utc(*user.disabled_at))
                                                      : nlohmann::json(nullptr)}});
            }
            fmt::print("{}\n", json_text(out));
            return static_cast<int>(kPassed);
        }
        if (users.empty()) {
            fmt::print("no users yet (mpobench user add NAME --role admin)\n");
            return static_cast<int>(kPassed);
        }
        fmt::print("{:<20} {:<9} {:<24} {:<12} {:<6} {}\n", "USER", "ROLE", "ADDED (UTC)", "BY",
                   "BADGE", "STATE");
        for (const auto& user : users) {
            fmt::print("{:<20} {:<9} {:<24} {:<12} {:<6} {}\n", user.name, db::to_string(user.role),
                       iso_utc(user.created_at), user.created_by, user.has_badge ? "yes" : "-",
                       user.disabled_at ? "disabled " + iso_utc(*user.disabled_at) : "enabled");
        }
        return static_cast<int>(kPassed);
    });
}

int run_user_disable(const UserDisableOptions& options) {
    return plant_guarded("user disable", [&] {
        return on_user_store(options.db, true, [&](auto& store) {
            const auto user = store.user(options.name);
            if (!user)
                throw UsageError(fmt::format("there is no user {}", options.name));
            if (user->disabled_at)
                throw UsageError(fmt::format("user {} is disabled already", options.name));
            if constexpr (plant_store<std::decay_t<decltype(store)>>) {
                store.disable_user(options.name, login_name());
            } else {
                refuse_plant_user(*user, "disable");
                store.disable_user(options.name);
                audit_cli_act(store, "user.disable", "", {{"user", options.name}});
            }
            fmt::print("user {} disabled\n", options.name);
            return static_cast<int>(kPassed);
        });
    });
}

int run_user_badge(const UserBadgeOptions& options) {
    return plant_guarded("user badge", [&] {
        return on_user_store(options.db, true, [&](auto& store) {
            const auto user = store.user(options.name);
            if (!user)
                throw UsageError(fmt::format("there is no user {}", options.name));
            if (user->disabled_at)
                throw UsageError(fmt::format("user {} is disabled", options.name));
            std::string badge;
            if (!options.badge_file.empty()) {
                std::ifstream in(options.badge_file);
                if (!in || !std::getline(in, badge)) {
                    throw UsageError(
                        fmt::format("--badge-file {}: cannot read a badge code from it",
                                    options.badge_file.string()));
                }
            } else {
                if (::isatty(STDIN_FILENO) != 1)
                    throw UsageError("no terminal to scan the badge at: give --badge-file FILE");
                const auto scanned =
                    read_hidden_line(fmt::format("scan {}'s badge: ", options.name));
                if (!scanned)
                    throw UsageError("no badge scanned");
                badge = *scanned;
            }
            while (!badge.empty() && (badge.back() == '\r' || badge.back() == '\n'))
                badge.pop_back();
            if (const auto problem = analysis::badge_problem(badge))
                throw UsageError(*problem);
            if constexpr (plant_store<std::decay_t<decltype(store)>>) {
                store.set_badge(user->name, analysis::badge_digest(badge), login_name());
            } else {
                refuse_plant_user(*user, "register a badge for");
                store.set_badge(user->name, analysis::badge_digest(badge));
                audit_cli_act(store, "user.badge", "", {{"user", user->name}});
            }
            fmt::print(
                "user {} logs in with the badge scanned (any earlier badge of theirs no longer "
                "does)\n",
                user->name);
            return static_cast<int>(kPassed);
        });
    });
}

}  // namespace mpobench::app
