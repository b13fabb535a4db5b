// The test certificate, checked the way a customer's tools see it: qpdf for
// structure, pdftotext for what it says, pdftoppm for what it shows, zbarimg
// for the QR code and barcode. Also the site file it is issued under.

#include <cairo.h>
#include <fmt/format.h>
#include <catch2/catch.hpp>

#include <fstream>
#include <iterator>
#include <map>
#include <regex>
#include <sstream>

#include "analysis/grading.hpp"
#include "analysis/record_hash.hpp"
#include "reports/certificate.hpp"
#include "reports/drawing.hpp"
#include "tests/support/pdf_bytes.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/sample_run.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

using namespace mpobench;
using namespace mpobench::reports;
using mpobench::testing::at_ms;
using mpobench::testing::CommandResult;
using mpobench::testing::quoted;
using mpobench::testing::read_bytes;
using mpobench::testing::run_command;
using mpobench::testing::TempDir;
using mpobench::testing::without_creation_date;

constexpr std::int64_t kStart_ms = 1'795'000'000'000;  // 2026-11-17

void write_text(const std::filesystem::path& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
    REQUIRE(out);
}

// A completed production run of a correctly built assembly: every fibre of
// both ends at both wavelengths, well inside Elite.
RunRecord completed_run(const std::string& serial, int fibers, FiberMode mode,
                        PolarityType polarity) {
    RunRecord run;
    run.id = 41;
    run.serial = serial;
    run.part.number = fmt::format("MTP{}-{}-{}-3M", fibers, to_string(mode), to_string(polarity));
    run.part.description =
        fmt::format("MTP {}F {} type {}, 3 m", fibers, to_string(mode), to_string(polarity));
    run.part.fibers = fibers;
    run.part.mode = mode;
    run.part.polarity = polarity;
    run.part.target = Grade::Elite;
    run.part.length_m = 3.0;
    run.part.wavelengths_nm = default_wavelengths_nm(mode);
    run.station = "bench-2";
    run.operator_name = "grace";
    run.software_version = "0.4.0";
    run.started_at = at_ms(kStart_ms);
    run.ended_at = at_ms(kStart_ms + 95'000);
    run.status = RunStatus::Completed;
    run.reference_id = 7;
    run.instruments = {
        {"source", InstrumentRole::LightSource, "keysight_8165x", "TCPIP0::127.0.0.1::5025::SOCKET",
         "Keysight", "81657A", "DE41A01234", "V5.25", "2027-03-01"},
        {"switch", InstrumentRole::OpticalSwitch, "keysight_n773x",
         "TCPIP0::127.0.0.1::5026::SOCKET", "Keysight", "N7734A", "MY55010203", "1.30",
         "2027-01-15"},
        {"meter", InstrumentRole::PowerMeter, "keysight_n774x", "ASRL/dev/ttyUSB0::INSTR",
         "Keysight", "N7745C", "MY56789012", "1.42", ""},
    };
    const double rl_db = mode == FiberMode::SM ? 67.0 : 42.0;
    const double base_il_db = mode == FiberMode::SM ? 0.12 : 0.05;
    for (const End end : {End::A, End::B}) {
        const auto far = analysis::expected_far_positions(run.part, end);
        run.polarity.push_back({end, far});
        std::int64_t taken_ms = kStart_ms + 1000;
        for (const int wavelength_nm : run.part.wavelengths_nm) {
            for (int fiber = 1; fiber <= fibers; ++fiber) {
                Measurement m;
                m.end = end;
                m.fiber = fiber;
                m.wavelength_nm = wavelength_nm;
                m.far_position = far[static_cast<std::size_t>(fiber - 1)];
                m.power_dbm = -3.3;
                m.il_db = base_il_db + 0.003 * (fiber % 7) + (end == End::B ? 0.004 : 0.0);
                m.rl_db = rl_db + 0.1 * (fiber % 5);
                m.taken_at = at_ms(taken_ms += 250);
                run.measurements.push_back(m);
            }
        }
    }
    return run;
}

Measurement& find_measurement(RunRecord& run, End end, int fiber, int wavelength_nm) {
    for (auto& m : run.measurements)
        if (m.end == end && m.fiber == fiber && m.wavelength_nm == wavelength_nm && m.cycle == 0)
            return m;
    FAIL("no measurement " << fiber << " at " << wavelength_nm);
    throw std::logic_error("unreachable");
}

Reference reference_for(const RunRecord& run) {
    Reference reference;
    reference.id = run.reference_id;
    reference.station = run.station;
    reference.operator_name = run.operator_name;
    reference.taken_at = run.started_at - std::chrono::minutes(134);
    reference.launch_cord = "LC-REF-0042";
    reference.mode = run.part.mode;
    reference.fibers = run.part.fibers;
    return reference;
}

CertificateInput graded_input(RunRecord run) {
    analysis::apply_grade(run, analysis::default_limit_set());
    CertificateInput input;
    input.reference = reference_for(run);
    input.limits = analysis::default_limit_set();
    input.record_hash = analysis::record_hash(run);
    input.run = std::move(run);
    input.site.company_name = "Example Optical Assemblies Ltd.";
    input.site.address_lines = {"Unit 4, Fibre Park", "Cambridge CB4 0WS", "United Kingdom"};
    input.site.logo_png = std::filesystem::path(MPOBENCH_SOURCE_DIR) / "fixtures/site/logo.png";
    return input;
}

// 12F SM type B: end A fibre 7 too lossy at 1550 nm (misses Elite), end B
// fibre 3 dark (denies every grade).
CertificateInput failing_12f_sm() {
    RunRecord run = completed_run("SN-2611-0007", 12, FiberMode::SM, PolarityType::B);
    find_measurement(run, End::A, 7, 1550).il_db = 0.52;
    for (const int wavelength_nm : {1310, 1550}) {
        Measurement& dark = find_measurement(run, End::B, 3, wavelength_nm);
        dark.status = ReadingStatus::NoLight;
        dark.far_position = 0;
        dark.il_db.reset();
        dark.rl_db.reset();
    }
    run.polarity[1].far_positions[2] = 0;
    return graded_input(std::move(run));
}

CertificateInput passing_32f_mm() {
    return graded_input(completed_run("SN-2611-0032", 32, FiberMode::MM, PolarityType::A));
}

// 12F MM type C with three mating cycles after the production measurement.
CertificateInput with_mating_cycles() {
    RunRecord run = completed_run("SN-2611-0112", 12, FiberMode::MM, PolarityType::C);
    run.part.mating_cycles = 3;
    run.mating_cycles_run = 3;
    std::vector<Measurement> matings;
    for (const auto& m : run.measurements) {
        for (int cycle = 1; cycle <= 3; ++cycle) {
            Measurement again = m;
            again.cycle = cycle;
            again.il_db = *m.il_db + 0.01 * cycle;
            again.rl_db.reset();
            matings.push_back(again);
        }
    }
    run.measurements.insert(run.measurements.end(), matings.begin(), matings.end());
    return graded_input(std::move(run));
}

std::string pdf_text(const std::filesystem::path& pdf) {
    const auto text_file = pdf.parent_path() / (pdf.stem().string() + ".txt");
    const CommandResult result =
        run_command("pdftotext -layout " + quoted(pdf) + " " + quoted(text_file));
    REQUIRE(result.exit_code == 0);
    return read_bytes(text_file);
}

int page_count(const std::filesystem::path& pdf) {
    const CommandResult info = run_command("pdfinfo " + quoted(pdf));
    REQUIRE(info.exit_code == 0);
    std::smatch match;
    REQUIRE(std::regex_search(info.output, match, std::regex(R"(Pages:\s+(\d+))")));
    return std::stoi(match[1]);
}

// Every production row of one end, as its table prints it: fibre, far end,
// wavelength and IL (or "no light").
void require_rows(const std::string& section, const RunRecord& run, End end) {
    for (const auto& m : run.measurements) {
        if (m.end != end || m.cycle != 0)
            continue;
        const std::string far = m.far_position == 0 ? "—" : std::to_string(m.far_position);
        const std::string il = m.il_db ? fmt::format("{:.3f}", *m.il_db) : "no light";
        const std::regex row(
            fmt::format(R"((^|\n)\s*{}\s+{}\s+{}\s+{})", m.fiber, far, m.wavelength_nm, il));
        INFO("end " << to_string(end) << " fibre " << m.fiber << " at " << m.wavelength_nm);
        CHECK(std::regex_search(section, row));
    }
}

void require_complete_text(const CertificateInput& input, const std::filesystem::path& pdf) {
    const std::string text = pdf_text(pdf);
    const RunRecord& run = input.run;
    CHECK_THAT(text, Catch::Contains(run.serial));
    CHECK_THAT(text, Catch::Contains(run.part.number));
    CHECK_THAT(text, Catch::Contains(run.pass ? "PASS" : "FAIL"));
    std::string grade(to_string(*run.grade));
    for (char& c : grade)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    CHECK_THAT(text, Catch::Contains(grade));
    CHECK_THAT(text, Catch::Contains("Target grade: Elite"));
    CHECK_THAT(text, Catch::Contains(input.record_hash));
    CHECK_THAT(text, Catch::Contains(run.limit_set_hash));
    CHECK_THAT(text, Catch::Contains("2 h 14 min"));  // reference age at test start
    for (const auto& instrument : run.instruments)
        CHECK_THAT(text, Catch::Contains(instrument.serial));
    const int pages = page_count(pdf);
    CHECK_THAT(text, Catch::Contains(fmt::format("Page 1 of {}", pages)));
    CHECK_THAT(text, Catch::Contains(fmt::format("Page {} of {}", pages, pages)));

    const auto end_b = text.find("Measurements · end B launched");
    REQUIRE(end_b != std::string::npos);
    require_rows(text.substr(0, end_b), run, End::A);
    require_rows(text.substr(end_b), run, End::B);
}

std::filesystem::path render_page_png(const std::filesystem::path& pdf, int dpi,
                                      const std::string& name) {
    const auto prefix = pdf.parent_path() / name;
    const CommandResult result = run_command(fmt::format(
        "pdftoppm -r {} -png -f 1 -l 1 -singlefile {} {}", dpi, quoted(pdf), quoted(prefix)));
    REQUIRE(result.exit_code == 0);
    return prefix.string() + ".png";
}

// Share of pixels of a PNG that are not white.
double inked_fraction(const std::filesystem::path& png) {
    cairo_surface_t* image = cairo_image_surface_create_from_png(png.c_str());
    REQUIRE(cairo_surface_status(image) == CAIRO_STATUS_SUCCESS);
    cairo_surface_flush(image);
    const int width = cairo_image_surface_get_width(image);
    const int height = cairo_image_surface_get_height(image);
    const int stride = cairo_image_surface_get_stride(image);
    const unsigned char* data = cairo_image_surface_get_data(image);
    long inked = 0;
    for (int y = 0; y < height; ++y) {
        const auto* row = reinterpret_cast<const std::uint32_t*>(data + y * stride);
        for (int x = 0; x < width; ++x)
            inked += (row[x] & 0xffffff) != 0xffffff;
    }
    cairo_surface_destroy(image);
    return static_cast<double>(inked) / (static_cast<double>(width) * height);
}

}  // namespace

