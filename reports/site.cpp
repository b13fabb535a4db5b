#include "reports/site.hpp"

#include "reports/site_clock.hpp"

#include <cairo.h>
#include <fmt/format.h>

#include <toml++/toml.h>
#include <algorithm>
#include <array>
#include <cctype>
#include <fstream>
#include <initializer_list>
#include <sstream>

#include "analysis/identifiers.hpp"
#include "analysis/retest.hpp"

namespace mpobench::reports {

std::optional<Paper> parse_paper(std::string_view text) {
    std::string lower(text);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (lower == "a4")
        return Paper::A4;
    if (lower == "letter")
        return Paper::Letter;
    return std::nullopt;
}

std::string_view to_string(Paper paper) {
    return paper == Paper::Letter ? "Letter" : "A4";
}

namespace {

class SiteReader {
  public:
    explicit SiteReader(const std::filesystem::path& file) : file_(file) {}

    SiteError error(const toml::node* node, std::string_view key, std::string_view what) const {
        const auto line = node ? node->source().begin.line : 0;
        if (line > 0)
            return SiteError(fmt::format("{}:{}: {}: {}", file_.string(), line, key, what));
        return SiteError(fmt::format("{}: {}: {}", file_.string(), key, what));
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
                            fmt::format("unknown key (allowed: {})", fmt::join(allowed, ", ")));
            }
        }
    }

    const toml::table* table(const toml::table& root, std::string_view key, bool required) const {
        const toml::node* node = root.get(key);
        if (!node) {
            if (required)
                throw error(&root, key, "missing (required)");
            return nullptr;
        }
        if (const auto* found = node->as_table())
            return found;
        throw error(node, key, "expected a table");
    }

    // nullopt when the key is absent; an empty string is an error.
    std::optional<std::string> text(const toml::table& table, std::string_view key,
                                    std::string_view path) const {
        const toml::node* node = table.get(key);
        if (!node)
            return std::nullopt;
        const auto value = node->value_exact<std::string>();
        if (!value)
            throw error(node, path, "expected a string");
        if (value->empty())
            throw error(node, path, "must not be empty");
        return *value;
    }

    std::vector<std::string> lines(const toml::table& table, std::string_view key,
                                   std::string_view path) const {
        const toml::node* node = table.get(key);
        if (!node)
            return {};
        const auto* array = node->as_array();
        if (!array)
            throw error(node, path, "expected an array of strings");
        std::vector<std::string> result;
        for (const auto& element : *array) {
            const auto value = element.value_exact<std::string>();
            if (!value)
                throw error(&element, path, "expected an array of strings");
            result.push_back(*value);
        }
        return result;
    }

    // The logo must be a PNG cairo can read, since the certificate draws it.
    std::filesystem::path logo(const toml::node* node, const std::string& relative) const {
        std::filesystem::path path = relative;
        if (path.is_relative())
            path = std::filesystem::absolute(file_).parent_path() / path;
        path = path.lexically_normal();
        std::ifstream in(path, std::ios::binary);
        if (!in)
            throw error(node, "company.logo", fmt::format("cannot read {}", path.string()));
        static constexpr std::array<unsigned char, 8> kPngSignature{0x89, 'P',  'N',  'G',
                                                                    '\r', '\n', 0x1a, '\n'};
        std::array<char, 8> head{};
        in.read(head.data(), head.size());
        const bool png =
            in.gcount() == static_cast<std::streamsize>(head.size()) &&
            std::equal(head.begin(), head.end(), kPngSignature.begin(),
                       [](char a, unsigned char b) { return static_cast<unsigned char>(a) == b; });
        if (!png)
            throw error(node, "company.logo", fmt::format("{} is not a PNG file", path.string()));
        cairo_surface_t* image = cairo_image_surface_create_from_png(path.c_str());
        const cairo_status_t status = cairo_surface_status(image);
        cairo_surface_destroy(image);
        if (status != CAIRO_STATUS_SUCCESS)
            throw error(node, "company.logo",
                        fmt::format("cannot read PNG {}: {}", path.string(),
                                    cairo_status_to_string(status)));
        return path;
    }

  private:
    std::filesystem::path file_;
};

}  // namespace

