#include "acquisition/station.hpp"

#include <fmt/format.h>

#include <toml++/toml.h>
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>

#include "drivers/registry.hpp"

namespace mpobench::acquisition {
namespace {

// "YYYY-MM-DD" with a real month and day, or nullopt.
std::optional<std::string> iso_date(const std::string& text) {
    // sscanf's %2d also takes " 1" and "+1", which format_station would then
    // write as a TOML date that does not parse: only digits and two dashes.
    for (std::size_t i = 0; i < text.size(); ++i) {
        const bool dash = i == 4 || i == 7;
        if (dash ? text[i] != '-' : std::isdigit(static_cast<unsigned char>(text[i])) == 0)
            return std::nullopt;
    }
    int year = 0, month = 0, day = 0;
    char tail = 0;
    if (text.size() != 10 ||
        std::sscanf(text.c_str(), "%4d-%2d-%2d%c", &year, &month, &day, &tail) != 3) {
        return std::nullopt;
    }
    const std::chrono::year_month_day date{std::chrono::year{year},
                                           std::chrono::month(static_cast<unsigned>(month)),
                                           std::chrono::day(static_cast<unsigned>(day))};
    if (!date.ok())
        return std::nullopt;
    return text;
}

// Reads one table with a fixed set of keys, so a misspelt key is an error
// with its line rather than a silently ignored setting.
class TableReader {
  public:
    TableReader(const toml::table& table, std::string path, const std::filesystem::path& file,
                std::set<std::string> allowed)
        : table_(table), path_(std::move(path)), file_(file) {
        for (const auto& [key, node] : table_) {
            if (!allowed.contains(std::string(key.str()))) {
                throw error(node, fmt::format("{}.{}: unknown key (allowed: {})", path_, key.str(),
                                              fmt::join(allowed, ", ")));
            }
        }
    }

    std::optional<std::string> string(std::string_view key) const {
        const auto* node = table_.get(key);
        if (!node)
            return std::nullopt;
        if (auto value = node->value<std::string>())
            return *value;
        throw error(*node, fmt::format("{}.{}: expected a string", path_, key));
    }

    std::string required_string(std::string_view key) const {
        if (auto value = string(key))
            return *value;
        throw StationFileError(fmt::format("{}:{}: {}.{}: missing (required)", file_.string(),
                                           table_.source().begin.line, path_, key));
    }

    std::optional<long long> integer(std::string_view key, long long min, long long max) const {
        const auto* node = table_.get(key);
        if (!node)
            return std::nullopt;
        const auto value = node->value_exact<int64_t>();
        if (!value)
            throw error(*node, fmt::format("{}.{}: expected an integer", path_, key));
        if (*value < min || *value > max) {
            throw error(*node,
                        fmt::format("{}.{}: {} is outside {}..{}", path_, key, *value, min, max));
        }
        return *value;
    }

    // A number (integer or float) within min..max.
    std::optional<double> real(std::string_view key, double min, double max) const {
        const auto* node = table_.get(key);
        if (!node)
            return std::nullopt;
        std::optional<double> value;
        if (auto exact = node->value_exact<double>())
            value = *exact;
        else if (auto whole = node->value_exact<int64_t>())
            value = static_cast<double>(*whole);
        if (!value)
            throw error(*node, fmt::format("{}.{}: expected a number", path_, key));
        if (!(*value >= min && *value <= max)) {
            throw error(*node,
                        fmt::format("{}.{}: {} is outside {}..{}", path_, key, *value, min, max));
        }
        return value;
    }

    std::optional<bool> boolean(std::string_view key) const {
        const auto* node = table_.get(key);
        if (!node)
            return std::nullopt;
        if (auto value = node->value_exact<bool>())
            return *value;
        throw error(*node, fmt::format("{}.{}: expected true or false", path_, key));
    }

    // A date either as a TOML date or as an ISO "YYYY-MM-DD" string.
    std::optional<std::string> date(std::string_view key) const {
        const auto* node = table_.get(key);
        if (!node)
            return std::nullopt;
        if (const auto* native = node->as_date()) {
            const auto& d = native->get();
            return fmt::format("{:04}-{:02}-{:02}", d.year, d.month, d.day);
        }
        if (auto text = node->value<std::string>()) {
            if (auto iso = iso_date(*text))
                return iso;
        }
        throw error(*node, fmt::format("{}.{}: expected a date (YYYY-MM-DD)", path_, key));
    }

