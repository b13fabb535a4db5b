// The DUT file (DESIGN.md §4): the sample files, every malformed form,
// the writer, and the random assembly generator.

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "fixtures/dut.hpp"

using namespace mpobench;
using namespace mpobench::fixtures;
using Json = nlohmann::ordered_json;

namespace {

const std::filesystem::path kDataDir = std::filesystem::path(MPOBENCH_SOURCE_DIR) / "fixtures/data";

std::string read_text(const std::filesystem::path& path) {
    std::ifstream file(path, std::ios::binary);
    REQUIRE(file);
    std::ostringstream text;
    text << file.rdbuf();
    return text.str();
}

// A valid 12-fibre SM file as JSON, for the malformed tests to break.
Json good_json() {
    return Json::parse(read_text(kDataDir / "elite_sm_12f_b.json"));
}

// The message parse_dut gives for `json`, which must be rejected.
std::string rejection(const std::string& text) {
    try {
        (void)parse_dut(text, "dut.json");
    } catch (const DutFileError& error) {
        return error.what();
    }
    FAIL("accepted: " << text);
    return {};
}

std::string rejection(const Json& json) {
    return rejection(json.dump());
}

void require_same(const Dut& a, const Dut& b) {
    CHECK(a.description == b.description);
    CHECK(a.fibers == b.fibers);
    CHECK(a.mode == b.mode);
    CHECK(a.polarity == b.polarity);
    CHECK(a.map == b.map);
    CHECK(a.end_a.il_db == b.end_a.il_db);
    CHECK(a.end_a.rl_db == b.end_a.rl_db);
    CHECK(a.end_b.il_db == b.end_b.il_db);
    CHECK(a.end_b.rl_db == b.end_b.rl_db);
    CHECK(a.mating.sigma_db == b.mating.sigma_db);
    CHECK(a.mating.drift_db_per_1000 == b.mating.drift_db_per_1000);
}

}  // namespace

TEST_CASE("sample DUT files load with their declared shape", "[dut]") {
    struct Sample {
        const char* file;
        int fibers;
        FiberMode mode;
        PolarityType polarity;
        bool has_map;
    };
    const Sample samples[] = {
        {"elite_sm_12f_b.json", 12, FiberMode::SM, PolarityType::B, false},
        {"elite_mm_12f_a.json", 12, FiberMode::MM, PolarityType::A, false},
        {"standard_sm_24f_c.json", 24, FiberMode::SM, PolarityType::C, false},
        {"broken_fibre_sm_12f_b.json", 12, FiberMode::SM, PolarityType::B, true},
        {"miswired_sm_12f_b.json", 12, FiberMode::SM, PolarityType::B, true},
    };
    for (const auto& sample : samples) {
        INFO(sample.file);
        const Dut dut = load_dut(kDataDir / sample.file);
        CHECK(dut.fibers == sample.fibers);
        CHECK(dut.mode == sample.mode);
        CHECK(dut.polarity == sample.polarity);
        CHECK(dut.map.has_value() == sample.has_map);
        CHECK_FALSE(dut.description.empty());
        for (const int wavelength_nm : default_wavelengths_nm(sample.mode)) {
            CHECK(dut.end_a.il_db.at(wavelength_nm).size() ==
                  static_cast<std::size_t>(sample.fibers));
            CHECK(dut.end_b.rl_db.at(wavelength_nm).size() ==
                  static_cast<std::size_t>(sample.fibers));
        }
    }
}

TEST_CASE("routing follows the polarity type or the map", "[dut]") {
    const Dut type_b = load_dut(kDataDir / "elite_sm_12f_b.json");
    CHECK(type_b.routing() == std::vector<int>{12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1});
    const Dut type_c = load_dut(kDataDir / "standard_sm_24f_c.json");
    CHECK(type_c.routing()[0] == 2);
    CHECK(type_c.routing()[23] == 23);
    const Dut broken = load_dut(kDataDir / "broken_fibre_sm_12f_b.json");
    CHECK(broken.routing()[6] == 0);
    CHECK(broken.routing()[0] == 12);
    const Dut miswired = load_dut(kDataDir / "miswired_sm_12f_b.json");
    CHECK(miswired.routing() == polarity_map(PolarityType::A, 12));
}