Site load_site(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in)
        throw SiteError(fmt::format("{}: cannot read the site file", file.string()));
    std::ostringstream text;
    text << in.rdbuf();

    toml::table root;
    try {
        root = toml::parse(text.str(), file.string());
    } catch (const toml::parse_error& bad) {
        throw SiteError(fmt::format("{}:{}:{}: {}", file.string(), bad.source().begin.line,
                                    bad.source().begin.column, bad.description()));
    }

    const SiteReader reader(file);
    reader.only_keys(root, "", {"company", "certificate", "production", "site", "shift", "golden"});
    Site site;

    const toml::table& company = *reader.table(root, "company", true);
    reader.only_keys(company, "company", {"name", "address", "logo"});
    const auto name = reader.text(company, "name", "company.name");
    if (!name)
        throw reader.error(&company, "company.name", "missing (required)");
    site.company_name = *name;
    site.address_lines = reader.lines(company, "address", "company.address");
    if (const auto logo = reader.text(company, "logo", "company.logo"))
        site.logo_png = reader.logo(company.get("logo"), *logo);

    if (const toml::table* certificate = reader.table(root, "certificate", false)) {
        reader.only_keys(*certificate, "certificate", {"paper", "statement"});
        if (const auto paper_text = reader.text(*certificate, "paper", "certificate.paper")) {
            const auto paper = parse_paper(*paper_text);
            if (!paper)
                throw reader.error(
                    certificate->get("paper"), "certificate.paper",
                    fmt::format("'{}' is not a paper size (A4 or Letter)", *paper_text));
            site.paper = *paper;
        }
        site.statement =
            reader.text(*certificate, "statement", "certificate.statement").value_or(std::string{});
    }
    if (const toml::table* production = reader.table(root, "production", false)) {
        reader.only_keys(*production, "production",
                         {"serial_pattern", "attempts_before_hold", "retest_reasons"});
        if (const toml::node* node = production->get("attempts_before_hold")) {
            const auto attempts = node->value_exact<std::int64_t>();
            if (!attempts || *attempts < 0 || *attempts > 1000) {
                throw reader.error(node, "production.attempts_before_hold",
                                   "expected a whole number of attempts, 0 to 1000 (0: no hold)");
            }
            site.retest.attempts_before_hold = static_cast<int>(*attempts);
        }
        site.retest.reason_codes =
            reader.lines(*production, "retest_reasons", "production.retest_reasons");
        analysis::RetestPolicy earlier;  // the codes before each one, to find repeats
        for (const auto& code : site.retest.reason_codes) {
            if (code.find_first_not_of(" \t") == std::string::npos ||
                analysis::match_reason_code(earlier, code)) {
                throw reader.error(production->get("retest_reasons"), "production.retest_reasons",
                                   fmt::format("'{}' is empty or named twice", code));
            }
            earlier.reason_codes.push_back(code);
        }
        if (const auto pattern =
                reader.text(*production, "serial_pattern", "production.serial_pattern")) {
            try {
                analysis::check_serial_pattern(*pattern);
            } catch (const analysis::IdentifierError& bad) {
                throw reader.error(production->get("serial_pattern"), "production.serial_pattern",
                                   bad.what());
            }
            site.serial_pattern = *pattern;
        }
    }

    if (const toml::table* local = reader.table(root, "site", false)) {
        reader.only_keys(*local, "site", {"time_zone"});
        if (const auto zone = reader.text(*local, "time_zone", "site.time_zone")) {
            try {
                const SiteClock check(*zone);
            } catch (const SiteError& bad) {
                throw reader.error(local->get("time_zone"), "site.time_zone", bad.what());
            }
            site.time_zone = *zone;
        }
    }
    if (const toml::node* node = root.get("shift")) {
        const auto* array = node->as_array();
        if (!array || !array->is_array_of_tables())
            throw reader.error(node, "shift", "expected [[shift]] tables");
        for (std::size_t i = 0; i < array->size(); ++i) {
            const toml::table& table = *array->get(i)->as_table();
            const std::string path = fmt::format("shift[{}]", i + 1);
            reader.only_keys(table, path, {"name", "start"});
            const auto name = reader.text(table, "name", path + ".name");
            if (!name)
                throw reader.error(&table, path + ".name", "missing (required)");
            const auto start = reader.text(table, "start", path + ".start");
            if (!start)
                throw reader.error(&table, path + ".start", "missing (required)");
            const auto minutes = analysis::parse_clock_minutes(*start);
            if (!minutes)
                throw reader.error(table.get("start"), path + ".start",
                                   fmt::format("'{}' is not a local time HH:MM", *start));
            site.shifts.push_back({*name, *minutes});
        }
        if (const auto error = analysis::shift_list_error(site.shifts))
            throw reader.error(node, "shift", *error);
    }
    if (const toml::table* golden = reader.table(root, "golden", false)) {
        reader.only_keys(*golden, "golden", {"il_tolerance_db", "required"});
        if (const toml::node* node = golden->get("il_tolerance_db")) {
            const auto tolerance = node->value<double>();
            if (!tolerance || !(*tolerance > 0.0 && *tolerance <= 1.0)) {
                throw reader.error(node, "golden.il_tolerance_db",
                                   "expected a tolerance in dB, above 0 and at most 1");
            }
            site.golden.il_tolerance_db = *tolerance;
        }
        if (const auto every = reader.text(*golden, "required", "golden.required")) {
            if (*every == "shift")
                site.golden.required = analysis::GoldenPolicy::Every::Shift;
            else if (*every == "day")
                site.golden.required = analysis::GoldenPolicy::Every::Day;
            else if (*every == "none")
                site.golden.required = analysis::GoldenPolicy::Every::None;
            else
                throw reader.error(golden->get("required"), "golden.required",
                                   fmt::format("'{}' is not one of shift, day, none", *every));
        }
    }
    return site;
}

}  // namespace mpobench::reports