    StationFileError error(const toml::node& node, const std::string& message) const {
        return StationFileError(
            fmt::format("{}:{}: {}", file_.string(), node.source().begin.line, message));
    }

  private:
    const toml::table& table_;
    std::string path_;
    const std::filesystem::path& file_;
};

drivers::Role parse_role(const TableReader& reader, const toml::node& node, const std::string& text,
                         const std::string& path) {
    if (text == "power_meter")
        return drivers::Role::PowerMeter;
    if (text == "light_source")
        return drivers::Role::LightSource;
    if (text == "optical_switch")
        return drivers::Role::OpticalSwitch;
    if (text == "return_loss_meter")
        return drivers::Role::ReturnLossMeter;
    throw reader.error(node, fmt::format("{}.role: '{}' is not one of power_meter, light_source, "
                                         "optical_switch, return_loss_meter",
                                         path, text));
}

template <typename Enum>
Enum parse_choice(const TableReader& reader, const toml::node& node, const std::string& text,
                  const std::string& what,
                  std::initializer_list<std::pair<const char*, Enum>> choices) {
    for (const auto& [name, value] : choices) {
        if (text == name)
            return value;
    }
    std::vector<std::string> names;
    for (const auto& choice : choices)
        names.emplace_back(choice.first);
    throw reader.error(
        node, fmt::format("{}: '{}' is not one of {}", what, text, fmt::join(names, ", ")));
}

// The largest far position a station may name: as many as a meter has channels.
constexpr int kMaxFarPosition = 1024;

// far_positions = "1-8" | "1-4, 9-12" | [1, 2, 3]: the far positions a
// meter's channels 1, 2, ... serve, in channel order.
std::vector<int> parse_far_positions(const TableReader& reader, const toml::node& node,
                                     const std::string& key) {
    std::vector<int> positions;
    const auto add = [&](long long position) {
        if (position < 1 || position > kMaxFarPosition) {
            throw reader.error(node, fmt::format("{}: position {} is outside 1..{}", key, position,
                                                 kMaxFarPosition));
        }
        if (std::find(positions.begin(), positions.end(), position) != positions.end())
            throw reader.error(node, fmt::format("{}: position {} is named twice", key, position));
        positions.push_back(static_cast<int>(position));
    };
    if (const auto* array = node.as_array()) {
        for (const auto& element : *array) {
            const auto value = element.value_exact<int64_t>();
            if (!value)
                throw reader.error(element, fmt::format("{}: expected integers", key));
            add(*value);
        }
    } else if (const auto text = node.value<std::string>()) {
        std::istringstream items(*text);
        std::string item;
        while (std::getline(items, item, ',')) {
            long long first = 0, last = 0;
            char dash = 0, tail = 0;
            std::istringstream range(item);
            const bool single = static_cast<bool>(range >> first) && !(range >> dash);
            std::istringstream span(item);
            const bool pair = !single && static_cast<bool>(span >> first >> dash >> last) &&
                              dash == '-' && !(span >> tail);
            if (!single && !pair) {
                throw reader.error(node, fmt::format("{}: '{}' is not a position or a range "
                                                     "like \"1-8\" (write e.g. \"1-8\", "
                                                     "\"1-4, 9-12\" or [1, 2, 3])",
                                                     key, item));
            }
            if (single)
                last = first;
            if (last < first)
                throw reader.error(node, fmt::format("{}: range '{}' runs backwards", key, item));
            if (last - first >= kMaxFarPosition)
                throw reader.error(node, fmt::format("{}: range '{}' is too long", key, item));
            for (long long position = first; position <= last; ++position)
                add(position);
        }
    } else {
        throw reader.error(node, fmt::format("{}: expected a string of ranges (\"1-8\") or an "
                                             "array of positions",
                                             key));
    }
    if (positions.empty())
        throw reader.error(node, fmt::format("{}: names no position", key));
    return positions;
}

// Positions as far_positions writes them: ascending runs as ranges.
std::string format_far_positions(const std::vector<int>& positions) {
    std::vector<std::string> items;
    for (std::size_t i = 0; i < positions.size();) {
        std::size_t j = i;
        while (j + 1 < positions.size() && positions[j + 1] == positions[j] + 1)
            ++j;
        items.push_back(j == i ? fmt::format("{}", positions[i])
                               : fmt::format("{}-{}", positions[i], positions[j]));
        i = j + 1;
    }
    return fmt::format("{}", fmt::join(items, ", "));
}

drivers::InstrumentConfig parse_instrument(const std::string& name, const toml::table& table,
                                           const std::filesystem::path& file) {
    const std::string path = "instruments." + name;
    TableReader reader(
        table, path, file,
        {"role", "model", "resource", "timeout_ms", "connect_timeout_ms", "channels",
         "calibration_due", "baud", "data_bits", "parity", "stop_bits", "flow_control",
         "write_terminator", "read_terminator", "far_positions", "monitor"});
    drivers::InstrumentConfig config;
    config.name = name;
    const auto role_text = reader.required_string("role");
    config.role = parse_role(reader, *table.get("role"), role_text, path);
    config.model = reader.required_string("model");
    config.resource = reader.required_string("resource");

    const auto& models = drivers::known_models();
    const auto model = std::find_if(models.begin(), models.end(),
                                    [&](const auto& info) { return info.key == config.model; });
    if (model == models.end()) {
        std::vector<std::string> keys;
        for (const auto& info : models)
            keys.push_back(info.key);
        throw reader.error(*table.get("model"),
                           fmt::format("{}.model: unknown model '{}' (known: {})", path,
                                       config.model, fmt::join(keys, ", ")));
    }
    if (model->role != config.role) {
        throw reader.error(*table.get("model"),
                           fmt::format("{}.model: '{}' is a {}, not a {}", path, config.model,
                                       to_string(model->role), to_string(config.role)));
    }
    try {
        (void)drivers::parse_resource(config.resource);
    } catch (const std::invalid_argument& bad) {
        throw reader.error(*table.get("resource"),
                           fmt::format("{}.resource: {}", path, bad.what()));
    }

    if (auto v = reader.integer("timeout_ms", 1, 600000))
        config.timeout = std::chrono::milliseconds(*v);
    if (auto v = reader.integer("connect_timeout_ms", 1, 600000)) {
        config.transport.connect_timeout = std::chrono::milliseconds(*v);
    }
    if (auto v = reader.integer("channels", 1, 1024))
        config.channels = static_cast<int>(*v);
    config.calibration_due = reader.date("calibration_due");
    for (const auto* key : {"far_positions", "monitor"}) {
        if (table.contains(key) && config.role != drivers::Role::PowerMeter) {
            throw reader.error(*table.get(key), fmt::format("{}.{}: only a power_meter has it, "
                                                            "and this is a {}",
                                                            path, key, to_string(config.role)));
        }
    }
    if (const auto* node = table.get("far_positions"))
        config.far_positions = parse_far_positions(reader, *node, path + ".far_positions");
    config.monitor = reader.boolean("monitor").value_or(false);
    if (config.monitor && !config.far_positions.empty()) {
        throw reader.error(*table.get("monitor"),
                           fmt::format("{}: a monitor taps the source and serves no far "
                                       "position; give far_positions or monitor = true, not both",
                                       path));
    }

    auto& serial = config.transport.serial;
    if (auto v = reader.integer("baud", 50, 4000000))
        serial.baud = static_cast<int>(*v);
    if (auto v = reader.integer("data_bits", 5, 8))
        serial.data_bits = static_cast<int>(*v);
    if (auto v = reader.integer("stop_bits", 1, 2))
        serial.stop_bits = static_cast<int>(*v);
    if (auto v = reader.string("parity")) {
        serial.parity =
            parse_choice<drivers::Parity>(reader, *table.get("parity"), *v, path + ".parity",
                                          {{"none", drivers::Parity::None},
                                           {"odd", drivers::Parity::Odd},
                                           {"even", drivers::Parity::Even},
                                           {"mark", drivers::Parity::Mark},
                                           {"space", drivers::Parity::Space}});
    }
    if (auto v = reader.string("flow_control")) {
        serial.flow_control = parse_choice<drivers::FlowControl>(
            reader, *table.get("flow_control"), *v, path + ".flow_control",
            {{"none", drivers::FlowControl::None},
             {"xonxoff", drivers::FlowControl::XonXoff},
             {"rtscts", drivers::FlowControl::RtsCts}});
    }
    for (const auto* key : {"write_terminator", "read_terminator"}) {
        if (auto v = reader.string(key)) {
            if (*v != "\n" && *v != "\r\n" && *v != "\r") {
                throw reader.error(
                    *table.get(key),
                    fmt::format("{}.{}: must be \"\\n\", \"\\r\\n\" or \"\\r\"", path, key));
            }
            (std::string_view(key) == "write_terminator" ? config.write_terminator
                                                         : config.read_terminator) = *v;
        }
    }
    return config;
}

// A TOML basic string: double quotes, with the escapes TOML defines.
std::string toml_quote(std::string_view text) {
    std::string out = "\"";
    for (const char c : text) {
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
                    out += fmt::format("\\u{:04X}", static_cast<unsigned char>(c));
                } else {
                    out += c;
                }
        }
    }
    return out + "\"";
}

