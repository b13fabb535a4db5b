#include <catch2/catch.hpp>

#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "analysis/limits.hpp"

using namespace mpobench;
using namespace mpobench::analysis;

namespace {

struct Row {
    Grade grade;
    FiberMode mode;
    GradeLimits limits;
};

// DESIGN.md §2, transcribed by hand.
const std::vector<Row> kDesignTable{
    {Grade::Generic, FiberMode::MM, {0.35, 0.75, 30.0, 0.20}},
    {Grade::Generic, FiberMode::SM, {0.50, 0.75, 60.0, 0.20}},
    {Grade::Standard, FiberMode::MM, {0.25, 0.60, 35.0, 0.10}},
    {Grade::Standard, FiberMode::SM, {0.35, 0.75, 65.0, 0.10}},
    {Grade::Elite, FiberMode::MM, {0.10, 0.35, 35.0, 0.10}},
    {Grade::Elite, FiberMode::SM, {0.25, 0.35, 65.0, 0.10}},
};

std::string section_of(const Row& row) {
    return "grade." + std::string(to_string(row.grade)) + "." + std::string(to_string(row.mode));
}

std::vector<std::pair<std::string, double>> values_of(const Row& row) {
    return {{"il_typical_db", row.limits.il_typical_db},
            {"il_max_db", row.limits.il_max_db},
            {"rl_min_db", *row.limits.rl_min_db},
            {"repeatability_max_db", row.limits.repeatability_max_db}};
}

// A limit-set text in a known line layout (the DESIGN table, name "test",
// version "7"). The line of `key` in `table` ("" for the top level) is
// replaced by `replacement`, or dropped when the replacement is empty.
std::string limits_text(const std::string& table = "", const std::string& key = "",
                        const std::optional<std::string>& replacement = std::nullopt) {
    const auto line = [&](const std::string& at, const std::string& k, const std::string& text) {
        if (at == table && k == key && replacement)
            return replacement->empty() ? std::string() : *replacement + "\n";
        return text + "\n";
    };
    std::string out = "# test limits\n";
    out += line("", "name", "name = \"test\"");
    out += line("", "version", "version = \"7\"");
    out += line("", "guard_band_db", "guard_band_db = 0.0");
    for (const auto& row : kDesignTable) {
        const auto section = section_of(row);
        out += "\n[" + section + "]\n";
        for (const auto& [k, value] : values_of(row))
            out += line(section, k, k + " = " + std::to_string(value));
    }
    return out;
}

// 1-based number of the first line starting with `prefix`, after the line
// starting with `after` when given.
int line_of(const std::string& text, const std::string& prefix, const std::string& after = "") {
    int number = 0;
    bool armed = after.empty();
    std::size_t start = 0;
    while (start < text.size()) {
        const auto end = text.find('\n', start);
        const auto line = text.substr(start, end == std::string::npos ? end : end - start);
        ++number;
        if (!armed && line.rfind(after, 0) == 0)
            armed = true;
        else if (armed && line.rfind(prefix, 0) == 0)
            return number;
        if (end == std::string::npos)
            break;
        start = end + 1;
    }
    FAIL("no line starting with " << prefix);
    return 0;
}

std::string error_of(const std::string& text, const std::string& source = "limits.toml") {
    try {
        parse_limit_set(text, source);
    } catch (const LimitSetError& error) {
        return error.what();
    }
    FAIL("no LimitSetError for:\n" << text);
    return {};
}

}  // namespace

TEST_CASE("default limit set is DESIGN.md §2 table value by value", "[limits]") {
    const auto& set = default_limit_set();
    CHECK(set.name == "mpobench-default");
    CHECK(set.version == "2");
    CHECK(set.guard_band_db == 0.0);
    CHECK(set.body == default_limit_set_toml());
    for (const auto& row : kDesignTable) {
        INFO(to_string(row.grade) << " " << to_string(row.mode));
        const auto& limits = set.limits(row.grade, row.mode);
        CHECK(limits.il_typical_db == row.limits.il_typical_db);
        CHECK(limits.il_max_db == row.limits.il_max_db);
        CHECK(limits.rl_min_db == row.limits.rl_min_db);
        CHECK(limits.repeatability_max_db == row.limits.repeatability_max_db);
    }
    CHECK_THROWS_AS(set.limits(Grade::Fail, FiberMode::SM), std::invalid_argument);
}

