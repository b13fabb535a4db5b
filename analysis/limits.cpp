#include "analysis/limits.hpp"

#include <fmt/format.h>
#include <sodium.h>

#include <toml++/toml.h>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>

namespace mpobench::analysis {
namespace {

constexpr std::array<Grade, 3> kGrades{Grade::Generic, Grade::Standard, Grade::Elite};
constexpr std::array<FiberMode, 2> kModes{FiberMode::MM, FiberMode::SM};

// A limit of GradeLimits, read and written through one interface whether it
// is required or (the RL minimum) optional.
struct LimitKey {
    std::string_view name;
    double GradeLimits::*member;                 // a required limit, or
    std::optional<double> GradeLimits::*absent;  // an optional one
    bool higher_is_stricter;  // RL: a higher minimum is stricter; IL and ΔIL: a lower maximum

    std::optional<double> get(const GradeLimits& limits) const {
        return member ? std::optional<double>(limits.*member) : limits.*absent;
    }
    void set(GradeLimits& limits, double value) const {
        if (member)
            limits.*member = value;
        else
            limits.*absent = value;
    }
    bool required() const { return member != nullptr; }
};

constexpr std::array<LimitKey, 4> kLimitKeys{{
    {"il_typical_db", &GradeLimits::il_typical_db, nullptr, false},
    {"il_max_db", &GradeLimits::il_max_db, nullptr, false},
    {"rl_min_db", nullptr, &GradeLimits::rl_min_db, true},
    {"repeatability_max_db", &GradeLimits::repeatability_max_db, nullptr, false},
}};

std::size_t grade_index(Grade grade) {
    if (grade == Grade::Fail)
        throw std::invalid_argument("grade 'fail' has no limits");
    return static_cast<std::size_t>(grade) - static_cast<std::size_t>(Grade::Generic);
}

std::size_t mode_index(FiberMode mode) {
    return mode == FiberMode::MM ? 0 : 1;
}

std::string join_names(std::initializer_list<std::string_view> names) {
    return fmt::format("{}", fmt::join(names, ", "));
}

// Shortest text that reads back as the same double, always in TOML float
// syntax (1.0, not 1); -0 is written as 0.0 so the sign of zero cannot change
// a hash.
std::string canonical_number(double value) {
    if (value == 0.0)
        value = 0.0;
    std::string text = fmt::format("{}", value);
    if (text.find_first_of(".eE") == std::string::npos)
        text += ".0";
    return text;
}

std::string toml_basic_string(std::string_view text) {
    std::string out = "\"";
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (byte < 0x20 || byte == 0x7f) {
            out += fmt::format("\\u{:04X}", static_cast<unsigned>(byte));
        } else {
            out += c;
        }
    }
    out += '"';
    return out;
}

class Parser {
  public:
    explicit Parser(const std::string& source_name) : source_(source_name) {}

    LimitSetError error(const toml::node* node, std::string_view path,
                        std::string_view message) const {
        const auto line = node ? node->source().begin.line : 0;
        if (line > 0)
            return LimitSetError(fmt::format("{}:{}: {}: {}", source_, line, path, message));
        return LimitSetError(fmt::format("{}: {}: {}", source_, path, message));
    }

    void only_keys(const toml::table& table, std::string_view path,
                   std::initializer_list<std::string_view> allowed) const {
        for (const auto& [key, node] : table) {
            bool known = false;
            for (const auto name : allowed)
                known = known || key.str() == name;
            if (!known) {
                const auto key_path =
                    path.empty() ? std::string(key.str()) : fmt::format("{}.{}", path, key.str());
                throw error(&node, key_path,
                            fmt::format("unknown key (allowed: {})", join_names(allowed)));
            }
        }
    }

    const toml::node& required(const toml::table& table, std::string_view path,
                               std::string_view key) const {
        if (const auto* node = table.get(key))
            return *node;
        throw error(&table, path.empty() ? std::string(key) : fmt::format("{}.{}", path, key),
                    "missing (required)");
    }

    const toml::table& table_at(const toml::table& parent, std::string_view parent_path,
                                std::string_view key) const {
        const auto& node = required(parent, parent_path, key);
        const auto path =
            parent_path.empty() ? std::string(key) : fmt::format("{}.{}", parent_path, key);
        if (const auto* table = node.as_table())
            return *table;
        throw error(&node, path, "expected a table");
    }

    std::string text(const toml::node& node, std::string_view path) const {
        const auto value = node.value_exact<std::string>();
        if (!value)
            throw error(&node, path, "expected a string");
        if (value->empty())
            throw error(&node, path, "must not be empty");
        return *value;
    }

    double number(const toml::node& node, std::string_view path) const {
        // An integer is read exactly and rounded here: toml++ refuses to convert integers a
        // double cannot hold exactly, such as 2^53 + 1.
        double value = 0.0;
        if (const auto integer = node.value_exact<std::int64_t>())
            value = static_cast<double>(*integer);
        else if (const auto floating = node.value_exact<double>())
            value = *floating;
        else
            throw error(&node, path, "expected a number");
        if (!std::isfinite(value))
            throw error(&node, path, "expected a finite number");
        return value;
    }