TEST_CASE("a 12-fibre SM certificate shows the failing fibre, both ends and the hash") {
    TempDir dir;
    const CertificateInput input = failing_12f_sm();
    REQUIRE_FALSE(input.run.pass);
    REQUIRE(input.run.grade == Grade::Fail);
    const auto pdf = dir.file("cert-12f.pdf");
    write_certificate(input, pdf);
    // Written whole: the temporary file is gone, only the certificate is left.
    CHECK(std::distance(std::filesystem::directory_iterator(dir.file("")),
                        std::filesystem::directory_iterator()) == 1);

    const CommandResult check = run_command("qpdf --check " + quoted(pdf));
    INFO(check.output);
    CHECK(check.exit_code == 0);

    require_complete_text(input, pdf);
    const std::string text = pdf_text(pdf);
    CHECK(std::regex_search(
        text, std::regex(R"(7\s+6\s+1550\s+0\.520\s+0\.35\s+[\d.]+\s+65\.0\s+✗ IL)")));
    CHECK(std::regex_search(
        text, std::regex(R"(3\s+—\s+1310\s+no light\s+0\.35\s+—\s+65\.0\s+✗ no light)")));
    CHECK_THAT(text, Catch::Contains("differs from polarity type B"));
}

TEST_CASE("a FAIL certificate says which limit made it fail, and names the record") {
    TempDir dir;
    // 12F SM, target Standard: end A fibre 3 at 1310 nm misses even the
    // Generic maximum (0.75 dB), end B fibre 5 only the Elite one.
    RunRecord run = completed_run("SN-2611-0092", 12, FiberMode::SM, PolarityType::B);
    run.part.target = Grade::Standard;
    run.id = 11;
    find_measurement(run, End::A, 3, 1310).il_db = 0.92;
    find_measurement(run, End::B, 5, 1550).il_db = 0.40;
    const CertificateInput input = graded_input(std::move(run));
    REQUIRE_FALSE(input.run.pass);
    const auto pdf = dir.file("fail.pdf");
    write_certificate(input, pdf);
    const std::string text = pdf_text(pdf);
    CHECK(std::regex_search(
        text, std::regex(R"(FAIL: end A fibre 3 1310 nm: IL 0\.92 dB > generic max 0\.75 dB)")));
    CHECK_THAT(text, !Catch::Contains("and 1 more"));  // end B fibre 5 meets Standard
    CHECK_THAT(text, Catch::Contains("record 11"));
    CHECK_THAT(text, !Catch::Contains("run 11"));

    // A pass says nothing of the kind.
    const auto passing = dir.file("pass.pdf");
    write_certificate(passing_32f_mm(), passing);
    CHECK_THAT(pdf_text(passing), !Catch::Contains("FAIL:"));
}

