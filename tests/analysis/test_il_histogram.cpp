#include <catch2/catch.hpp>

#include <cmath>
#include <stdexcept>
#include <string>

#include "analysis/qa.hpp"

using mpobench::analysis::IlHistogram;

namespace {

std::string bytes(std::initializer_list<unsigned char> values) {
    std::string out;
    for (const unsigned char value : values) {
        out += static_cast<char>(value);
    }
    return out;
}

}  // namespace

TEST_CASE("IL readings land in 0.01 dB bins from -0.10 dB", "[qa][histogram]") {
    IlHistogram histogram;
    histogram.add(-0.10);  // bin 0
    histogram.add(0.0);    // bin 10
    histogram.add(0.25);   // bin 35
    histogram.add(0.259);  // bin 35
    histogram.add(1.95);   // bin 205, though 2.05 / 0.01 is 204.99999999999997 in binary
    histogram.add(3.899);  // bin 399
    CHECK(histogram.count() == 6);
    CHECK(histogram.bin(0) == 1);
    CHECK(histogram.bin(10) == 1);
    CHECK(histogram.bin(35) == 2);
    CHECK(histogram.bin(204) == 0);
    CHECK(histogram.bin(205) == 1);
    CHECK(histogram.bin(399) == 1);
    CHECK(IlHistogram::bin_lower_edge_db(35) == Approx(0.25));
    CHECK_THROWS_AS(histogram.bin(400), std::out_of_range);
}

TEST_CASE("IL bins counted elsewhere add whole, bad bins and counts are refused",
          "[qa][histogram]") {
    IlHistogram histogram;
    histogram.add(0.25);  // bin 35
    histogram.add_to_bin(35, 4);
    histogram.add_to_bin(0, 2);
    histogram.add_to_bin(399, 0);
    CHECK(histogram.count() == 7);
    CHECK(histogram.bin(35) == 5);
    CHECK(histogram.bin(0) == 2);
    CHECK(histogram.bin(399) == 0);
    CHECK_THROWS_AS(histogram.add_to_bin(-1, 1), std::out_of_range);
    CHECK_THROWS_AS(histogram.add_to_bin(400, 1), std::out_of_range);
    CHECK_THROWS_AS(histogram.add_to_bin(35, -1), std::out_of_range);
    CHECK(histogram.count() == 7);
}

TEST_CASE("IL readings outside the range are clamped, NaN is not counted", "[qa][histogram]") {
    IlHistogram histogram;
    histogram.add(-0.5);
    histogram.add(-0.1001);
    histogram.add(3.90);  // the upper edge of the last bin
    histogram.add(25.0);
    histogram.add(std::nan(""));
    CHECK(histogram.count() == 4);
    CHECK(histogram.bin(0) == 2);
    CHECK(histogram.bin(399) == 2);
}

TEST_CASE("IL quantiles are read to the bin's upper edge", "[qa][histogram]") {
    IlHistogram histogram;
    CHECK_FALSE(histogram.quantile_db(0.5).has_value());
    for (const double il_db : {0.10, 0.20, 0.30}) {
        histogram.add(il_db);
    }
    CHECK(histogram.quantile_db(0.33) == Approx(0.11));  // 0.99 readings: the 1st
    CHECK(histogram.quantile_db(0.34) == Approx(0.21));  // 1.02 readings: the 2nd
    CHECK(histogram.quantile_db(0.5) == Approx(0.21));
    CHECK(histogram.quantile_db(0.97) == Approx(0.31));
    CHECK(histogram.quantile_db(1.0) == Approx(0.31));

    IlHistogram other;
    for (int i = 0; i < 96; ++i) {
        other.add(0.05);
    }
    other.add(0.5);
    other += histogram;  // 100 readings: 96 at 0.05, then 0.10, 0.20, 0.30, 0.50
    CHECK(other.count() == 100);
    CHECK(other.bin(15) == 96);
    CHECK(other.quantile_db(0.96) == Approx(0.06));   // the 96th reading
    CHECK(other.quantile_db(0.97) == Approx(0.11));   // the 97th
    CHECK(other.quantile_db(0.975) == Approx(0.21));  // 97.5: the 98th
    CHECK(other.quantile_db(1.0) == Approx(0.51));
}

TEST_CASE("IL histograms encode compactly and decode to the same bins", "[qa][histogram]") {
    IlHistogram empty;
    CHECK(empty.encode().empty());
    CHECK(IlHistogram::decode("").count() == 0);

    IlHistogram histogram;
    histogram.add(0.0);  // bin 10, once
    for (int i = 0; i < 300; ++i) {
        histogram.add(1.95);  // bin 205, 300 times
    }
    const std::string encoded = histogram.encode();
    // (10, 1), (205 = 0xCD 0x01, 300 = 0xAC 0x02) as varints.
    CHECK(encoded == bytes({0x0A, 0x01, 0xCD, 0x01, 0xAC, 0x02}));

    const IlHistogram decoded = IlHistogram::decode(encoded);
    CHECK(decoded.count() == 301);
    for (int i = 0; i < IlHistogram::bin_count; ++i) {
        CAPTURE(i);
        CHECK(decoded.bin(i) == histogram.bin(i));
    }
    CHECK(decoded.encode() == encoded);
}

TEST_CASE("an encoded IL histogram adds to another as its decoded bins would", "[qa][histogram]") {
    IlHistogram a, b;
    a.add(0.0);
    a.add(0.25);
    b.add(0.25);
    b.add(3.0);
    IlHistogram sum = a;
    sum.add_encoded(b.encode());
    IlHistogram expected = a;
    expected += b;
    CHECK(sum.count() == 4);
    for (int i = 0; i < IlHistogram::bin_count; ++i) {
        CAPTURE(i);
        CHECK(sum.bin(i) == expected.bin(i));
    }
    CHECK_THROWS_AS(sum.add_encoded(bytes({0x80})), std::invalid_argument);
}

TEST_CASE("IL histogram decode refuses malformed bytes", "[qa][histogram]") {
    const auto refuses = [](const std::string& encoded) {
        CHECK_THROWS_AS(IlHistogram::decode(encoded), std::invalid_argument);
    };
    SECTION("truncated varint") {
        refuses(bytes({0x80}));
        refuses(bytes({0x05, 0x81}));
    }
    SECTION("index without a count") {
        refuses(bytes({0x05}));
    }
    SECTION("bins out of order or repeated") {
        refuses(bytes({0x05, 0x01, 0x03, 0x01}));
        refuses(bytes({0x05, 0x01, 0x05, 0x01}));
    }
    SECTION("bin out of range") {
        refuses(bytes({0x90, 0x03, 0x01}));  // bin 400
    }
    SECTION("zero count") {
        refuses(bytes({0x05, 0x00}));
    }
    SECTION("number longer than 64 bits") {
        refuses(bytes({0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01}));
    }
}
