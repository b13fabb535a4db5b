#include "web/sessions.hpp"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <stdexcept>

namespace mpobench::web {

namespace {

constexpr auto kForgetAfter = std::chrono::minutes(15);
constexpr auto kFirstWait = std::chrono::seconds(30);
constexpr auto kLongestWait = std::chrono::seconds(15 * 60);

std::string user_key(const std::string& user, const std::string& address) {
    return user + '\n' + address;
}

}  // namespace

std::string random_token() {
    if (sodium_init() < 0)
        throw std::runtime_error("libsodium could not be initialised");
    std::array<unsigned char, 32> bytes{};
    randombytes_buf(bytes.data(), bytes.size());
    std::array<char, 2 * 32 + 1> hex{};
    sodium_bin2hex(hex.data(), hex.size(), bytes.data(), bytes.size());
    return hex.data();
}

Session SessionStore::create(const std::string& user, db::UserRole role, const std::string& address,
                             Clock::time_point now) {
    Session session{random_token(), random_token(), user, role, address, now, now};
    std::lock_guard lock(mutex_);
    sessions_[session.token] = session;
    return session;
}

Clock::time_point SessionStore::expires_at(const Session& session) const {
    return std::min(session.last_seen + limits_.idle, session.created_at + limits_.absolute);
}

std::optional<Session> SessionStore::find(const std::string& token, Clock::time_point now) {
    std::lock_guard lock(mutex_);
    const auto found = sessions_.find(token);
    if (found == sessions_.end())
        return std::nullopt;
    if (now >= expires_at(found->second)) {
        sessions_.erase(found);
        return std::nullopt;
    }
    found->second.last_seen = now;
    return found->second;
}

void SessionStore::remove(const std::string& token) {
    std::lock_guard lock(mutex_);
    sessions_.erase(token);
}

void SessionStore::remove_user(const std::string& user) {
    std::lock_guard lock(mutex_);
    std::erase_if(sessions_, [&](const auto& entry) { return entry.second.user == user; });
}

void SessionStore::keep_users(const std::map<std::string, db::UserRole>& enabled,
                              Clock::time_point read_at) {
    std::lock_guard lock(mutex_);
    std::erase_if(sessions_, [&](const auto& entry) {
        if (entry.second.created_at >= read_at)
            return false;
        const auto user = enabled.find(entry.second.user);
        return user == enabled.end() || user->second != entry.second.role;
    });
}

std::optional<std::chrono::seconds> LoginThrottle::wait_for(std::map<std::string, Failures>& table,
                                                            const std::string& key, int allowed,
                                                            Clock::time_point now) {
    const auto found = table.find(key);
    if (found == table.end())
        return std::nullopt;
    const Failures& failures = found->second;
    if (now - failures.last >= kForgetAfter) {
        table.erase(found);
        return std::nullopt;
    }
    if (failures.count < allowed)
        return std::nullopt;
    const int doublings = std::min(failures.count - allowed, 5);
    const auto wait = std::min<std::chrono::seconds>(kFirstWait * (1 << doublings), kLongestWait);
    const auto left = std::chrono::ceil<std::chrono::seconds>(failures.last + wait - now);
    if (left <= std::chrono::seconds(0))
        return std::nullopt;
    return left;
}

std::optional<std::chrono::seconds> LoginThrottle::wait(const std::string& user,
                                                        const std::string& address,
                                                        Clock::time_point now) {
    std::lock_guard lock(mutex_);
    const auto for_user = wait_for(by_user_, user_key(user, address), kFailuresPerUser, now);
    const auto for_address = wait_for(by_address_, address, kFailuresPerAddress, now);
    if (for_user && for_address)
        return std::max(*for_user, *for_address);
    return for_user ? for_user : for_address;
}

void LoginThrottle::failed(const std::string& user, const std::string& address,
                           Clock::time_point now) {
    std::lock_guard lock(mutex_);
    for (auto* entry : {&by_user_[user_key(user, address)], &by_address_[address]}) {
        if (entry->count > 0 && now - entry->last >= kForgetAfter)
            entry->count = 0;
        ++entry->count;
        entry->last = now;
    }
}

void LoginThrottle::succeeded(const std::string& user, const std::string& address) {
    std::lock_guard lock(mutex_);
    by_user_.erase(user_key(user, address));
}

}  // namespace mpobench::web