TEST_CASE("an RL beyond the RL module's range shows as a bound that meets the minimum") {
    TempDir dir;
    RunRecord run = completed_run("SN-2611-0075", 12, FiberMode::SM, PolarityType::B);
    for (const int wavelength_nm : {1310, 1550}) {
        Measurement& m = find_measurement(run, End::A, 4, wavelength_nm);
        m.rl_db.reset();
        m.rl_above_db = 75.0;
    }
    const CertificateInput input = graded_input(std::move(run));
    REQUIRE(input.run.pass);
    const auto pdf = dir.file("cert-bound.pdf");
    write_certificate(input, pdf);
    require_complete_text(input, pdf);
    const std::string text = pdf_text(pdf);
    // Fibre 4 of end A (far end 9): IL, its max, the bound, the RL minimum, a pass mark.
    for (const char* wavelength : {"1310", "1550"}) {
        INFO(wavelength);
        CHECK(std::regex_search(
            text, std::regex(fmt::format(R"(4\s+9\s+{}\s+[\d.]+\s+0\.35\s+> 75\.0\s+65\.0\s+✓)",
                                         wavelength))));
    }
}

TEST_CASE("a 32-fibre MM certificate runs over several numbered pages") {
    TempDir dir;
    const CertificateInput input = passing_32f_mm();
    REQUIRE(input.run.pass);
    const auto pdf = dir.file("cert-32f.pdf");
    write_certificate(input, pdf);
    CHECK(run_command("qpdf --check " + quoted(pdf)).exit_code == 0);
    CHECK(page_count(pdf) >= 3);
    require_complete_text(input, pdf);
    const std::string text = pdf_text(pdf);
    CHECK_THAT(text, Catch::Contains("End A launched (continued)"));
    CHECK_THAT(text, Catch::Contains("Measured map matches polarity type A"));
}