// A table key: bare where TOML allows it, quoted otherwise ("meter 1", "a.b").
std::string toml_key(std::string_view key) {
    const bool bare = !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
    });
    return bare ? std::string(key) : toml_quote(key);
}

std::string_view parity_key(drivers::Parity parity) {
    switch (parity) {
        case drivers::Parity::None:
            return "none";
        case drivers::Parity::Odd:
            return "odd";
        case drivers::Parity::Even:
            return "even";
        case drivers::Parity::Mark:
            return "mark";
        case drivers::Parity::Space:
            return "space";
    }
    return "none";
}

std::string_view flow_key(drivers::FlowControl flow) {
    switch (flow) {
        case drivers::FlowControl::None:
            return "none";
        case drivers::FlowControl::XonXoff:
            return "xonxoff";
        case drivers::FlowControl::RtsCts:
            return "rtscts";
    }
    return "none";
}

CordConfig parse_cord(const toml::table& table, const std::filesystem::path& source_name,
                      const std::vector<CordConfig>& earlier) {
    const std::string path = fmt::format("cords[{}]", earlier.size());
    TableReader reader(table, path, source_name, {"id", "role", "mating_limit", "warn_matings"});
    CordConfig cord;
    cord.id = reader.required_string("id");
    if (cord.id.empty() || cord.id.size() > 64 ||
        !std::all_of(cord.id.begin(), cord.id.end(),
                     [](unsigned char c) { return c > 0x20 && c < 0x7f; })) {
        throw reader.error(*table.get("id"),
                           fmt::format("{}.id: '{}' is not a cord label (1 to 64 printable ASCII "
                                       "characters, no spaces)",
                                       path, cord.id));
    }
    cord.role = parse_choice<CordConfig::Role>(
        reader, table, reader.string("role").value_or("launch"), path + ".role",
        {{"launch", CordConfig::Role::Launch}, {"receive", CordConfig::Role::Receive}});
    const auto limit = reader.integer("mating_limit", 1, 10'000'000);
    if (!limit) {
        throw StationFileError(fmt::format("{}:{}: {}.mating_limit: missing (required)",
                                           source_name.string(), table.source().begin.line, path));
    }
    cord.mating_limit = static_cast<int>(*limit);
    cord.warn_matings = static_cast<int>(reader.integer("warn_matings", 0, cord.mating_limit - 1)
                                             .value_or(cord.mating_limit * 9 / 10));
    for (const auto& other : earlier) {
        if (other.id == cord.id)
            throw reader.error(table, fmt::format("{}.id: '{}' is named twice", path, cord.id));
        if (other.role == CordConfig::Role::Launch && cord.role == CordConfig::Role::Launch) {
            throw reader.error(table, fmt::format("{}: a second launch cord ('{}' and '{}'): a "
                                                  "bench launches through one",
                                                  path, other.id, cord.id));
        }
    }
    return cord;
}

}  // namespace