TEST_CASE("dut_to_json writes the sample files back byte for byte", "[dut]") {
    for (const auto& entry : std::filesystem::directory_iterator(kDataDir)) {
        if (entry.path().extension() != ".json")
            continue;
        INFO(entry.path().filename().string());
        CHECK(dut_to_json(load_dut(entry.path())) == read_text(entry.path()));
    }
}

TEST_CASE("dut_to_json round-trips through parse_dut", "[dut]") {
    RandomDutGenerator generator(77);
    for (const int fibers : {8, 16, 32, 72}) {
        for (const FiberMode mode : {FiberMode::SM, FiberMode::MM}) {
            const Dut original = generator.next(fibers, mode, PolarityType::C);
            require_same(parse_dut(dut_to_json(original), "round trip"), original);
        }
    }
    Dut with_map = load_dut(kDataDir / "broken_fibre_sm_12f_b.json");
    with_map.description.clear();
    const std::string text = dut_to_json(with_map);
    CHECK(text.find("description") == std::string::npos);
    require_same(parse_dut(text, "round trip"), with_map);
}

TEST_CASE("malformed DUT files are rejected naming the file and the key", "[dut][errors]") {
    SECTION("not JSON") {
        const auto message = rejection(std::string("{\"fibers\": 12,"));
        CHECK_THAT(message, Catch::StartsWith("dut.json: not valid JSON:"));
    }
    SECTION("not an object") {
        CHECK(rejection(std::string("[1, 2]")) ==
              "dut.json: (top level): expected an object, got array");
    }
    SECTION("missing key") {
        Json json = good_json();
        json.erase("polarity");
        CHECK(rejection(json) == "dut.json: polarity: missing");
        json = good_json();
        json["ends"]["B"].erase("rl_db");
        CHECK(rejection(json) == "dut.json: ends.B.rl_db: missing");
        json = good_json();
        json["ends"]["A"]["il_db"].erase("1550");
        CHECK(rejection(json) == "dut.json: ends.A.il_db.1550: missing");
        json = good_json();
        json["mating"].erase("sigma_db");
        CHECK(rejection(json) == "dut.json: mating.sigma_db: missing");
    }
    SECTION("unknown key") {
        Json json = good_json();
        json["fibres"] = 12;
        CHECK_THAT(rejection(json), Catch::StartsWith("dut.json: fibres: unknown key"));
        json = good_json();
        json["ends"]["C"] = json["ends"]["A"];
        CHECK_THAT(rejection(json), Catch::StartsWith("dut.json: ends.C: unknown key"));
    }
    SECTION("wrong length") {
        Json json = good_json();
        json["ends"]["A"]["il_db"]["1550"].erase(11);
        CHECK(rejection(json) == "dut.json: ends.A.il_db.1550: expected 12 values, got 11");
        json = good_json();
        json["ends"]["B"]["rl_db"]["1310"].push_back(66.0);
        CHECK(rejection(json) == "dut.json: ends.B.rl_db.1310: expected 12 values, got 13");
    }
    SECTION("wrong types") {
        Json json = good_json();
        json["fibers"] = "12";
        CHECK(rejection(json) == "dut.json: fibers: expected an integer, got string \"12\"");
        json = good_json();
        json["fibers"] = 12.5;
        CHECK(rejection(json) == "dut.json: fibers: expected an integer, got number 12.5");
        json = good_json();
        json["fibers"] = 18446744073709551615ULL;  // read as signed, this would be -1
        CHECK(rejection(json) == "dut.json: fibers: 18446744073709551615 is out of range");
        json = good_json();
        json["fibers"] = -9223372036854775807LL;
        CHECK(rejection(json) == "dut.json: fibers: -9223372036854775807 is out of range");
        json = good_json();
        json["ends"]["A"]["il_db"]["1310"][3] = "0.2";
        CHECK(rejection(json) ==
              "dut.json: ends.A.il_db.1310[3]: expected a number, got string \"0.2\"");
        json = good_json();
        json["ends"]["A"]["rl_db"] = Json::array();
        CHECK(rejection(json) == "dut.json: ends.A.rl_db: expected an object, got array");
        json = good_json();
        json["map"] = "B";
        CHECK_THAT(rejection(json), Catch::StartsWith("dut.json: map: expected null or an array"));
    }
    SECTION("wavelength keys") {
        Json json = good_json();
        json["ends"]["A"]["il_db"]["1625"] = json["ends"]["A"]["il_db"]["1550"];
        CHECK(rejection(json) ==
              "dut.json: ends.A.il_db.1625: no 1625 nm for SM (expected 1310 and 1550 nm)");
        json = good_json();
        json["ends"]["A"]["il_db"]["13l0"] = json["ends"]["A"]["il_db"]["1310"];
        CHECK(rejection(json) ==
              "dut.json: ends.A.il_db.13l0: expected a wavelength in nm as the key");
        json = good_json();
        json["mode"] = "MM";  // the file's wavelengths are SM ones
        CHECK_THAT(rejection(json),
                   Catch::StartsWith("dut.json: ends.A.il_db.1310: no 1310 nm for MM"));
    }
    SECTION("bad map") {
        Json json = good_json();
        json["map"] = {1, 2, 3};
        CHECK(rejection(json) == "dut.json: map: expected 12 values, got 3");
        json["map"] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13};
        CHECK(rejection(json) ==
              "dut.json: map[11]: end-A fibre 12 reaches end-B position 13, outside 0..12");
        json["map"] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, -1};
        CHECK_THAT(rejection(json), Catch::StartsWith("dut.json: map[11]:"));
    }
    SECTION("duplicate map target") {
        Json json = good_json();
        json["map"] = {1, 2, 3, 4, 5, 6, 2, 8, 9, 10, 11, 12};
        CHECK(rejection(json) ==
              "dut.json: map[6]: end-B position 2 is reached from end-A fibres 2 and 7");
    }
    SECTION("negative mating sigma") {
        Json json = good_json();
        json["mating"]["sigma_db"] = -0.01;
        CHECK(rejection(json) == "dut.json: mating.sigma_db: -0.01 dB is outside 0 .. 1 dB");
        json = good_json();
        json["mating"]["drift_db_per_1000"] = -1;
        CHECK_THAT(rejection(json), Catch::StartsWith("dut.json: mating.drift_db_per_1000:"));
    }
    SECTION("unknown mode") {
        Json json = good_json();
        json["mode"] = "OM4";
        CHECK(rejection(json) == "dut.json: mode: expected \"MM\" or \"SM\", got \"OM4\"");
    }
    SECTION("unknown polarity") {
        Json json = good_json();
        json["polarity"] = "D";
        CHECK(rejection(json) == "dut.json: polarity: expected \"A\", \"B\" or \"C\", got \"D\"");
    }
    SECTION("fibre count 10") {
        Json json = good_json();
        json["fibers"] = 10;
        CHECK(rejection(json) ==
              "dut.json: fibers: unsupported fibre count 10 (expected 8, 12, 16, 24, 32 or 72)");
    }
    SECTION("values out of range") {
        Json json = good_json();
        json["ends"]["B"]["il_db"]["1550"][0] = -0.2;
        CHECK(rejection(json) ==
              "dut.json: ends.B.il_db.1550[0]: fibre 1: -0.2 dB is outside -0.1 .. 40 dB "
              "(exclusive)");
        json = good_json();
        json["ends"]["B"]["il_db"]["1550"][0] = 40;
        CHECK_THAT(rejection(json),
                   Catch::StartsWith("dut.json: ends.B.il_db.1550[0]: fibre 1: 40 dB"));
        json = good_json();
        json["ends"]["A"]["rl_db"]["1310"][4] = 95.0;
        CHECK(rejection(json) ==
              "dut.json: ends.A.rl_db.1310[4]: fibre 5: 95 dB is outside 0 .. 90 dB");
        json = good_json();
        json["ends"]["A"]["rl_db"]["1310"][4] = -3;
        CHECK_THAT(rejection(json), Catch::StartsWith("dut.json: ends.A.rl_db.1310[4]:"));
    }
    SECTION("number overflowing a double") {
        std::string text = good_json().dump();
        const std::string needle = "\"sigma_db\":0.02";
        REQUIRE(text.find(needle) != std::string::npos);
        text.replace(text.find(needle), needle.size(), "\"sigma_db\":1e999");
        const auto message = rejection(text);
        CHECK_THAT(message, Catch::StartsWith("dut.json: "));
    }
}

