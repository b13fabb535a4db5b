#include <catch2/catch.hpp>

#include "drivers/scpi_parse.hpp"
#include "drivers/serial_ports.hpp"

using namespace mpobench::drivers;
using Catch::Matchers::Contains;
using Kind = ScpiNumber::Kind;

TEST_CASE("every SCPI numeric form parses to its value", "[parse][number]") {
    const std::vector<std::pair<std::string, double>> forms = {
        {"12", 12.0},
        {"+12", 12.0},
        {"-7", -7.0},
        {"0", 0.0},
        {"-3.25", -3.25},
        {"+0.5", 0.5},
        {".5", 0.5},
        {"-.5", -0.5},
        {"5.", 5.0},
        {"+1.234E-03", 1.234e-3},
        {"1.234e-03", 1.234e-3},
        {"-2.5E+2", -250.0},
        {"1E3", 1000.0},
        {"+1.00000000E+000", 1.0},
        {"+1.31000000E-006", 1.31e-6},
        {"-1.20000000E+001", -12.0},
        {"  -3.5", -3.5},
        {"4.25  ", 4.25},
        {"\t7\r\n", 7.0},
    };
    for (const auto& [text, value] : forms) {
        CAPTURE(text);
        const auto number = parse_number(text);
        CHECK(number.is_value());
        CHECK(number.value == Approx(value));
        CHECK(parse_value(text) == Approx(value));
    }
}

TEST_CASE("SCPI overrange and not-a-number are typed, never values", "[parse][number]") {
    CHECK(parse_number("9.9E37").kind == Kind::PositiveOverrange);
    CHECK(parse_number("+9.90000000E+037").kind == Kind::PositiveOverrange);
    CHECK(parse_number("-9.9E37").kind == Kind::NegativeOverrange);
    CHECK(parse_number("-9.90000000E+037").kind == Kind::NegativeOverrange);
    CHECK(parse_number("9.91E37").kind == Kind::NotANumber);
    CHECK(parse_number("+9.91000000E+037").kind == Kind::NotANumber);
    // Neighbours of the sentinels are ordinary values.
    CHECK(parse_number("9.8E37").is_value());
    CHECK(parse_number("9.9E36").is_value());

    CHECK_THROWS_WITH(parse_value("9.9E37"), Contains("overrange"));
    CHECK_THROWS_WITH(parse_value("-9.9E37"), Contains("underrange"));
    CHECK_THROWS_WITH(parse_value("9.91E37"), Contains("not-a-number"));
}

TEST_CASE("anything but a bare number is rejected, naming the text", "[parse][number]") {
    for (const std::string text :
         {"",    "   ", "abc", "1.0 dBm", "-20DBM", "1310nm", "100ms", "1.5.5", "1e",  "e5",
          "E5",  "+",   "-",   ".",       "1,2",    "1 2",    "0x1F",  "#H1F",  "inf", "INF",
          "nan", "NaN", "NAN", "--1",     "+-1",    "1E+-5",  "1e5.5", "1_000", "１"}) {
        CAPTURE(text);
        CHECK_THROWS_AS(parse_number(text), std::invalid_argument);
        CHECK_THROWS_WITH(parse_number(text), Contains("'"));
        CHECK_THROWS_AS(parse_value(text), std::invalid_argument);
    }
    CHECK_THROWS_WITH(parse_number("1.0 dBm"), Contains("'1.0 dBm'"));
    CHECK_THROWS_WITH(parse_number("1E999"), Contains("out of range"));
}

TEST_CASE("integers are NR1 only", "[parse][number]") {
    CHECK(parse_integer("12") == 12);
    CHECK(parse_integer("+0") == 0);
    CHECK(parse_integer("-113") == -113);
    CHECK(parse_integer(" +1\n") == 1);
    for (const std::string text :
         {"", "1.0", "1e3", "+1.00000000E+000", "one", "1 2", "12a", "99999999999999999999"}) {
        CAPTURE(text);
        CHECK_THROWS_AS(parse_integer(text), std::invalid_argument);
    }
}