std::string_view role_key(drivers::Role role) {
    switch (role) {
        case drivers::Role::PowerMeter:
            return "power_meter";
        case drivers::Role::LightSource:
            return "light_source";
        case drivers::Role::OpticalSwitch:
            return "optical_switch";
        case drivers::Role::ReturnLossMeter:
            return "return_loss_meter";
    }
    return "?";
}

const drivers::InstrumentConfig* StationConfig::find(std::string_view wanted) const {
    for (const auto& instrument : instruments) {
        if (instrument.name == wanted)
            return &instrument;
    }
    return nullptr;
}

StationConfig parse_station(std::string_view toml_text, const std::filesystem::path& source_name) {
    toml::table root;
    try {
        root = toml::parse(toml_text, source_name.string());
    } catch (const toml::parse_error& bad) {
        throw StationFileError(fmt::format("{}:{}:{}: {}", source_name.string(),
                                           bad.source().begin.line, bad.source().begin.column,
                                           bad.description()));
    }
    StationConfig station;
    station.source_path = source_name;
    TableReader top(root, "station file", source_name,
                    {"station", "instruments", "operator", "cords", "label", "plant", "mes"});

    if (const auto* table = root["station"].as_table()) {
        TableReader reader(*table, "station", source_name,
                           {"name", "mated_pairs", "reference_max_age_min", "retry_budget",
                            "require_operator", "max_monitor_drift_db"});
        if (auto v = reader.string("name"))
            station.name = *v;
        if (auto v = reader.integer("mated_pairs", 1, 8))
            station.mated_pairs = static_cast<int>(*v);
        if (auto v = reader.integer("reference_max_age_min", 1, 7 * 24 * 60)) {
            station.reference_max_age_min = static_cast<int>(*v);
        }
        if (auto v = reader.integer("retry_budget", 0, 100000))
            station.retry_budget = static_cast<int>(*v);
        station.require_operator = reader.boolean("require_operator");
        if (auto v = reader.real("max_monitor_drift_db", 0.001, 3.0))
            station.max_monitor_drift_db = *v;
    }

    const auto* instruments = root["instruments"].as_table();
    if (!instruments || instruments->empty()) {
        throw StationFileError(
            fmt::format("{}: no [instruments.<name>] tables", source_name.string()));
    }
    std::vector<std::pair<const toml::table*, std::string>> ordered;
    for (const auto& [key, node] : *instruments) {
        const auto* table = node.as_table();
        if (!table) {
            throw top.error(node, fmt::format("instruments.{}: expected a table", key.str()));
        }
        ordered.emplace_back(table, std::string(key.str()));
    }
    // toml++ keeps keys sorted; the file's order is the one people wrote.
    std::sort(ordered.begin(), ordered.end(), [](const auto& a, const auto& b) {
        return a.first->source().begin.line < b.first->source().begin.line;
    });
    for (const auto& [table, name] : ordered) {
        station.instruments.push_back(parse_instrument(name, *table, source_name));
    }

    if (const auto* table = root["operator"].as_table()) {
        TableReader reader(*table, "operator", source_name,
                           {"kind", "resource", "timeout_ms", "name"});
        const auto kind = reader.string("kind").value_or("console");
        station.operator_channel.kind =
            parse_choice<OperatorConfig::Kind>(reader, *table, kind, "operator.kind",
                                               {{"console", OperatorConfig::Kind::Console},
                                                {"simulated", OperatorConfig::Kind::Simulated},
                                                {"web", OperatorConfig::Kind::Web}});
        const bool simulated = station.operator_channel.kind == OperatorConfig::Kind::Simulated;
        if (simulated || table->contains("resource")) {
            station.operator_channel.resource =
                simulated ? reader.required_string("resource") : *reader.string("resource");
            try {
                (void)drivers::parse_resource(station.operator_channel.resource);
            } catch (const std::invalid_argument& bad) {
                throw reader.error(*table->get("resource"),
                                   fmt::format("operator.resource: {}", bad.what()));
            }
        }
        if (auto v = reader.integer("timeout_ms", 1, 3600000)) {
            station.operator_channel.timeout = std::chrono::milliseconds(*v);
        }
        station.operator_channel.name = reader.string("name").value_or(std::string{});
    }
    if (const auto* node = root.get("cords")) {
        const auto* cords = node->as_array();
        if (!cords || !cords->is_array_of_tables())
            throw top.error(*node, "cords: expected [[cords]] tables");
        for (const auto& element : *cords)
            station.cords.push_back(parse_cord(*element.as_table(), source_name, station.cords));
    }
    if (const auto* node = root.get("label")) {
        const auto* table = node->as_table();
        if (!table)
            throw top.error(*node, "label: expected a table ([label])");
        TableReader reader(*table, "label", source_name, {"printer"});
        const auto printer = reader.required_string("printer");
        try {
            station.label_printer = parse_label_destination(printer);
        } catch (const std::invalid_argument& bad) {
            throw reader.error(*table->get("printer"),
                               fmt::format("label.printer: {}", bad.what()));
        }
    }
    if (const auto* node = root.get("plant")) {
        const auto* table = node->as_table();
        if (!table)
            throw top.error(*node, "plant: expected a table ([plant])");
        TableReader reader(*table, "plant", source_name, {"url", "retry_interval_s"});
        station.plant_url = reader.required_string("url");
        if (station.plant_url->empty())
            throw reader.error(*table->get("url"), "plant.url: empty (leave [plant] out instead)");
        if (auto v = reader.integer("retry_interval_s", 1, 24 * 3600))
            station.plant_retry_interval_s = static_cast<int>(*v);
    }
    if (const auto* node = root.get("mes")) {
        const auto* table = node->as_table();
        if (!table)
            throw top.error(*node, "mes: expected a table ([mes])");
        TableReader reader(
            *table, "mes", source_name,
            {"url", "format", "timeout_ms", "interlock_url", "interlock_unreachable"});
        for (const char* key : {"url", "interlock_url"}) {
            const auto value = reader.string(key);
            if (value && !value->starts_with("http://")) {
                throw reader.error(*table->get(key),
                                   fmt::format("mes.{}: expected http://HOST[:PORT]/PATH", key));
            }
            (std::string_view(key) == "url" ? station.mes_url : station.mes_interlock_url) = value;
        }
        if (!station.mes_url && !station.mes_interlock_url) {
            throw top.error(*node,
                            "mes: give url (results pushed), interlock_url (asked before "
                            "each test) or both");
        }
        if (auto v = reader.string("interlock_unreachable")) {
            if (*v != "refuse" && *v != "allow") {
                throw reader.error(*table->get("interlock_unreachable"),
                                   fmt::format("mes.interlock_unreachable: '{}' is not refuse or "
                                               "allow",
                                               *v));
            }
            station.mes_allow_when_unreachable = *v == "allow";
        }
        if (auto v = reader.string("format")) {
            if (*v != "mpobench" && *v != "ipc-cfx")
                throw reader.error(*table->get("format"),
                                   fmt::format("mes.format: '{}' is not mpobench or ipc-cfx", *v));
            station.mes_format = *v;
        }
        if (auto v = reader.integer("timeout_ms", 100, 600000))
            station.mes_timeout_ms = static_cast<int>(*v);
    }
    return station;
}