  private:
    std::string source_;
};

std::string limit_path(Grade grade, FiberMode mode, std::string_view key) {
    return fmt::format("grade.{}.{}.{}", to_string(grade), to_string(mode), key);
}

}  // namespace

const GradeLimits& LimitSet::limits(Grade grade, FiberMode mode) const {
    return table[grade_index(grade)][mode_index(mode)];
}

GradeLimits& LimitSet::limits(Grade grade, FiberMode mode) {
    return table[grade_index(grade)][mode_index(mode)];
}

LimitSet parse_limit_set(std::string_view toml_text, const std::string& source_name) {
    toml::table root;
    try {
        root = toml::parse(toml_text, source_name);
    } catch (const toml::parse_error& bad) {
        throw LimitSetError(fmt::format("{}:{}:{}: {}", source_name, bad.source().begin.line,
                                        bad.source().begin.column, bad.description()));
    }
    const Parser parser(source_name);
    parser.only_keys(root, "", {"name", "version", "guard_band_db", "return_loss", "grade"});

    LimitSet set;
    set.body = std::string(toml_text);
    set.name = parser.text(parser.required(root, "", "name"), "name");
    set.version = parser.text(parser.required(root, "", "version"), "version");
    const toml::node* guard_band_node = root.get("guard_band_db");
    if (guard_band_node) {
        set.guard_band_db = parser.number(*guard_band_node, "guard_band_db");
        if (set.guard_band_db < 0.0)
            throw parser.error(guard_band_node, "guard_band_db", "must not be negative");
    }

    // Where each value was written, for messages that point at the line.
    std::array<std::array<std::array<const toml::node*, kLimitKeys.size()>, 2>, 3> nodes{};

    const auto& grades = parser.table_at(root, "", "grade");
    parser.only_keys(grades, "grade", {"generic", "standard", "elite"});
    for (const Grade grade : kGrades) {
        const auto grade_path = fmt::format("grade.{}", to_string(grade));
        const auto& modes = parser.table_at(grades, "grade", to_string(grade));
        parser.only_keys(modes, grade_path, {"MM", "SM"});
        for (const FiberMode mode : kModes) {
            const auto mode_path = fmt::format("{}.{}", grade_path, to_string(mode));
            const auto& values = parser.table_at(modes, grade_path, to_string(mode));
            parser.only_keys(values, mode_path,
                             {"il_typical_db", "il_max_db", "rl_min_db", "repeatability_max_db"});
            auto& limits = set.limits(grade, mode);
            for (std::size_t k = 0; k < kLimitKeys.size(); ++k) {
                const auto& key = kLimitKeys[k];
                const auto path = limit_path(grade, mode, key.name);
                if (!key.required() && !values.get(key.name))
                    continue;
                const auto& node = parser.required(values, mode_path, key.name);
                const double value = parser.number(node, path);
                if (value <= 0.0)
                    throw parser.error(&node, path,
                                       fmt::format("{} must be greater than 0", value));
                key.set(limits, value);
                nodes[grade_index(grade)][mode_index(mode)][k] = &node;
            }
            if (limits.il_typical_db > limits.il_max_db) {
                throw parser.error(nodes[grade_index(grade)][mode_index(mode)][0],
                                   limit_path(grade, mode, "il_typical_db"),
                                   fmt::format("{} is above il_max_db = {} (the typical limit "
                                               "may not exceed the maximum)",
                                               limits.il_typical_db, limits.il_max_db));
            }
        }
    }

    // A higher grade is never looser than the one below it, so grades nest:
    // meeting Elite implies meeting Standard implies meeting Generic.
    for (std::size_t g = 1; g < kGrades.size(); ++g) {
        for (const FiberMode mode : kModes) {
            const auto& lower = set.limits(kGrades[g - 1], mode);
            const auto& higher = set.limits(kGrades[g], mode);
            for (std::size_t k = 0; k < kLimitKeys.size(); ++k) {
                const auto& key = kLimitKeys[k];
                const auto low = key.get(lower);
                const auto high = key.get(higher);
                if (!low)
                    continue;  // no limit below: any limit above is stricter
                if (!high) {
                    // The values table of the higher grade: where the limit is missing.
                    throw parser.error(
                        &parser.table_at(parser.table_at(grades, "grade", to_string(kGrades[g])),
                                         fmt::format("grade.{}", to_string(kGrades[g])),
                                         to_string(mode)),
                        limit_path(kGrades[g], mode, key.name),
                        fmt::format("missing, but {} = {} (a higher grade may not be looser)",
                                    limit_path(kGrades[g - 1], mode, key.name), *low));
                }
                if (key.higher_is_stricter ? *high < *low : *high > *low) {
                    throw parser.error(
                        nodes[g][mode_index(mode)][k], limit_path(kGrades[g], mode, key.name),
                        fmt::format("{} is looser than {} = {} (a higher grade may not be looser)",
                                    *high, limit_path(kGrades[g - 1], mode, key.name), *low));
                }
            }
        }
    }

    if (root.get("return_loss")) {
        const auto& table = parser.table_at(root, "", "return_loss");
        parser.only_keys(table, "return_loss", {"confidence", "max_time_ms"});
        RlDecisionRule rule;
        const auto& confidence_node = parser.required(table, "return_loss", "confidence");
        rule.confidence = parser.number(confidence_node, "return_loss.confidence");
        // Below 0.5 the interval says nothing; 0.99999 already asks ~4.4 sigma.
        if (!(rule.confidence >= 0.5 && rule.confidence <= 0.99999)) {
            throw parser.error(&confidence_node, "return_loss.confidence",
                               fmt::format("{} is outside 0.5 .. 0.99999", rule.confidence));
        }
        const auto& max_time_node = parser.required(table, "return_loss", "max_time_ms");
        const double max_time_ms = parser.number(max_time_node, "return_loss.max_time_ms");
        if (!(max_time_ms >= 1.0 && max_time_ms <= 60000.0) ||
            max_time_ms != std::floor(max_time_ms)) {
            throw parser.error(
                &max_time_node, "return_loss.max_time_ms",
                fmt::format("{} is not a whole number of ms in 1 .. 60000", max_time_ms));
        }
        rule.max_time_ms = static_cast<int>(max_time_ms);
        set.rl_decision = rule;
    }

    // A guard band as wide as an IL limit would fail every assembly.
    for (const Grade grade : kGrades) {
        for (const FiberMode mode : kModes) {
            const double typical = set.limits(grade, mode).il_typical_db;
            if (set.guard_band_db >= typical) {
                throw parser.error(guard_band_node, "guard_band_db",
                                   fmt::format("{} leaves nothing of {} = {}", set.guard_band_db,
                                               limit_path(grade, mode, "il_typical_db"), typical));
            }
        }
    }

    set.hash = sha256_hex(canonical_form(set));
    return set;
}