TEST_CASE("a 72-fibre certificate lists every row of both ends") {
    TempDir dir;
    const CertificateInput input =
        graded_input(completed_run("SN-2611-0072", 72, FiberMode::SM, PolarityType::B));
    const auto pdf = dir.file("cert-72f.pdf");
    write_certificate(input, pdf);
    CHECK(run_command("qpdf --check " + quoted(pdf)).exit_code == 0);
    CHECK(page_count(pdf) >= 6);
    require_complete_text(input, pdf);
    CHECK_THAT(pdf_text(pdf), Catch::Contains("Row 6 · fibres 61–72"));
}

TEST_CASE("a miswired 24-fibre certificate names the wrong and the dark fibres") {
    TempDir dir;
    RunRecord run = completed_run("SN-2611-0024", 24, FiberMode::SM, PolarityType::C);
    // End-A fibres 2 and 14 swapped across the rows, 5 on 7, 20 dark.
    const std::map<int, int> miswired{{2, 14}, {14, 2}, {5, 7}, {20, 0}};
    for (auto& m : run.measurements) {
        if (m.end != End::A || !miswired.contains(m.fiber))
            continue;
        m.far_position = miswired.at(m.fiber);
        if (m.far_position == 0) {
            m.status = ReadingStatus::NoLight;
            m.il_db.reset();
            m.rl_db.reset();
        }
    }
    for (const auto& [fiber, far] : miswired)
        run.polarity[0].far_positions[static_cast<std::size_t>(fiber - 1)] = far;
    CertificateInput input = graded_input(std::move(run));
    input.limits.reset();  // limits unknown: shown as dashes, failures still marked

    const auto pdf = dir.file("cert-24f.pdf");
    write_certificate(input, pdf);
    CHECK(run_command("qpdf --check " + quoted(pdf)).exit_code == 0);
    require_complete_text(input, pdf);
    const std::string text = pdf_text(pdf);
    CHECK(std::regex_search(text,
                            std::regex(R"(end-A\s+fibres\s+2,\s+5,\s+14\s+reach\s+the\s+wrong)")));
    CHECK(std::regex_search(text, std::regex(R"(no light from\s+end-A\s+fibre\s+20\.)")));
    CHECK(std::regex_search(text,
                            std::regex(R"(2\s+14\s+1310\s+[\d.]+\s+—\s+[\d.]+\s+—\s+✗ polarity)")));
    CHECK_THAT(text, Catch::Contains("Polarity map (continued)"));
}

