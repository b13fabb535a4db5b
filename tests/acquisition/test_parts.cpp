// The part catalogue: a good file, every malformed form, the default catalogue.

#include <catch2/catch.hpp>
#include <string>

#include "acquisition/parts.hpp"

using namespace mpobench;
using namespace mpobench::acquisition;
using Catch::Matchers::Contains;

namespace {

const std::string kGoodPart = R"([[part]]
number = "MPO12-SM-B-E"
fibers = 12
mode = "SM"
polarity = "B"
grade = "elite"
length_m = 3
)";

// The message of parsing `text` as "bad.toml"; fails the test when it parses.
std::string error_of(const std::string& text) {
    try {
        parse_part_catalogue(text, "bad.toml");
    } catch (const PartCatalogueError& error) {
        return error.what();
    }
    FAIL("the catalogue parsed:\n" << text);
    return {};
}

// kGoodPart with `line` added to its table (line 8).
std::string good_part_with(const std::string& line) {
    return kGoodPart + line + "\n";
}

// kGoodPart with the line starting with `key` replaced by `replacement`.
std::string good_part_replacing(const std::string& key, const std::string& replacement) {
    std::string text = kGoodPart;
    const auto start = text.find("\n" + key + " =");
    REQUIRE(start != std::string::npos);
    const auto end = text.find('\n', start + 1);
    text.replace(start + 1, end - start - 1, replacement);
    return text;
}

}  // namespace

TEST_CASE("a part catalogue with every key parses", "[parts]") {
    const auto catalogue = parse_part_catalogue(R"(# two parts
[[part]]
number = "MPO12-SM-B-E"
fibers = 12
mode = "SM"
polarity = "B"
grade = "elite"
length_m = 3

[[part]]
number = "MPO24-MM-C-S-R5"
description = "24-fibre multimode, five re-mates"
fibers = 24
mode = "MM"
polarity = "C"
grade = "standard"
length_m = 12.5
wavelengths_nm = [1300]
mating_cycles = 5
)",
                                                "good.toml");
    REQUIRE(catalogue.parts.size() == 2);
    CHECK(catalogue.source_path == "good.toml");

    const Part* sm = catalogue.find("MPO12-SM-B-E");
    REQUIRE(sm);
    CHECK(sm->fibers == 12);
    CHECK(sm->mode == FiberMode::SM);
    CHECK(sm->polarity == PolarityType::B);
    CHECK(sm->target == Grade::Elite);
    CHECK(sm->length_m == 3.0);
    CHECK(sm->wavelengths_nm == std::vector<int>{1310, 1550});  // the mode's default
    CHECK(sm->mating_cycles == 0);
    CHECK(sm->description.empty());

    const Part* mm = catalogue.find("MPO24-MM-C-S-R5");
    REQUIRE(mm);
    CHECK(mm->description == "24-fibre multimode, five re-mates");
    CHECK(mm->fibers == 24);
    CHECK(mm->mode == FiberMode::MM);
    CHECK(mm->polarity == PolarityType::C);
    CHECK(mm->target == Grade::Standard);
    CHECK(mm->length_m == 12.5);
    CHECK(mm->wavelengths_nm == std::vector<int>{1300});
    CHECK(mm->mating_cycles == 5);

    CHECK(catalogue.find("MPO12-SM-B-S") == nullptr);
    CHECK(catalogue.match(24, FiberMode::MM, PolarityType::C, Grade::Standard) == mm);
    CHECK(catalogue.match(24, FiberMode::MM, PolarityType::C, Grade::Elite) == nullptr);
}

