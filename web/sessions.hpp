#pragma once
// Who is logged in to the web pages, and who may not try again yet. In
// memory: a restarted server asks everyone to log in again, which is what a
// station PC restarted by its technician should do.

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "db/repository.hpp"

namespace mpobench::web {

using Clock = std::chrono::system_clock;

struct Session {
    std::string token;       // the cookie's value: 32 random bytes, hex
    std::string csrf_token;  // the X-CSRF-Token every state-changing request repeats
    std::string user;
    db::UserRole role = db::UserRole::Operator;
    std::string address;  // where it logged in from
    Clock::time_point created_at{}, last_seen{};
};

struct SessionLimits {
    std::chrono::minutes idle{120};      // without a request
    std::chrono::minutes absolute{720};  // a shift and then some: log in again
};

class SessionStore {
  public:
    explicit SessionStore(SessionLimits limits = {}) : limits_(limits) {}

    Session create(const std::string& user, db::UserRole role, const std::string& address,
                   Clock::time_point now);
    // The session of `token`, its last_seen moved to `now`; nullopt for an
    // unknown or expired one (an expired one is forgotten).
    std::optional<Session> find(const std::string& token, Clock::time_point now);
    void remove(const std::string& token);
    // Every session of `user` (disabled, or their role changed).
    void remove_user(const std::string& user);
    // Ends every session made before `read_at` whose user is not among
    // these enabled users (read then), or has another role now (the plant's
    // users, changed at the plant).
    void keep_users(const std::map<std::string, db::UserRole>& enabled, Clock::time_point read_at);
    Clock::time_point expires_at(const Session& session) const;

  private:
    SessionLimits limits_;
    std::mutex mutex_;
    std::map<std::string, Session> sessions_;
};

// Failed logins slow down the next try: per user name and address after
// kFailuresPerUser failures, per address alone (many names tried from one
// place) after kFailuresPerAddress; each further failure doubles the wait
// (30 s, 1 min, 2 min ... at most 15 min). A window without failures for
// 15 min forgets them; a successful login forgets its user's.
class LoginThrottle {
  public:
    static constexpr int kFailuresPerUser = 5;
    static constexpr int kFailuresPerAddress = 20;

    // How long `user` from `address` must wait before the next try; nullopt: may try now.
    std::optional<std::chrono::seconds> wait(const std::string& user, const std::string& address,
                                             Clock::time_point now);
    void failed(const std::string& user, const std::string& address, Clock::time_point now);
    void succeeded(const std::string& user, const std::string& address);

  private:
    struct Failures {
        int count = 0;
        Clock::time_point last{};
    };
    std::optional<std::chrono::seconds> wait_for(std::map<std::string, Failures>& table,
                                                 const std::string& key, int allowed,
                                                 Clock::time_point now);
    std::mutex mutex_;
    std::map<std::string, Failures> by_user_;     // "user\naddress"
    std::map<std::string, Failures> by_address_;  // address
};

// 32 random bytes from libsodium, as 64 hex digits.
std::string random_token();

}  // namespace mpobench::web