TEST_CASE("a certificate with mating cycles adds the repeatability statistics") {
    TempDir dir;
    const CertificateInput input = with_mating_cycles();
    const auto pdf = dir.file("cert-cycles.pdf");
    write_certificate(input, pdf);
    CHECK(run_command("qpdf --check " + quoted(pdf)).exit_code == 0);
    require_complete_text(input, pdf);
    const std::string text = pdf_text(pdf);
    CHECK_THAT(text, Catch::Contains("Mating-cycle repeatability"));
    // End A fibre 1 at 850 nm: IL 0.053 + 0.01 x cycle over cycles 1..3.
    CHECK(std::regex_search(
        text,
        std::regex(R"(A\s+1\s+850\s+3\s+0\.073\s+0\.063\s+0\.083\s+0\.020\s+0\.010\s+0\.10\s+✓)")));
}

TEST_CASE("page 1 of a certificate is drawn, and its QR code and barcode decode") {
    TempDir dir;
    const CertificateInput input = failing_12f_sm();
    const auto pdf = dir.file("cert.pdf");
    write_certificate(input, pdf);

    CHECK(inked_fraction(render_page_png(pdf, 50, "thumbnail")) > 0.03);

    const auto page = render_page_png(pdf, 200, "page1");
    const CommandResult scan = run_command("zbarimg --raw -q " + quoted(page));
    INFO(scan.output);
    REQUIRE(scan.exit_code == 0);
    std::istringstream lines(scan.output);
    std::vector<std::string> decoded;
    for (std::string line; std::getline(lines, line);)
        decoded.push_back(line);
    CHECK_THAT(decoded, Catch::VectorContains(qr_payload(input.run, input.record_hash)));
    CHECK_THAT(decoded, Catch::VectorContains(input.run.serial));
}