TEST_CASE("every malformed part catalogue names file, line and key", "[parts]") {
    SECTION("TOML syntax") {
        const auto message = error_of("[[part]]\nnumber = \"MPO12\nfibers = 12\n");
        CHECK_THAT(message, Contains("bad.toml:2:"));
    }
    SECTION("unknown key in a part") {
        const auto message = error_of(good_part_with("colour = \"aqua\""));
        CHECK_THAT(message, Contains("bad.toml:8:"));
        CHECK_THAT(message, Contains("part[1].colour: unknown key"));
    }
    SECTION("misspelt optional key") {
        const auto message = error_of(good_part_with("mating_cycle = 3"));
        CHECK_THAT(message, Contains("bad.toml:8:"));
        CHECK_THAT(message, Contains("mating_cycle: unknown key"));
    }
    SECTION("unknown top-level key") {
        const auto message = error_of("version = 2\n" + kGoodPart);
        CHECK_THAT(message, Contains("bad.toml:1:"));
        CHECK_THAT(message, Contains("version: unknown key"));
    }
    SECTION("no parts at all") {
        CHECK_THAT(error_of("# nothing\n"), Contains("bad.toml: no [[part]] tables"));
    }
    SECTION("part is not an array of tables") {
        const auto message = error_of("part = 3\n");
        CHECK_THAT(message, Contains("bad.toml:1:"));
        CHECK_THAT(message, Contains("expected [[part]] tables"));
    }
    SECTION("each required key missing") {
        for (const std::string key :
             {"number", "fibers", "mode", "polarity", "grade", "length_m"}) {
            std::string text = kGoodPart;
            const auto start = text.find("\n" + key + " =");
            const auto end = text.find('\n', start + 1);
            text.erase(start, end - start);
            const auto message = error_of(text);
            CHECK_THAT(message, Contains("bad.toml:1:"));
            CHECK_THAT(message, Contains("." + key + ": missing (required)"));
        }
    }
    SECTION("number: wrong type, empty, spaces") {
        CHECK_THAT(error_of(good_part_replacing("number", "number = 12")),
                   Contains("bad.toml:2: part[1].number: expected a string"));
        CHECK_THAT(error_of(good_part_replacing("number", "number = \"\"")),
                   Contains("bad.toml:2: part[1].number: '' is not a part number"));
        CHECK_THAT(error_of(good_part_replacing("number", "number = \"MPO 12\"")),
                   Contains("bad.toml:2: part[1].number: 'MPO 12' is not a part number"));
    }
    SECTION("fibers: wrong type, unsupported count, out of range") {
        CHECK_THAT(error_of(good_part_replacing("fibers", "fibers = \"12\"")),
                   Contains("bad.toml:3: part[1] (MPO12-SM-B-E).fibers: expected an integer"));
        CHECK_THAT(error_of(good_part_replacing("fibers", "fibers = 12.0")),
                   Contains("bad.toml:3: part[1] (MPO12-SM-B-E).fibers: expected an integer"));
        CHECK_THAT(error_of(good_part_replacing("fibers", "fibers = 10")),
                   Contains("bad.toml:3: part[1] (MPO12-SM-B-E).fibers: 10 is not an MPO "
                            "fibre count"));
        CHECK_THAT(error_of(good_part_replacing("fibers", "fibers = -12")),
                   Contains("bad.toml:3: part[1] (MPO12-SM-B-E).fibers: -12 is outside"));
    }
    SECTION("mode, polarity and grade outside their words") {
        CHECK_THAT(error_of(good_part_replacing("mode", "mode = \"sm\"")),
                   Contains("bad.toml:4: part[1] (MPO12-SM-B-E).mode: 'sm' is not"));
        CHECK_THAT(error_of(good_part_replacing("mode", "mode = 1")),
                   Contains("bad.toml:4: part[1] (MPO12-SM-B-E).mode: expected a string"));
        CHECK_THAT(error_of(good_part_replacing("polarity", "polarity = \"D\"")),
                   Contains("bad.toml:5: part[1] (MPO12-SM-B-E).polarity: 'D' is not"));
        CHECK_THAT(error_of(good_part_replacing("grade", "grade = \"gold\"")),
                   Contains("bad.toml:6: part[1] (MPO12-SM-B-E).grade: 'gold' is not a target "
                            "grade"));
        // Fail is a verdict, never a target.
        CHECK_THAT(error_of(good_part_replacing("grade", "grade = \"fail\"")),
                   Contains("bad.toml:6: part[1] (MPO12-SM-B-E).grade: 'fail' is not a target"));
    }
    SECTION("length_m: wrong type, zero, negative, absurd") {
        CHECK_THAT(error_of(good_part_replacing("length_m", "length_m = \"3 m\"")),
                   Contains("bad.toml:7: part[1] (MPO12-SM-B-E).length_m: expected a number"));
        CHECK_THAT(error_of(good_part_replacing("length_m", "length_m = 0")),
                   Contains("bad.toml:7: part[1] (MPO12-SM-B-E).length_m: 0 m is outside"));
        CHECK_THAT(error_of(good_part_replacing("length_m", "length_m = -2.5")),
                   Contains("length_m: -2.5 m is outside"));
        CHECK_THAT(error_of(good_part_replacing("length_m", "length_m = inf")),
                   Contains("length_m: inf m is outside"));
        CHECK_THAT(error_of(good_part_replacing("length_m", "length_m = 1e9")),
                   Contains("bad.toml:7:"));
    }
    SECTION("wavelengths_nm: not the mode's, duplicated, empty, wrong type") {
        CHECK_THAT(error_of(good_part_with("wavelengths_nm = [1310, 850]")),
                   Contains("bad.toml:8: part[1] (MPO12-SM-B-E).wavelengths_nm: 850 nm is not "
                            "a SM test wavelength (1310, 1550 nm)"));
        CHECK_THAT(error_of(good_part_with("wavelengths_nm = [1550, 1550]")),
                   Contains("bad.toml:8: part[1] (MPO12-SM-B-E).wavelengths_nm: 1550 nm is "
                            "listed twice"));
        CHECK_THAT(error_of(good_part_with("wavelengths_nm = []")),
                   Contains("bad.toml:8: part[1] (MPO12-SM-B-E).wavelengths_nm: expected a "
                            "non-empty array"));
        CHECK_THAT(error_of(good_part_with("wavelengths_nm = 1310")),
                   Contains("wavelengths_nm: expected a non-empty array"));
        CHECK_THAT(error_of(good_part_with("wavelengths_nm = [1310.0]")),
                   Contains("wavelengths_nm: expected integers (nm)"));
        CHECK_THAT(error_of(good_part_with("wavelengths_nm = [\"1310\"]")),
                   Contains("wavelengths_nm: expected integers (nm)"));
    }
    SECTION("mating_cycles and description of the wrong kind") {
        CHECK_THAT(error_of(good_part_with("mating_cycles = -1")),
                   Contains("bad.toml:8: part[1] (MPO12-SM-B-E).mating_cycles: -1 is outside"));
        CHECK_THAT(error_of(good_part_with("mating_cycles = 2.5")),
                   Contains("mating_cycles: expected an integer"));
        CHECK_THAT(error_of(good_part_with("description = 7")),
                   Contains("bad.toml:8: part[1] (MPO12-SM-B-E).description: expected a string"));
    }
    SECTION("a part that is not a table") {
        CHECK_THAT(error_of("part = [1, 2]\n"), Contains("bad.toml:1: part[1]: expected a table"));
    }
    SECTION("the same number twice") {
        const auto message = error_of(kGoodPart + "\n" + kGoodPart);
        CHECK_THAT(message, Contains("bad.toml:9: part[2].number: 'MPO12-SM-B-E' is already "
                                     "defined at line 1"));
    }
    SECTION("the same number in another case: numbers are looked up ignoring case") {
        std::string lower = kGoodPart;
        lower.replace(lower.find("MPO12-SM-B-E"), 12, "mpo12-sm-b-e");
        CHECK_THAT(error_of(kGoodPart + "\n" + lower),
                   Contains("bad.toml:9: part[2].number: 'mpo12-sm-b-e' is already defined at "
                            "line 1"));
    }
}