TEST_CASE("default limit set hash is its canonical form's SHA-256 and never drifts", "[limits]") {
    const auto& set = default_limit_set();
    CHECK(set.hash == sha256_hex(canonical_form(set)));
    // Runs record this hash; a change of the canonical form would orphan them.
    // Computed with sha256sum over the canonical text written out by hand
    // (version 2, with [return_loss]).
    CHECK(set.hash == "d09cbdec55d0cf612a1eae47fe95f0e7d2ca17e778f5bf624b322e9aba725c1d");
}

TEST_CASE("sha256_hex matches the FIPS 180-2 vectors", "[limits]") {
    CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST_CASE("canonical form reads back as the same set", "[limits]") {
    const auto& set = default_limit_set();
    const auto canonical = canonical_form(set);
    const auto reread = parse_limit_set(canonical, "canonical.toml");
    CHECK(reread.table == set.table);
    CHECK(reread.name == set.name);
    CHECK(reread.version == set.version);
    CHECK(reread.hash == set.hash);
    CHECK(canonical_form(reread) == canonical);
    CHECK(canonical.find("rl_min_db = 65.0\n") != std::string::npos);
    CHECK(canonical.find("il_typical_db = 0.1\n") != std::string::npos);
}

TEST_CASE("hash is stable under reformatting", "[limits]") {
    const auto& reference = default_limit_set();
    // Same content: other key and table order, comments, spacing, integers
    // for whole numbers, inline and dotted tables, no explicit guard band.
    const std::string reformatted = R"(
# reordered and restyled
version="2"   # the version
name   =   "mpobench-default"
return_loss = { max_time_ms = 2_000, confidence = 0.990 }

[grade.elite]
SM = { repeatability_max_db = 0.1, rl_min_db = 65, il_max_db = 0.35, il_typical_db = 0.25 }
MM.il_max_db = 0.350
MM.il_typical_db = 1e-1
MM.rl_min_db = 35
MM.repeatability_max_db = 0.10

[grade.standard.SM]
il_max_db = 0.75
il_typical_db = 0.35
rl_min_db = 65
repeatability_max_db = 0.1
[grade.standard.MM]
rl_min_db = 35.0
il_max_db = 0.6
il_typical_db = 0.25
repeatability_max_db = 0.1

[grade.generic.SM]
il_typical_db = 0.5
il_max_db = 0.75
rl_min_db = 60
repeatability_max_db = 0.2
[grade.generic.MM]
il_typical_db = 0.35
il_max_db = 0.75
rl_min_db = 30
repeatability_max_db = 0.2
)";
    const auto set = parse_limit_set(reformatted, "restyled.toml");
    CHECK(set.body == reformatted);
    CHECK(set.table == reference.table);
    CHECK(set.hash == reference.hash);
    CHECK(parse_limit_set(canonical_form(reference), "c.toml").hash == reference.hash);
}

TEST_CASE("hash changes with any value", "[limits]") {
    const auto base = parse_limit_set(limits_text(), "limits.toml");
    std::set<std::string> hashes{base.hash};
    std::vector<std::string> variants{
        limits_text("", "name", "name = \"test2\""),
        limits_text("", "version", "version = \"8\""),
        limits_text("", "guard_band_db", "guard_band_db = 0.01"),
        limits_text("", "guard_band_db", "guard_band_db = 0.000000001"),
    };
    for (const auto& row : kDesignTable) {
        for (const auto& [key, value] : values_of(row)) {
            // Up by a hair, or down where up would break the nesting of grades.
            const auto up =
                limits_text(section_of(row), key, key + " = " + std::to_string(value + 1e-6));
            const auto down =
                limits_text(section_of(row), key, key + " = " + std::to_string(value - 1e-6));
            try {
                parse_limit_set(up, "variant.toml");
                variants.push_back(up);
            } catch (const LimitSetError&) {
                variants.push_back(down);
            }
        }
    }
    REQUIRE(variants.size() == 4 + 6 * 4);
    for (const auto& text : variants) {
        const auto set = parse_limit_set(text, "variant.toml");
        INFO(canonical_form(set));
        CHECK(hashes.insert(set.hash).second);
    }
    CHECK(hashes.size() == variants.size() + 1);
}