TEST_CASE("the QR payload names serial, run and record hash") {
    RunRecord run;
    run.id = 17;
    run.serial = "SN1";
    const std::string hash(64, 'a');
    CHECK(qr_payload(run, hash) == "mpobench-record;serial=SN1;run=17;sha256=" + hash);
    run.serial = "A;B=C%";  // separators in a serial are escaped, not taken as fields
    CHECK(qr_payload(run, hash) == "mpobench-record;serial=A%3BB%3DC%25;run=17;sha256=" + hash);
}

TEST_CASE("a certificate renders to the same bytes apart from its creation date") {
    TempDir dir;
    const CertificateInput input = with_mating_cycles();
    write_certificate(input, dir.file("first.pdf"));
    write_certificate(input, dir.file("second.pdf"));
    const std::string first = read_bytes(dir.file("first.pdf"));
    CHECK(without_creation_date(first) ==
          without_creation_date(read_bytes(dir.file("second.pdf"))));
}

TEST_CASE("the record hash is read back from a certificate's metadata") {
    TempDir dir;
    const CertificateInput input = passing_32f_mm();
    const auto pdf = dir.file("cert.pdf");
    write_certificate(input, pdf);
    CHECK(certificate_hash(pdf) == input.record_hash);

    const CommandResult info = run_command("pdfinfo " + quoted(pdf));
    CHECK_THAT(info.output, Catch::Contains("Test certificate SN-2611-0032"));
    CHECK_THAT(info.output, Catch::Contains("mpobench 0.4.0"));
    CHECK_THAT(info.output, Catch::Contains("mpobench-record-sha256:" + input.record_hash));

    SECTION("a PDF that is not a certificate holds none") {
        const auto other = dir.file("other.pdf");
        PdfMetadata metadata;
        metadata.title = "Something else";
        PdfDocument document(other, kA4Width_pt, kA4Height_pt, metadata);
        document.finish();
        CHECK(certificate_hash(other) == std::nullopt);
    }
    SECTION("a file that is not a PDF holds none") {
        write_text(dir.file("notes.txt"), "mpobench-record-sha256:" + input.record_hash + "\n");
        CHECK(certificate_hash(dir.file("notes.txt")) == std::nullopt);
    }
    SECTION("a missing file is an error naming it") {
        CHECK_THROWS_WITH(certificate_hash(dir.file("missing.pdf")),
                          Catch::Contains("missing.pdf"));
    }
}

TEST_CASE("a certificate is refused for a run that did not complete") {
    TempDir dir;
    CertificateInput input = failing_12f_sm();
    input.run.status = RunStatus::Aborted;
    input.run.reason = "operator abort";
    const auto pdf = dir.file("cert.pdf");
    CHECK_THROWS_AS(write_certificate(input, pdf), ReportError);
    CHECK_THROWS_WITH(write_certificate(input, pdf),
                      Catch::Contains("aborted") && Catch::Contains("SN-2611-0007"));
    CHECK_FALSE(std::filesystem::exists(pdf));

    SECTION("or one without a record hash") {
        input.run.status = RunStatus::Completed;
        input.record_hash = "not-a-hash";
        CHECK_THROWS_WITH(write_certificate(input, pdf), Catch::Contains("not-a-hash"));
    }
    SECTION("or for a repeatability run, which certifies nothing") {
        input.run.status = RunStatus::Completed;
        input.run.kind = RunKind::Repeatability;
        CHECK_THROWS_WITH(write_certificate(input, pdf), Catch::Contains("repeatability run"));
        CHECK_FALSE(std::filesystem::exists(pdf));
    }
    SECTION("or into a directory that does not exist") {
        input.run.status = RunStatus::Completed;
        CHECK_THROWS_AS(write_certificate(input, dir.file("no-such-dir") / "cert.pdf"),
                        ReportError);
    }
}

TEST_CASE("a Letter certificate has a Letter page box") {
    TempDir dir;
    CertificateInput input = passing_32f_mm();
    input.paper = Paper::Letter;
    const auto pdf = dir.file("letter.pdf");
    write_certificate(input, pdf);
    const CommandResult info = run_command("pdfinfo " + quoted(pdf));
    CHECK_THAT(info.output, Catch::Contains("612 x 792 pts (letter)"));
    require_complete_text(input, pdf);
}