TEST_CASE("part numbers are found in any case, as the catalogue spells them", "[parts]") {
    const auto catalogue = parse_part_catalogue(kGoodPart, "parts.toml");
    for (const char* typed : {"MPO12-SM-B-E", "mpo12-sm-b-e", "Mpo12-Sm-b-E"}) {
        const Part* part = catalogue.find(typed);
        REQUIRE(part);
        CHECK(part->number == "MPO12-SM-B-E");
    }
    CHECK_FALSE(catalogue.find("MPO12-SM-B-"));
    CHECK_FALSE(catalogue.find("MPO12-SM-B-E "));
    CHECK(same_part_number("abc-1", "ABC-1"));
    CHECK_FALSE(same_part_number("abc-1", "abc-2"));
}

TEST_CASE("a catalogue file that cannot be read is named", "[parts]") {
    CHECK_THROWS_WITH(load_part_catalogue("/nonexistent/parts.toml"),
                      Contains("/nonexistent/parts.toml: cannot open part catalogue"));
}

TEST_CASE("the default catalogue covers every shape at target elite", "[parts]") {
    const auto path = default_part_catalogue_path();
    CHECK(path.filename() == "parts.toml");
    const auto catalogue = load_part_catalogue(path);
    for (const int fibers : {8, 12, 16, 24, 32, 72}) {
        for (const FiberMode mode : {FiberMode::MM, FiberMode::SM}) {
            for (const PolarityType polarity :
                 {PolarityType::A, PolarityType::B, PolarityType::C}) {
                INFO(fibers << " fibres " << to_string(mode) << " polarity "
                            << to_string(polarity));
                const Part* part = catalogue.match(fibers, mode, polarity, Grade::Elite);
                REQUIRE(part);
                // The naming the file documents: MPO<fibres>-<mode>-<polarity>-E.
                CHECK(part->number == "MPO" + std::to_string(fibers) + "-" +
                                          std::string(to_string(mode)) + "-" +
                                          std::string(to_string(polarity)) + "-E");
                CHECK(part->wavelengths_nm == default_wavelengths_nm(mode));
            }
        }
    }
    const auto has_target = [&](Grade grade) {
        return std::any_of(catalogue.parts.begin(), catalogue.parts.end(),
                           [&](const Part& part) { return part.target == grade; });
    };
    CHECK(has_target(Grade::Standard));
    CHECK(has_target(Grade::Generic));
    // The sample DUT files have a part each.
    CHECK(catalogue.find("MPO12-SM-B-E"));
    CHECK(catalogue.find("MPO12-MM-A-E"));
    CHECK(catalogue.match(24, FiberMode::SM, PolarityType::C, Grade::Standard));
    const Part* remated = catalogue.find("MPO12-SM-B-E-R3");
    REQUIRE(remated);
    CHECK(remated->mating_cycles == 3);
}