TEST_CASE("load_dut names a file it cannot open", "[dut][errors]") {
    const auto missing = std::filesystem::path(MPOBENCH_SOURCE_DIR) / "fixtures/data/no-such.json";
    CHECK_THROWS_WITH(load_dut(missing), missing.string() + ": cannot open the file");
}

TEST_CASE("validate_dut checks assemblies built in code", "[dut][errors]") {
    Dut dut = load_dut(kDataDir / "elite_mm_12f_a.json");
    CHECK_NOTHROW(validate_dut(dut, "code"));
    dut.end_b.il_db[1300].pop_back();
    CHECK_THROWS_WITH(validate_dut(dut, "code"),
                      "code: ends.B.il_db.1300: expected 12 values, got 11");
    dut = load_dut(kDataDir / "elite_mm_12f_a.json");
    dut.end_a.rl_db[850][2] = std::nan("");
    CHECK_THROWS_AS(validate_dut(dut, "code"), DutFileError);
}

// ---------------------------------------------------------------------------
// Random assemblies

namespace {

// The grading rule of DESIGN.md §2 with the default limits, reduced to what
// a generated file decides: per-fibre IL max, per-end mean IL, RL minimum,
// and continuity/polarity. Measurement adds mating scatter; the file's
// nominal values are what the production mix is tuned on.
enum class Grade { Fail, Generic, Standard, Elite };

Grade nominal_grade(const Dut& dut) {
    struct Limits {
        double mean_db, max_db, rl_min_db;
    };
    const bool sm = dut.mode == FiberMode::SM;
    const Limits by_grade[] = {
        sm ? Limits{0.50, 0.75, 60.0} : Limits{0.35, 0.75, 30.0},  // Generic
        sm ? Limits{0.35, 0.75, 65.0} : Limits{0.25, 0.60, 35.0},  // Standard
        sm ? Limits{0.25, 0.35, 65.0} : Limits{0.10, 0.35, 35.0},  // Elite
    };
    if (dut.routing() != polarity_map(dut.polarity, dut.fibers))
        return Grade::Fail;
    Grade best = Grade::Fail;
    for (int g = 0; g < 3; ++g) {
        const Limits& limits = by_grade[g];
        bool meets = true;
        for (const DutEnd* end : {&dut.end_a, &dut.end_b}) {
            for (const auto& [wavelength_nm, values] : end->il_db) {
                double sum = 0.0;
                for (const double il : values) {
                    sum += il;
                    meets = meets && il <= limits.max_db;
                }
                meets = meets && sum / static_cast<double>(values.size()) <= limits.mean_db;
            }
            for (const auto& [wavelength_nm, values] : end->rl_db) {
                for (const double rl : values)
                    meets = meets && rl >= limits.rl_min_db;
            }
        }
        if (meets)
            best = static_cast<Grade>(g + 1);
    }
    return best;
}

}  // namespace