StationConfig load_station(const std::filesystem::path& path) {
    std::ifstream in(path);
    if (!in)
        throw StationFileError(fmt::format("{}: cannot open station file", path.string()));
    std::ostringstream text;
    text << in.rdbuf();
    return parse_station(text.str(), path);
}

std::string_view to_string(OperatorConfig::Kind kind) {
    switch (kind) {
        case OperatorConfig::Kind::Console:
            return "console";
        case OperatorConfig::Kind::Simulated:
            return "simulated";
        case OperatorConfig::Kind::Web:
            return "web";
    }
    return "console";
}

std::string_view to_string(CordConfig::Role role) {
    return role == CordConfig::Role::Launch ? "launch" : "receive";
}

const CordConfig* StationConfig::launch_cord() const {
    for (const auto& cord : cords) {
        if (cord.role == CordConfig::Role::Launch)
            return &cord;
    }
    return nullptr;
}

std::string format_station(const StationConfig& station) {
    const drivers::InstrumentConfig defaults;
    std::string out;
    out += fmt::format(
        "[station]\nname = {}\nmated_pairs = {}\nreference_max_age_min = {}\nretry_budget = "
        "{}\nmax_monitor_drift_db = {}\n",
        toml_quote(station.name), station.mated_pairs, station.reference_max_age_min,
        station.retry_budget, station.max_monitor_drift_db);
    if (station.require_operator)
        out += fmt::format("require_operator = {}\n", *station.require_operator);
    const auto& op = station.operator_channel;
    out += fmt::format("\n[operator]\nkind = \"{}\"\n", to_string(op.kind));
    if (!op.resource.empty())
        out += fmt::format("resource = {}\n", toml_quote(op.resource));
    out += fmt::format("timeout_ms = {}\n", op.timeout.count());
    if (!op.name.empty())
        out += fmt::format("name = {}\n", toml_quote(op.name));
    if (station.label_printer)
        out += fmt::format("\n[label]\nprinter = {}\n", toml_quote(station.label_printer->text));
    if (station.plant_url) {
        out += fmt::format("\n[plant]\nurl = {}\nretry_interval_s = {}\n",
                           toml_quote(*station.plant_url), station.plant_retry_interval_s);
    }
    if (station.mes_url || station.mes_interlock_url) {
        out += fmt::format("\n[mes]\nformat = {}\ntimeout_ms = {}\n",
                           toml_quote(station.mes_format), station.mes_timeout_ms);
        if (station.mes_url)
            out += fmt::format("url = {}\n", toml_quote(*station.mes_url));
        if (station.mes_interlock_url) {
            out += fmt::format("interlock_url = {}\ninterlock_unreachable = \"{}\"\n",
                               toml_quote(*station.mes_interlock_url),
                               station.mes_allow_when_unreachable ? "allow" : "refuse");
        }
    }

    for (const auto& instrument : station.instruments) {
        out += fmt::format("\n[instruments.{}]\nrole = \"{}\"\nmodel = {}\nresource = {}\n",
                           toml_key(instrument.name), role_key(instrument.role),
                           toml_quote(instrument.model), toml_quote(instrument.resource));
        out += fmt::format("timeout_ms = {}\n", instrument.timeout.count());
        if (instrument.transport.connect_timeout != defaults.transport.connect_timeout) {
            out += fmt::format("connect_timeout_ms = {}\n",
                               instrument.transport.connect_timeout.count());
        }
        if (instrument.channels > 0)
            out += fmt::format("channels = {}\n", instrument.channels);
        if (instrument.calibration_due)
            out += fmt::format("calibration_due = {}\n", *instrument.calibration_due);
        if (!instrument.far_positions.empty()) {
            out += fmt::format("far_positions = \"{}\"\n",
                               format_far_positions(instrument.far_positions));
        }
        if (instrument.monitor)
            out += "monitor = true\n";
        if (std::holds_alternative<drivers::SerialResource>(
                drivers::parse_resource(instrument.resource))) {
            const auto& serial = instrument.transport.serial;
            out += fmt::format(
                "baud = {}\ndata_bits = {}\nparity = \"{}\"\nstop_bits = {}\nflow_control = "
                "\"{}\"\n",
                serial.baud, serial.data_bits, parity_key(serial.parity), serial.stop_bits,
                flow_key(serial.flow_control));
        }
        if (instrument.write_terminator != defaults.write_terminator) {
            out += fmt::format("write_terminator = {}\n", toml_quote(instrument.write_terminator));
        }
        if (instrument.read_terminator != defaults.read_terminator) {
            out += fmt::format("read_terminator = {}\n", toml_quote(instrument.read_terminator));
        }
    }
    for (const auto& cord : station.cords) {
        out += fmt::format(
            "\n[[cords]]\nid = {}\nrole = \"{}\"\nmating_limit = {}\nwarn_matings = {}\n",
            toml_quote(cord.id), to_string(cord.role), cord.mating_limit, cord.warn_matings);
    }
    return out;
}

void save_station(const StationConfig& station, const std::filesystem::path& path) {
    // Written whole then renamed, so a reader never sees half a station file.
    const auto temporary = std::filesystem::path(path.string() + ".tmp");
    {
        std::ofstream out(temporary, std::ios::trunc);
        if (!out)
            throw StationFileError(fmt::format("{}: cannot write station file", path.string()));
        out << format_station(station);
        if (!out.flush())
            throw StationFileError(fmt::format("{}: write failed", path.string()));
    }
    std::filesystem::rename(temporary, path);
}

}  // namespace mpobench::acquisition