TEST_CASE("limit set errors name source, line and key", "[limits]") {
    SECTION("TOML syntax error names the line") {
        const auto message = error_of("name = \"x\"\nversion = = \"1\"\n", "bad.toml");
        CHECK(message.rfind("bad.toml:2:", 0) == 0);
    }
    SECTION("wrong type") {
        const auto text = limits_text("grade.elite.SM", "il_max_db", "il_max_db = \"0.35\"");
        CHECK(error_of(text) ==
              "limits.toml:" + std::to_string(line_of(text, "il_max_db", "[grade.elite.SM]")) +
                  ": grade.elite.SM.il_max_db: expected a number");
        const auto boolean = limits_text("grade.generic.MM", "rl_min_db", "rl_min_db = true");
        CHECK_THAT(error_of(boolean),
                   Catch::Contains("grade.generic.MM.rl_min_db: expected a number"));
        const auto name = limits_text("", "name", "name = 3");
        CHECK(error_of(name) == "limits.toml:2: name: expected a string");
        const auto version = limits_text("", "version", "version = 1");
        CHECK(error_of(version) == "limits.toml:3: version: expected a string");
        const auto grade = "name = \"x\"\nversion = \"1\"\ngrade = 3\n";
        CHECK(error_of(grade) == "limits.toml:3: grade: expected a table");
        const auto guard = limits_text("", "guard_band_db", "guard_band_db = \"none\"");
        CHECK(error_of(guard) == "limits.toml:4: guard_band_db: expected a number");
    }
    SECTION("not finite") {
        const auto nan = limits_text("grade.elite.MM", "il_max_db", "il_max_db = nan");
        CHECK_THAT(error_of(nan),
                   Catch::Contains("grade.elite.MM.il_max_db: expected a finite number"));
        const auto inf = limits_text("grade.generic.SM", "rl_min_db", "rl_min_db = inf");
        CHECK_THAT(error_of(inf),
                   Catch::Contains("grade.generic.SM.rl_min_db: expected a finite number"));
    }
    SECTION("missing grade, mode or key") {
        std::string no_elite = limits_text();
        no_elite = no_elite.substr(0, no_elite.find("\n[grade.elite.MM]")) + "\n";
        CHECK_THAT(error_of(no_elite), Catch::Contains("grade.elite: missing (required)"));
        std::string no_sm = limits_text();
        no_sm = no_sm.substr(0, no_sm.find("\n[grade.elite.SM]")) + "\n";
        CHECK_THAT(error_of(no_sm), Catch::Contains("grade.elite.SM: missing (required)"));
        const auto no_key = limits_text("grade.standard.MM", "il_max_db", "");
        CHECK(error_of(no_key) ==
              "limits.toml:" + std::to_string(line_of(no_key, "[grade.standard.MM]")) +
                  ": grade.standard.MM.il_max_db: missing (required)");
        CHECK_THAT(error_of("name = \"x\"\nversion = \"1\"\n"),
                   Catch::Contains("grade: missing (required)"));
        CHECK_THAT(error_of(limits_text("", "name", "")),
                   Catch::Contains("name: missing (required)"));
        CHECK_THAT(error_of(limits_text("", "version", "")),
                   Catch::Contains("version: missing (required)"));
        CHECK_THAT(error_of(""), Catch::Contains("limits.toml:1: name: missing (required)"));
    }
    SECTION("empty name or version") {
        CHECK(error_of(limits_text("", "name", "name = \"\"")) ==
              "limits.toml:2: name: must not be empty");
        CHECK(error_of(limits_text("", "version", "version = ''")) ==
              "limits.toml:3: version: must not be empty");
    }
    SECTION("negative or zero limit") {
        const auto negative = limits_text("grade.generic.SM", "rl_min_db", "rl_min_db = -60.0");
        CHECK(
            error_of(negative) ==
            "limits.toml:" + std::to_string(line_of(negative, "rl_min_db", "[grade.generic.SM]")) +
                ": grade.generic.SM.rl_min_db: -60 must be greater than 0");
        const auto zero = limits_text("grade.elite.MM", "il_typical_db", "il_typical_db = 0");
        CHECK_THAT(error_of(zero),
                   Catch::Contains("grade.elite.MM.il_typical_db: 0 must be greater than 0"));
        const auto repeat =
            limits_text("grade.generic.MM", "repeatability_max_db", "repeatability_max_db = -0.1");
        CHECK_THAT(error_of(repeat), Catch::Contains("grade.generic.MM.repeatability_max_db: -0.1 "
                                                     "must be greater than 0"));
        const auto guard = limits_text("", "guard_band_db", "guard_band_db = -0.01");
        CHECK(error_of(guard) == "limits.toml:4: guard_band_db: must not be negative");
    }
    SECTION("typical above max") {
        const auto text = limits_text("grade.standard.SM", "il_typical_db", "il_typical_db = 0.8");
        CHECK(
            error_of(text) ==
            "limits.toml:" + std::to_string(line_of(text, "il_typical_db", "[grade.standard.SM]")) +
                ": grade.standard.SM.il_typical_db: 0.8 is above il_max_db = 0.75 (the typical "
                "limit may not exceed the maximum)");
    }
    SECTION("higher grade looser than a lower one") {
        const auto il_max = limits_text("grade.elite.SM", "il_max_db", "il_max_db = 0.8");
        CHECK(error_of(il_max) ==
              "limits.toml:" + std::to_string(line_of(il_max, "il_max_db", "[grade.elite.SM]")) +
                  ": grade.elite.SM.il_max_db: 0.8 is looser than grade.standard.SM.il_max_db = "
                  "0.75 (a higher grade may not be looser)");
        const auto rl = limits_text("grade.elite.MM", "rl_min_db", "rl_min_db = 34.9");
        CHECK_THAT(error_of(rl), Catch::Contains("grade.elite.MM.rl_min_db: 34.9 is looser than "
                                                 "grade.standard.MM.rl_min_db = 35"));
        const auto typical =
            limits_text("grade.standard.MM", "il_typical_db", "il_typical_db = 0.4");
        CHECK_THAT(error_of(typical),
                   Catch::Contains("grade.standard.MM.il_typical_db: 0.4 is looser than "
                                   "grade.generic.MM.il_typical_db = 0.35"));
        const auto repeat =
            limits_text("grade.standard.SM", "repeatability_max_db", "repeatability_max_db = 0.25");
        CHECK_THAT(error_of(repeat),
                   Catch::Contains("grade.standard.SM.repeatability_max_db: 0.25 is looser than "
                                   "grade.generic.SM.repeatability_max_db = 0.2"));
    }
    SECTION("guard band as wide as a limit") {
        const auto text = limits_text("", "guard_band_db", "guard_band_db = 0.1");
        CHECK(error_of(text) ==
              "limits.toml:4: guard_band_db: 0.1 leaves nothing of grade.elite.MM.il_typical_db = "
              "0.1");
    }
    SECTION("unknown keys") {
        const auto top = limits_text("", "guard_band_db", "guard_band = 0.0");
        CHECK(error_of(top) ==
              "limits.toml:4: guard_band: unknown key (allowed: name, version, guard_band_db, "
              "return_loss, grade)");
        const auto grade = limits_text() + "\n[grade.premium.SM]\nil_max_db = 0.1\n";
        CHECK_THAT(
            error_of(grade),
            Catch::Contains("grade.premium: unknown key (allowed: generic, standard, elite)"));
        const auto mode = limits_text() + "\n[grade.elite.OM4]\nil_max_db = 0.1\n";
        CHECK_THAT(error_of(mode),
                   Catch::Contains("grade.elite.OM4: unknown key (allowed: MM, SM)"));
        const auto key = limits_text("grade.elite.SM", "il_max_db", "il_maximum_db = 0.35");
        CHECK(error_of(key) ==
              "limits.toml:" + std::to_string(line_of(key, "il_maximum_db", "[grade.elite.SM]")) +
                  ": grade.elite.SM.il_maximum_db: unknown key (allowed: il_typical_db, "
                  "il_max_db, rl_min_db, repeatability_max_db)");
    }
}