TEST_CASE("random assemblies are reproducible from the seed", "[dut][random]") {
    RandomDutGenerator first(2024), second(2024), other(2025);
    for (int i = 0; i < 5; ++i) {
        const Dut a = first.next(12, FiberMode::SM, PolarityType::B);
        const Dut b = second.next(12, FiberMode::SM, PolarityType::B);
        const Dut c = other.next(12, FiberMode::SM, PolarityType::B);
        CHECK(dut_to_json(a) == dut_to_json(b));
        CHECK(dut_to_json(a) != dut_to_json(c));
    }
    // Continuing at an index gives that index's assembly.
    RandomDutGenerator from_start(9);
    (void)from_start.next(24, FiberMode::MM, PolarityType::A);
    const Dut second_of_seed = from_start.next(24, FiberMode::MM, PolarityType::A);
    RandomDutGenerator from_one(9, 1);
    CHECK(dut_to_json(from_one.next(24, FiberMode::MM, PolarityType::A)) ==
          dut_to_json(second_of_seed));
}

TEST_CASE("random assemblies have the requested shape", "[dut][random]") {
    RandomDutGenerator generator(3);
    for (const int fibers : {8, 12, 16, 24, 32, 72}) {
        for (const FiberMode mode : {FiberMode::MM, FiberMode::SM}) {
            for (const PolarityType polarity :
                 {PolarityType::A, PolarityType::B, PolarityType::C}) {
                const Dut dut = generator.next(fibers, mode, polarity);
                CHECK(dut.fibers == fibers);
                CHECK(dut.mode == mode);
                CHECK(dut.polarity == polarity);
                CHECK_NOTHROW(validate_dut(dut, "generated"));
            }
        }
    }
    CHECK_THROWS_AS(generator.next(10, FiberMode::SM, PolarityType::A), std::invalid_argument);
}