// Found by tests/fuzz/fuzz_scpi_parse: std::regex_match recursed once per
// character and a reply of 50,000 digits overflowed the stack.
TEST_CASE("a number thousands of digits long is refused, not a stack overflow", "[parse][number]") {
    const std::string digits(100000, '1');
    CHECK_THROWS_AS(parse_number(digits), std::invalid_argument);
    CHECK_THROWS_AS(parse_integer(digits), std::invalid_argument);
    CHECK_THROWS_AS(parse_number_list("1," + digits), std::invalid_argument);
    CHECK_THROWS_AS(parse_error_entry(digits + ",\"No error\""), std::invalid_argument);
    // Long but plausible numbers still parse.
    CHECK(parse_value("+1." + std::string(200, '0') + "E+000") == 1.0);
}

TEST_CASE("lists split at commas outside quotes and trim elements", "[parse][list]") {
    CHECK(split_list("1,0,1,1") == std::vector<std::string>{"1", "0", "1", "1"});
    CHECK(split_list(" A , 5 ") == std::vector<std::string>{"A", "5"});
    CHECK(split_list(R"("a,b",c)") == std::vector<std::string>{R"("a,b")", "c"});
    CHECK(split_list("'x,y', z") == std::vector<std::string>{"'x,y'", "z"});
    CHECK(split_list(R"("it's",1)") == std::vector<std::string>{R"("it's")", "1"});
    CHECK(split_list("single") == std::vector<std::string>{"single"});
    CHECK(split_list("1,,2") == std::vector<std::string>{"1", "", "2"});
    CHECK(split_list("").empty());
    CHECK(split_list("  ").empty());
    CHECK_THROWS_WITH(split_list(R"("open,1)"), Contains("unterminated"));

    const auto numbers = parse_number_list("+1.0E-03, -2.5E+00,9.9E37");
    REQUIRE(numbers.size() == 3);
    CHECK(numbers[0].value == Approx(1e-3));
    CHECK(numbers[1].value == Approx(-2.5));
    CHECK(numbers[2].kind == Kind::PositiveOverrange);
    CHECK_THROWS_AS(parse_number_list("1,,2"), std::invalid_argument);
    CHECK_THROWS_AS(parse_number_list("1,2dBm"), std::invalid_argument);
}

TEST_CASE("*IDN? replies have exactly four fields", "[parse][idn]") {
    const auto keysight = parse_identity("Keysight Technologies,N7745C,MY12345678,1.2.3");
    CHECK(keysight.vendor == "Keysight Technologies");
    CHECK(keysight.model == "N7745C");
    CHECK(keysight.serial == "MY12345678");
    CHECK(keysight.firmware == "1.2.3");

    const auto spaced = parse_identity(" Thorlabs , PM100USB , P2001234 , 1.7.0 ");
    CHECK(spaced.vendor == "Thorlabs");
    CHECK(spaced.firmware == "1.7.0");
    CHECK(parse_identity("Dicon Fiberoptics Inc, GP600, 1234, 7.0").model == "GP600");

    CHECK_THROWS_WITH(parse_identity("Keysight,N7745C,MY123"), Contains("3 fields"));
    CHECK_THROWS_WITH(parse_identity("Keysight,N7745C,MY123,1.0,extra"), Contains("5 fields"));
    CHECK_THROWS_AS(parse_identity(""), std::invalid_argument);
    CHECK_THROWS_AS(parse_identity(",N7745C,MY123,1.0"), std::invalid_argument);
    CHECK_THROWS_AS(parse_identity("Keysight,,MY123,1.0"), std::invalid_argument);
}

TEST_CASE("error queue entries in every style", "[parse][errors]") {
    CHECK_FALSE(parse_error_entry(R"(0,"No error")").is_error());
    CHECK_FALSE(parse_error_entry(R"(+0,"No error")").is_error());
    CHECK_FALSE(parse_error_entry("+0, No Error").is_error());
    CHECK(parse_error_entry("+0, No Error").message == "No Error");
    CHECK(parse_error_entry(R"(0,"No error")").message == "No error");

    const auto undefined = parse_error_entry(R"(-113,"Undefined header")");
    CHECK(undefined.is_error());
    CHECK(undefined.code == -113);
    CHECK(undefined.message == "Undefined header");

    const auto detailed = parse_error_entry(R"(-222,"Data out of range;:SENS1:POW:WAV 2E-6")");
    CHECK(detailed.code == -222);
    CHECK(detailed.message == "Data out of range;:SENS1:POW:WAV 2E-6");
    CHECK(parse_error_entry("-350,\"Queue overflow\"\n").code == -350);

    for (const std::string text : {"", "No error", R"(x,"a")", R"(1.5,"x")", R"(-113,"unbalanced)",
                                   "-113,", R"(,"No error")", "99999999999,\"big\""}) {
        CAPTURE(text);
        CHECK_THROWS_AS(parse_error_entry(text), std::invalid_argument);
    }
}

