// The bag label's ZPL: every field a printer would print, read back from the
// text; escaping that keeps any text from becoming a command; the runs and
// serials that get no label.

#include <catch2/catch.hpp>

#include <algorithm>
#include <regex>
#include <stdexcept>
#include <string>
#include <vector>

#include "reports/certificate.hpp"
#include "reports/errors.hpp"
#include "reports/label.hpp"
#include "tests/support/sample_run.hpp"

namespace {

using namespace mpobench;
using namespace mpobench::reports;
using Catch::Matchers::Contains;
using mpobench::testing::at_ms;

constexpr std::int64_t kEnd_ms = 1'794'959'999'999;  // 2026-11-17T23:59:59.999Z
const std::string kHash(64, 'a');
const mpobench::reports::SiteClock kUtc{""};

RunRecord passing_run() {
    RunRecord run;
    run.id = 41;
    run.kind = RunKind::Production;
    run.serial = "SN-2026-0042";
    run.part.number = "MPO12-SM-B-E";
    run.part.description = "MTP 12F SM APC type B, Elite";
    run.part.target = Grade::Elite;
    run.started_at = at_ms(kEnd_ms - 95'000);
    run.ended_at = at_ms(kEnd_ms);
    run.status = RunStatus::Completed;
    run.grade = Grade::Elite;
    run.pass = true;
    return run;
}

struct Field {
    std::string commands;  // what precedes ^FD in this field (^FO..., ^BC..., ^FH)
    std::string data;      // between ^FD and ^FS, as sent
};

// Each ^FO ... ^FD data ^FS field of the label, in order.
std::vector<Field> fields_of(const std::string& zpl) {
    std::vector<Field> fields;
    const std::regex field(R"(\^FO([^\n]*?)\^FD([^\n]*?)\^FS)");
    for (auto it = std::sregex_iterator(zpl.begin(), zpl.end(), field);
         it != std::sregex_iterator(); ++it) {
        fields.push_back({(*it)[1].str(), (*it)[2].str()});
    }
    return fields;
}

// ^FH's escapes undone: what the printer prints.
std::string unhex(const std::string& data) {
    std::string out;
    for (std::size_t i = 0; i < data.size(); ++i) {
        if (data[i] == '_' && i + 2 < data.size()) {
            out += static_cast<char>(std::stoi(data.substr(i + 1, 2), nullptr, 16));
            i += 2;
        } else {
            out += data[i];
        }
    }
    return out;
}

const Field& field_with(const std::vector<Field>& fields, const std::string& command) {
    for (const auto& field : fields)
        if (field.commands.find(command) != std::string::npos)
            return field;
    FAIL("no field with " << command);
    throw std::logic_error("unreachable");
}

std::vector<std::string> printed_texts(const std::vector<Field>& fields) {
    std::vector<std::string> texts;
    for (const auto& field : fields)
        if (field.commands.find("^A0N") != std::string::npos)
            texts.push_back(unhex(field.data));
    return texts;
}

}  // namespace

TEST_CASE("the bag label carries serial, part, grade, date, Code128 and the record QR", "[label]") {
    const auto run = passing_run();
    const std::string zpl = bag_label_zpl(bag_label_of(run, kHash, kUtc));

    CHECK(zpl.rfind("^XA\n", 0) == 0);
    CHECK(zpl.size() > 4);
    CHECK(zpl.substr(zpl.size() - 4) == "^XZ\n");
    CHECK_THAT(zpl, Contains("^CI28") && Contains("^PW812") && Contains("^LL406"));

    const auto fields = fields_of(zpl);
    const auto texts = printed_texts(fields);
    const auto has = [&](const std::string& text) {
        return std::find(texts.begin(), texts.end(), text) != texts.end();
    };
    CHECK(has("SN-2026-0042"));
    CHECK(has("MPO12-SM-B-E"));
    CHECK(has("MTP 12F SM APC type B, Elite"));
    CHECK(has("ELITE"));
    CHECK(has("2026-11-17"));  // the UTC day the run ended, its last millisecond
    // In the site's zone the label carries the local day: 2026-11-18 in Berlin.
    const auto local = bag_label_of(run, kHash, mpobench::reports::SiteClock("Europe/Berlin"));
    CHECK(local.tested_on == "2026-11-18");
    CHECK_FALSE(has("REPRINT"));

    const Field& barcode = field_with(fields, "^BC");
    CHECK_THAT(barcode.commands, Contains("^BCN,70,Y,N,N"));
    CHECK(unhex(barcode.data) == "SN-2026-0042");
    CHECK_THAT(barcode.commands, Contains("^BY2,"));

    const Field& qr = field_with(fields, "^BQ");
    CHECK_THAT(qr.commands, Contains("^BQN,2,"));
    // The same reference the certificate's QR code carries.
    CHECK(unhex(qr.data) == "MA," + qr_payload(run, kHash));
    CHECK(unhex(qr.data) == "MA,mpobench-record;serial=SN-2026-0042;run=41;sha256=" + kHash);
}

TEST_CASE("a reprinted label says so", "[label]") {
    auto label = bag_label_of(passing_run(), kHash, kUtc);
    label.reprint = true;
    const auto texts = printed_texts(fields_of(bag_label_zpl(label)));
    CHECK(std::find(texts.begin(), texts.end(), "REPRINT") != texts.end());
}

TEST_CASE("no text can inject a ZPL command", "[label]") {
    auto run = passing_run();
    run.serial = "SN_7";
    run.part.number = "PN^XZ~JA_1";
    run.part.description = "line\r\nbreak";
    const std::string zpl = bag_label_zpl(bag_label_of(run, kHash, kUtc));
    for (const auto& field : fields_of(zpl)) {
        INFO(field.data);
        CHECK(field.data.find('^') == std::string::npos);
        CHECK(field.data.find('~') == std::string::npos);
        CHECK(field.data.find('\r') == std::string::npos);
        // Every field of variable text is hex-escaped; only the fixed captions are not.
        const bool caption = field.data == "SERIAL" || field.data == "PART" ||
                             field.data == "GRADE" || field.data == "TESTED";
        CHECK((caption || field.commands.ends_with("^FH")));
    }
    CHECK_THAT(zpl, Contains("^FH^FDPN_5EXZ_7EJA_5F1^FS"));
    CHECK_THAT(zpl, Contains("^FH^FDline_0D_0Abreak^FS"));
    CHECK(unhex(field_with(fields_of(zpl), "^BC").data) == "SN_7");
    // One label: the part number's ^XZ did not end it early.
    CHECK(zpl.find("^XZ") == zpl.size() - 4);
}

TEST_CASE("a long serial gets narrower bars so the barcode stays left of the QR", "[label]") {
    auto run = passing_run();
    run.serial = "SN-" + std::string(27, '7');
    const auto barcode =
        field_with(fields_of(bag_label_zpl(bag_label_of(run, kHash, kUtc))), "^BC");
    CHECK_THAT(barcode.commands, Contains("^BY1,"));
}

TEST_CASE("serials a Zebra Code128 field cannot carry are refused, naming the character",
          "[label]") {
    auto label = bag_label_of(passing_run(), kHash, kUtc);
    label.serial = "SN>7";
    CHECK_THROWS_AS(bag_label_zpl(label), ReportError);
    CHECK_THROWS_WITH(bag_label_zpl(label), Contains("'>'") && Contains("SN>7"));
    label.serial = "SN^7";
    CHECK_THROWS_WITH(bag_label_zpl(label), Contains("'^'"));
    label.serial = "SN7\r";
    CHECK_THROWS_WITH(bag_label_zpl(label), Contains("0x0D"));
    label.serial =
        "SN\xC3\xA9"
        "7";
    CHECK_THROWS_WITH(bag_label_zpl(label), Contains("0xC3"));
    label.serial.clear();
    CHECK_THROWS_WITH(bag_label_zpl(label), Contains("needs a serial"));
    label.serial = "SN7";
    label.record_reference.clear();
    CHECK_THROWS_WITH(bag_label_zpl(label), Contains("no record reference"));
}

TEST_CASE("only a completed, passing production run gets a bag label", "[label]") {
    auto failed = passing_run();
    failed.pass = false;
    failed.grade = Grade::Standard;
    CHECK_THROWS_WITH(bag_label_of(failed, kHash, kUtc),
                      Contains("did not pass") && Contains("standard against target elite"));

    auto aborted = passing_run();
    aborted.status = RunStatus::Aborted;
    aborted.grade.reset();
    CHECK_THROWS_WITH(bag_label_of(aborted, kHash, kUtc),
                      Contains("not a completed production test"));

    auto repeatability = passing_run();
    repeatability.kind = RunKind::Repeatability;
    CHECK_THROWS_WITH(bag_label_of(repeatability, kHash, kUtc),
                      Contains("not a completed production test"));

    CHECK_THROWS_WITH(bag_label_of(passing_run(), "", kUtc), Contains("no record hash"));
}