TEST_CASE("random assemblies follow a production-like mix", "[dut][random]") {
    constexpr int kCount = 200;
    for (const FiberMode mode : {FiberMode::SM, FiberMode::MM}) {
        INFO(to_string(mode));
        RandomDutGenerator generator(42);
        std::map<Grade, int> grades;
        int miswired = 0, high_loss = 0, low_rl = 0;
        double il_sum = 0.0, rl_sum = 0.0;
        int il_count = 0, rl_count = 0;
        for (int i = 0; i < kCount; ++i) {
            const Dut dut = generator.next(12, mode, PolarityType::B);
            ++grades[nominal_grade(dut)];
            if (dut.routing() != polarity_map(PolarityType::B, 12))
                ++miswired;
            bool any_high = false, any_low_rl = false;
            for (const DutEnd* end : {&dut.end_a, &dut.end_b}) {
                for (const auto& [wavelength_nm, values] : end->il_db) {
                    for (const double il : values) {
                        any_high = any_high || il > 0.75;
                        il_sum += il;
                        ++il_count;
                    }
                }
                for (const auto& [wavelength_nm, values] : end->rl_db) {
                    for (const double rl : values) {
                        any_low_rl = any_low_rl || rl < (mode == FiberMode::SM ? 58.0 : 29.0);
                        rl_sum += rl;
                        ++rl_count;
                    }
                }
            }
            high_loss += any_high;
            low_rl += any_low_rl;
        }
        const auto share = [&](int n) { return static_cast<double>(n) / kCount; };
        INFO("elite " << grades[Grade::Elite] << " standard " << grades[Grade::Standard]
                      << " generic " << grades[Grade::Generic] << " fail " << grades[Grade::Fail]
                      << " miswired/broken " << miswired << " high loss " << high_loss << " low RL "
                      << low_rl);
        // Most Elite, a fair share Standard, some Generic, a few failures.
        CHECK(share(grades[Grade::Elite]) > 0.35);
        CHECK(share(grades[Grade::Elite]) < 0.85);
        CHECK(share(grades[Grade::Standard]) > 0.05);
        CHECK(share(grades[Grade::Generic]) > 0.02);
        CHECK(share(grades[Grade::Fail]) > 0.03);
        CHECK(share(grades[Grade::Fail]) < 0.25);
        // Each fault kind occurs, at a few percent.
        CHECK(miswired >= 1);
        CHECK(share(miswired) < 0.10);
        CHECK(high_loss >= 1);
        CHECK(share(high_loss) < 0.10);
        CHECK(low_rl >= 1);
        CHECK(share(low_rl) < 0.10);
        const double mean_il = il_sum / il_count;
        const double mean_rl = rl_sum / rl_count;
        if (mode == FiberMode::SM) {
            CHECK(mean_il > 0.08);
            CHECK(mean_il < 0.30);
            CHECK(mean_rl > 62.0);
            CHECK(mean_rl < 75.0);
        } else {
            CHECK(mean_il > 0.03);
            CHECK(mean_il < 0.20);
            CHECK(mean_rl > 35.0);
            CHECK(mean_rl < 55.0);
        }
    }
}