TEST_CASE("definite-length blocks are read by their length", "[parse][block]") {
    const std::string two_floats("#18\x00\x00\x80\x3F\x00\x00\x00\x40", 11);
    CHECK(parse_definite_block(two_floats) == two_floats.substr(3));

    // The payload may hold the terminator byte.
    CHECK(parse_definite_block("#14a\nb\n") == "a\nb\n");
    CHECK(parse_definite_block("#210abcdefghij") == "abcdefghij");
    CHECK(parse_definite_block("#10").empty());

    std::size_t consumed = 0;
    CHECK(parse_definite_block("#15abcde\n", &consumed) == "abcde");
    CHECK(consumed == 8);
    CHECK_THROWS_WITH(parse_definite_block("#15abcde\n"), Contains("after"));

    CHECK(definite_block_size("") == std::nullopt);
    CHECK(definite_block_size("#") == std::nullopt);
    CHECK(definite_block_size("#2") == std::nullopt);
    CHECK(definite_block_size("#21") == std::nullopt);
    CHECK(definite_block_size("#210") == std::optional<std::size_t>(14));
}

TEST_CASE("malformed definite-length blocks are rejected clearly", "[parse][block]") {
    CHECK_THROWS_WITH(parse_definite_block(""), Contains("short"));
    CHECK_THROWS_WITH(parse_definite_block("#"), Contains("short"));
    CHECK_THROWS_WITH(parse_definite_block("#2"), Contains("short"));
    CHECK_THROWS_WITH(parse_definite_block("#25"), Contains("short"));
    CHECK_THROWS_WITH(parse_definite_block("#15abc"), Contains("5 payload bytes announced, 3"));
    CHECK_THROWS_WITH(parse_definite_block("#0abc\n"), Contains("indefinite"));
    CHECK_THROWS_WITH(parse_definite_block("#A5"), Contains("1-9"));
    CHECK_THROWS_WITH(parse_definite_block("#1x"), Contains("not a number"));
    CHECK_THROWS_WITH(parse_definite_block("+1.0E-03"), Contains("'#'"));
}

TEST_CASE("little-endian payloads decode to floats and uint16", "[parse][block]") {
    const std::string floats("\x00\x00\x80\x3F\x00\x00\x00\x40\x00\x00\x20\xC1", 12);
    CHECK(decode_float32_le(floats) == std::vector<float>{1.0F, 2.0F, -10.0F});
    CHECK(decode_float32_le("").empty());
    CHECK_THROWS_WITH(decode_float32_le("abc"), Contains("multiple of 4"));

    const std::string pairs("\x01\x00\x02\x01\xFF\xFF", 6);
    CHECK(decode_uint16_le(pairs) == std::vector<std::uint16_t>{1, 258, 65535});
    CHECK_THROWS_WITH(decode_uint16_le("abc"), Contains("multiple of 2"));
}

TEST_CASE("serial port lists read as a technician would", "[serial-ports]") {
    using mpobench::drivers::describe_serial_ports;
    using mpobench::drivers::SerialPortInfo;
    CHECK(describe_serial_ports({}) == "none");
    SerialPortInfo usb{"/dev/ttyUSB0", "FT232R USB UART", "A10K1234", 0x0403, 0x6001};
    SerialPortInfo onboard{"/dev/ttyS0", "", std::nullopt, std::nullopt, std::nullopt};
    CHECK(describe_serial_ports({usb, onboard}) ==
          "/dev/ttyUSB0 (FT232R USB UART, USB 0403:6001 serial A10K1234), /dev/ttyS0");
}