TEST_CASE("the site file names company, address, logo and paper") {
    TempDir dir;
    const auto logo = std::filesystem::path(MPOBENCH_SOURCE_DIR) / "fixtures/site/logo.png";
    std::filesystem::copy_file(logo, dir.file("logo.png"));
    const auto site_file = dir.file("site.toml");
    const std::string company =
        "[company]\nname = \"Example Optical Assemblies Ltd.\"\n"
        "address = [\"Unit 4, Fibre Park\", \"Cambridge CB4 0WS\"]\n";

    SECTION("a good file, logo relative to it") {
        write_text(site_file, company +
                                  "logo = \"logo.png\"\n[certificate]\npaper = \"letter\"\n"
                                  "statement = \"Tested to the limits shown.\"\n");
        const Site site = load_site(site_file);
        CHECK(site.company_name == "Example Optical Assemblies Ltd.");
        CHECK(site.address_lines ==
              std::vector<std::string>{"Unit 4, Fibre Park", "Cambridge CB4 0WS"});
        CHECK(site.logo_png == dir.file("logo.png"));
        CHECK(site.paper == Paper::Letter);
        CHECK(site.statement == "Tested to the limits shown.");
    }
    SECTION("the sample site file of the repository") {
        const Site site = load_site(std::filesystem::path(MPOBENCH_SOURCE_DIR) / "site.toml");
        CHECK(site.paper == Paper::A4);
        CHECK(std::filesystem::exists(site.logo_png));
    }
    SECTION("without a certificate table: A4, no statement") {
        write_text(site_file, company);
        const Site site = load_site(site_file);
        CHECK(site.paper == Paper::A4);
        CHECK(site.logo_png.empty());
        CHECK(site.statement.empty());
    }
    SECTION("an unknown key") {
        write_text(site_file, company + "adress = \"typo\"\n");
        CHECK_THROWS_WITH(load_site(site_file), Catch::Contains(site_file.string()) &&
                                                    Catch::Contains("company.adress") &&
                                                    Catch::Contains(":4:"));
    }
    SECTION("a missing logo") {
        write_text(site_file, company + "logo = \"nowhere.png\"\n");
        CHECK_THROWS_WITH(load_site(site_file), Catch::Contains(site_file.string()) &&
                                                    Catch::Contains("company.logo") &&
                                                    Catch::Contains("nowhere.png"));
    }
    SECTION("a logo that is not a PNG") {
        write_text(dir.file("logo.jpg"), "JFIF, not a PNG");
        write_text(site_file, company + "logo = \"logo.jpg\"\n");
        CHECK_THROWS_WITH(load_site(site_file),
                          Catch::Contains("company.logo") && Catch::Contains("not a PNG"));
    }
    SECTION("a paper size that does not exist") {
        write_text(site_file, company + "[certificate]\npaper = \"A3\"\n");
        CHECK_THROWS_WITH(load_site(site_file), Catch::Contains(site_file.string()) &&
                                                    Catch::Contains("certificate.paper") &&
                                                    Catch::Contains("A3"));
    }
    SECTION("wrong types") {
        write_text(site_file, "[company]\nname = 42\n");
        CHECK_THROWS_WITH(load_site(site_file), Catch::Contains(site_file.string()) &&
                                                    Catch::Contains("company.name") &&
                                                    Catch::Contains("expected a string"));
        write_text(site_file, "[company]\nname = \"X\"\naddress = \"one line\"\n");
        CHECK_THROWS_WITH(load_site(site_file), Catch::Contains("company.address") &&
                                                    Catch::Contains("array of strings"));
        write_text(site_file, "[company]\nname = \"X\"\naddress = [\"ok\", 3]\n");
        CHECK_THROWS_WITH(load_site(site_file), Catch::Contains("company.address"));
        write_text(site_file, "company = \"X\"\n");
        CHECK_THROWS_WITH(load_site(site_file),
                          Catch::Contains("company") && Catch::Contains("expected a table"));
    }
    SECTION("no company name") {
        write_text(site_file, "[company]\naddress = [\"somewhere\"]\n");
        CHECK_THROWS_WITH(load_site(site_file), Catch::Contains("company.name"));
    }
    SECTION("not TOML, or no file at all") {
        write_text(site_file, "[company\nname = ");
        CHECK_THROWS_AS(load_site(site_file), SiteError);
        CHECK_THROWS_WITH(load_site(dir.file("absent.toml")), Catch::Contains("absent.toml"));
    }
    SECTION("a serial pattern, and one that is not a regular expression") {
        write_text(site_file, company + "[production]\nserial_pattern = \"SN[0-9]{4}\"\n");
        CHECK(load_site(site_file).serial_pattern == "SN[0-9]{4}");
        write_text(site_file, company + "[production]\nserial_pattern = \"SN[0-9\"\n");
        CHECK_THROWS_WITH(load_site(site_file), Catch::Contains(site_file.string() + ":5:") &&
                                                    Catch::Contains("production.serial_pattern") &&
                                                    Catch::Contains("not a regular expression"));
        write_text(site_file, company + "[production]\nserial = \"SN\"\n");
        CHECK_THROWS_WITH(load_site(site_file), Catch::Contains("production.serial"));
    }
    SECTION("a retest policy, and ones that make no sense") {
        write_text(site_file, company +
                                  "[production]\nattempts_before_hold = 3\n"
                                  "retest_reasons = [\"re-cleaned\", \"re-terminated\"]\n");
        const auto policy = load_site(site_file).retest;
        CHECK(policy.attempts_before_hold == 3);
        CHECK(policy.reason_codes == std::vector<std::string>{"re-cleaned", "re-terminated"});
        write_text(site_file, company);
        CHECK(load_site(site_file).retest.attempts_before_hold == 0);  // no hold unless asked
        CHECK(load_site(site_file).retest.reason_codes.empty());
        for (const char* bad : {"-1", "1.5", "\"3\"", "1001"}) {
            INFO(bad);
            write_text(site_file, company + "[production]\nattempts_before_hold = " + bad + "\n");
            CHECK_THROWS_WITH(load_site(site_file),
                              Catch::Contains("production.attempts_before_hold"));
        }
        write_text(site_file,
                   company + "[production]\nretest_reasons = [\"re-cleaned\", \"RE-CLEANED\"]\n");
        CHECK_THROWS_WITH(load_site(site_file),
                          Catch::Contains("production.retest_reasons") &&
                              Catch::Contains("'RE-CLEANED' is empty or named twice"));
        write_text(site_file, company + "[production]\nretest_reasons = [\" \"]\n");
        CHECK_THROWS_WITH(load_site(site_file), Catch::Contains("production.retest_reasons"));
        write_text(site_file, company + "[production]\nretest_reasons = \"re-cleaned\"\n");
        CHECK_THROWS_WITH(load_site(site_file), Catch::Contains("array of strings"));
    }
    SECTION("a golden check rule, and ones that make no sense") {
        write_text(site_file, company + "[golden]\nil_tolerance_db = 0.04\nrequired = \"shift\"\n");
        const auto golden = load_site(site_file).golden;
        CHECK(golden.il_tolerance_db == 0.04);
        CHECK(golden.required == mpobench::analysis::GoldenPolicy::Every::Shift);
        write_text(site_file, company);
        CHECK(load_site(site_file).golden.required ==
              mpobench::analysis::GoldenPolicy::Every::None);
        for (const char* bad :
             {"il_tolerance_db = 0", "il_tolerance_db = -0.1", "il_tolerance_db = 2.0",
              "il_tolerance_db = \"0.05\"", "required = \"week\"", "tolerance = 0.05"}) {
            INFO(bad);
            write_text(site_file, company + "[golden]\n" + bad + "\n");
            CHECK_THROWS_WITH(load_site(site_file), Catch::Contains("golden."));
        }
    }
    SECTION("paper names") {
        CHECK(parse_paper("A4") == Paper::A4);
        CHECK(parse_paper("Letter") == Paper::Letter);
        CHECK(parse_paper("legal") == std::nullopt);
        CHECK(to_string(Paper::Letter) == "Letter");
    }
}