std::string canonical_form(const LimitSet& limit_set) {
    std::string out;
    out += fmt::format("name = {}\n", toml_basic_string(limit_set.name));
    out += fmt::format("version = {}\n", toml_basic_string(limit_set.version));
    out += fmt::format("guard_band_db = {}\n", canonical_number(limit_set.guard_band_db));
    // Absent in sets written before it existed, which keep their hash.
    if (limit_set.rl_decision) {
        out += fmt::format("\n[return_loss]\nconfidence = {}\nmax_time_ms = {}\n",
                           canonical_number(limit_set.rl_decision->confidence),
                           limit_set.rl_decision->max_time_ms);
    }
    for (const Grade grade : kGrades) {
        for (const FiberMode mode : kModes) {
            out += fmt::format("\n[grade.{}.{}]\n", to_string(grade), to_string(mode));
            const auto& limits = limit_set.limits(grade, mode);
            // An absent optional limit has no line: a set that gives every
            // limit keeps the hash it had before limits could be absent.
            for (const auto& key : kLimitKeys) {
                if (const auto value = key.get(limits))
                    out += fmt::format("{} = {}\n", key.name, canonical_number(*value));
            }
        }
    }
    return out;
}

std::vector<double> rl_minima_db(const LimitSet& limit_set, FiberMode mode) {
    std::vector<double> minima;
    for (const Grade grade : kGrades) {
        if (const auto minimum = limit_set.limits(grade, mode).rl_min_db)
            minima.push_back(*minimum);
    }
    std::sort(minima.begin(), minima.end());
    minima.erase(std::unique(minima.begin(), minima.end()), minima.end());
    return minima;
}

bool requires_rl(const LimitSet& limit_set, FiberMode mode) {
    return std::any_of(kGrades.begin(), kGrades.end(), [&](Grade grade) {
        return limit_set.limits(grade, mode).rl_min_db.has_value();
    });
}

std::string sha256_hex(std::string_view bytes) {
    // sodium_init is idempotent and thread-safe; it selects the fastest
    // implementation for this CPU.
    static const bool initialised = sodium_init() >= 0;
    if (!initialised)
        throw std::runtime_error("libsodium failed to initialise (sodium_init)");
    std::array<unsigned char, crypto_hash_sha256_BYTES> digest{};
    static const unsigned char no_bytes = 0;
    const auto* data =
        bytes.empty() ? &no_bytes : reinterpret_cast<const unsigned char*>(bytes.data());
    crypto_hash_sha256(digest.data(), data, bytes.size());
    std::string hex(digest.size() * 2 + 1, '\0');
    sodium_bin2hex(hex.data(), hex.size(), digest.data(), digest.size());
    hex.resize(digest.size() * 2);
    return hex;
}

}  // namespace mpobench::analysis