namespace {

// The test set without the RL minimum of the given grades in the given mode.
std::string without_rl(FiberMode mode, std::initializer_list<Grade> grades) {
    std::string text = limits_text();
    for (const Grade grade : grades) {
        const auto section =
            "[grade." + std::string(to_string(grade)) + "." + std::string(to_string(mode)) + "]\n";
        const auto at = text.find("rl_min_db", text.find(section));
        text.erase(at, text.find('\n', at) + 1 - at);
    }
    return text;
}

}  // namespace

TEST_CASE("an RL minimum may be left out, never by a grade above one that has it", "[limits]") {
    SECTION("no RL minimum in a mode: that mode requires no RL") {
        const auto set = parse_limit_set(
            without_rl(FiberMode::SM, {Grade::Generic, Grade::Standard, Grade::Elite}), "l.toml");
        for (const Grade grade : {Grade::Generic, Grade::Standard, Grade::Elite})
            CHECK_FALSE(set.limits(grade, FiberMode::SM).rl_min_db);
        CHECK_FALSE(requires_rl(set, FiberMode::SM));
        CHECK(requires_rl(set, FiberMode::MM));
        CHECK(requires_rl(default_limit_set(), FiberMode::SM));
        // The canonical form has no line for it and reads back the same.
        const auto canonical = canonical_form(set);
        CHECK(parse_limit_set(canonical, "c.toml").table == set.table);
        CHECK(canonical.find("rl_min_db = 60.0") == std::string::npos);
        CHECK(canonical.find("rl_min_db = 35.0") != std::string::npos);
    }
    SECTION("only the highest grade sets one") {
        const auto set =
            parse_limit_set(without_rl(FiberMode::MM, {Grade::Generic, Grade::Standard}), "l.toml");
        CHECK(set.limits(Grade::Elite, FiberMode::MM).rl_min_db == 35.0);
        CHECK(requires_rl(set, FiberMode::MM));
    }
    SECTION("a grade without one above a grade with one is looser") {
        const auto text = without_rl(FiberMode::SM, {Grade::Elite});
        CHECK(error_of(text) ==
              "limits.toml:" + std::to_string(line_of(text, "[grade.elite.SM]")) +
                  ": grade.elite.SM.rl_min_db: missing, but grade.standard.SM.rl_min_db = 65 (a "
                  "higher grade may not be looser)");
    }
}

TEST_CASE("guard band and integers are read", "[limits]") {
    const auto set =
        parse_limit_set(limits_text("", "guard_band_db", "guard_band_db = 0.05"), "limits.toml");
    CHECK(set.guard_band_db == 0.05);
    CHECK(set.name == "test");
    CHECK(set.version == "7");
    // Limits are kept as written; grading subtracts the guard band.
    CHECK(set.limits(Grade::Elite, FiberMode::SM).il_max_db == Approx(0.35).margin(1e-12));
    const auto without = parse_limit_set(limits_text("", "guard_band_db", ""), "limits.toml");
    CHECK(without.guard_band_db == 0.0);
    const auto integer =
        parse_limit_set(limits_text("grade.generic.MM", "rl_min_db", "rl_min_db = 30"), "l.toml");
    CHECK(integer.limits(Grade::Generic, FiberMode::MM).rl_min_db == 30.0);
}

TEST_CASE("an integer no double holds exactly is refused by the grade checks, not a crash",
          "[limits]") {
    // Found by fuzz_limits: toml++ gives no double for 2^53 + 1, which was dereferenced.
    const auto huge = limits_text("grade.generic.MM", "rl_min_db", "rl_min_db = 9007199254740993");
    CHECK_THAT(error_of(huge), Catch::Contains("grade."));
    const auto guard = limits_text("", "guard_band_db", "guard_band_db = 9007199254740993");
    CHECK_THAT(error_of(guard), Catch::Contains("guard_band_db"));
}

TEST_CASE("canonical form escapes strings", "[limits]") {
    auto set = default_limit_set();
    set.name = "QA \"special\"\\ set\n";
    const auto canonical = canonical_form(set);
    CHECK(canonical.rfind("name = \"QA \\\"special\\\"\\\\ set\\u000A\"\n", 0) == 0);
    CHECK(parse_limit_set(canonical, "c.toml").name == set.name);
}
