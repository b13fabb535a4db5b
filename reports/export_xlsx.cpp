#include "reports/export_xlsx.hpp"

#include <fmt/format.h>
#include <xlsxwriter.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "reports/drawing.hpp"
#include "reports/errors.hpp"
#include "reports/export_rows.hpp"

namespace mpobench::reports {

namespace {

using export_rows::Cell;

// A libxlsxwriter workbook in constant-memory mode, freed without being
// written when an export fails part way.
class Workbook {
  public:
    // `file` is where libxlsxwriter writes; errors name `destination`.
    Workbook(const std::filesystem::path& file, const std::filesystem::path& temporary_directory,
             const std::filesystem::path& destination)
        : destination_(destination.string()), temporary_directory_(temporary_directory.string()) {
        lxw_workbook_options options{};
        // Rows go to temporary files as they are written, so memory stays
        // flat however many runs are exported.
        options.constant_memory = LXW_TRUE;
        options.tmpdir = temporary_directory_.data();
        // ZIP64 stays off: some Excel versions refuse small workbooks written
        // with it.
        options.use_zip64 = LXW_FALSE;
        workbook_ = workbook_new_opt(file.c_str(), &options);
        if (workbook_ == nullptr)
            throw ReportError(
                fmt::format("cannot write {}: cannot create the workbook", destination_));
        bold_ = add_format();
        format_set_bold(bold_);
        datetime_ = add_format();
        format_set_num_format(datetime_, "yyyy-mm-dd hh:mm:ss.000");
    }
    ~Workbook() {
        if (workbook_ == nullptr)
            return;
        // lxw_workbook_free leaves each sheet's constant-memory temporary
        // file open (libxlsxwriter 1.1.4); close them so a failed export
        // does not leak descriptors in a long-running server.
        for (lxw_worksheet* sheet : sheets_) {
            if (sheet->optimize_tmpfile != nullptr) {
                std::fclose(sheet->optimize_tmpfile);
                sheet->optimize_tmpfile = nullptr;
            }
        }
        lxw_workbook_free(workbook_);
    }
    Workbook(const Workbook&) = delete;
    Workbook& operator=(const Workbook&) = delete;

    lxw_worksheet* add_sheet(const std::string& name) {
        lxw_worksheet* sheet = workbook_add_worksheet(workbook_, name.c_str());
        if (sheet == nullptr) {
            throw ReportError(
                fmt::format("cannot write {}: cannot add sheet '{}' (temporary files go to {})",
                            destination_, name, temporary_directory_));
        }
        sheets_.push_back(sheet);
        return sheet;
    }

    void check(lxw_error error, std::string_view what) const {
        if (error != LXW_NO_ERROR)
            throw ReportError(
                fmt::format("cannot write {}: {}: {}", destination_, what, lxw_strerror(error)));
    }

    // Assembles the file; the workbook is gone afterwards, written or not.
    void close() {
        check(workbook_close(std::exchange(workbook_, nullptr)), "closing the workbook");
    }

    lxw_format* bold() const { return bold_; }
    lxw_format* datetime() const { return datetime_; }
    const std::string& destination() const { return destination_; }

  private:
    lxw_format* add_format() {
        lxw_format* format = workbook_add_format(workbook_);
        if (format == nullptr)
            throw ReportError(
                fmt::format("cannot write {}: cannot add a cell format", destination_));
        return format;
    }

    std::string destination_;
    std::string temporary_directory_;  // libxlsxwriter keeps a pointer to it
    lxw_workbook* workbook_ = nullptr;
    std::vector<lxw_worksheet*> sheets_;
    lxw_format* bold_ = nullptr;
    lxw_format* datetime_ = nullptr;
};

// Excel keeps date-times as days since 1900 in local time; the export's are
// UTC, to the millisecond as stored.
lxw_datetime excel_datetime(TimePoint time, const std::string& destination) {
    using namespace std::chrono;
    const auto ms = floor<milliseconds>(time);
    const auto day = floor<days>(ms);
    const year_month_day date{day};
    const hh_mm_ss clock{ms - day};
    const int year = static_cast<int>(date.year());
    if (year < 1900 || year > 9999) {
        throw ReportError(fmt::format("cannot write {}: time {} is outside Excel's years 1900-9999",
                                      destination, ms.time_since_epoch().count()));
    }
    return {year,
            static_cast<int>(static_cast<unsigned>(date.month())),
            static_cast<int>(static_cast<unsigned>(date.day())),
            static_cast<int>(clock.hours().count()),
            static_cast<int>(clock.minutes().count()),
            static_cast<double>(clock.seconds().count()) +
                static_cast<double>(clock.subseconds().count()) / 1000.0};
}

// RFC 3629 UTF-8 (no overlong forms, no surrogates): anything else would
// make the sheet's XML unreadable to Excel.
bool is_utf8(std::string_view text) {
    for (std::size_t i = 0; i < text.size();) {
        const auto lead = static_cast<unsigned char>(text[i]);
        std::size_t length = 0;
        std::uint32_t code = 0, smallest = 0;
        if (lead < 0x80) {
            ++i;
            continue;
        } else if ((lead & 0xE0) == 0xC0) {
            length = 2, code = lead & 0x1F, smallest = 0x80;
        } else if ((lead & 0xF0) == 0xE0) {
            length = 3, code = lead & 0x0F, smallest = 0x800;
        } else if ((lead & 0xF8) == 0xF0) {
            length = 4, code = lead & 0x07, smallest = 0x10000;
        } else {
            return false;
        }
        if (i + length > text.size())
            return false;
        for (std::size_t k = 1; k < length; ++k) {
            const auto next = static_cast<unsigned char>(text[i + k]);
            if ((next & 0xC0) != 0x80)
                return false;
            code = (code << 6) | (next & 0x3F);
        }
        if (code < smallest || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF))
            return false;
        i += length;
    }
    return true;
}

class XlsxTableWriter : public export_rows::TableWriter {
  public:
    XlsxTableWriter(Workbook& workbook, std::int64_t data_rows_per_sheet)
        : workbook_(workbook), data_rows_per_sheet_(data_rows_per_sheet) {}

    void begin_table(ExportTable table) override {
        table_ = table;
        sheet_number_ = 0;
        next_sheet();
    }

    void row(std::span<const Cell> cells) override {
        if (row_ > data_rows_per_sheet_)
            next_sheet();
        const auto row = static_cast<lxw_row_t>(row_);
        for (std::size_t i = 0; i < cells.size(); ++i) {
            const auto column = static_cast<lxw_col_t>(i);
            if (const auto* text = std::get_if<std::string>(&cells[i]); text && !is_utf8(*text)) {
                // Every table's first column is the run id.
                throw ReportError(fmt::format("cannot write {}: the {} of run {} is not UTF-8 text",
                                              workbook_.destination(), columns()[i].name,
                                              std::get<std::int64_t>(cells[0])));
            }
            const lxw_error error =
                std::visit([&](const auto& value) { return write(row, column, value); }, cells[i]);
            if (error != LXW_NO_ERROR) {
                workbook_.check(error, fmt::format("sheet '{}' row {} column {}", sheet_name_,
                                                   row_ + 1, columns()[i].name));
            }
        }
        ++row_;
    }

    void end_table() override {}

  private:
    std::span<const export_rows::Column> columns() const { return export_rows::columns(table_); }

    // Widths are set before any row: constant-memory mode writes rows out in
    // order and cannot go back.
    void next_sheet() {
        ++sheet_number_;
        const std::string_view name = export_rows::table_name(table_);
        sheet_name_ =
            sheet_number_ == 1 ? std::string(name) : fmt::format("{} {}", name, sheet_number_);
        sheet_ = workbook_.add_sheet(sheet_name_);
        const auto columns = this->columns();
        for (std::size_t i = 0; i < columns.size(); ++i) {
            const auto column = static_cast<lxw_col_t>(i);
            workbook_.check(
                worksheet_set_column(sheet_, column, column, columns[i].width_chars, nullptr),
                fmt::format("sheet '{}' width of column {}", sheet_name_, columns[i].name));
            const std::string header(columns[i].name);
            workbook_.check(
                worksheet_write_string(sheet_, 0, column, header.c_str(), workbook_.bold()),
                fmt::format("sheet '{}' header {}", sheet_name_, header));
        }
        worksheet_freeze_panes(sheet_, 1, 0);
        row_ = 1;
    }

    lxw_error write(lxw_row_t, lxw_col_t, std::monostate) { return LXW_NO_ERROR; }
    lxw_error write(lxw_row_t row, lxw_col_t column, std::int64_t value) {
        return worksheet_write_number(sheet_, row, column, static_cast<double>(value), nullptr);
    }
    lxw_error write(lxw_row_t row, lxw_col_t column, double value) {
        return worksheet_write_number(sheet_, row, column, value, nullptr);
    }
    lxw_error write(lxw_row_t row, lxw_col_t column, bool value) {
        return worksheet_write_boolean(sheet_, row, column, value ? 1 : 0, nullptr);
    }
    lxw_error write(lxw_row_t row, lxw_col_t column, const std::string& value) {
        return worksheet_write_string(sheet_, row, column, value.c_str(), nullptr);
    }
    lxw_error write(lxw_row_t row, lxw_col_t column, TimePoint value) {
        lxw_datetime datetime = excel_datetime(value, workbook_.destination());
        return worksheet_write_datetime(sheet_, row, column, &datetime, workbook_.datetime());
    }

    Workbook& workbook_;
    std::int64_t data_rows_per_sheet_;
    ExportTable table_ = ExportTable::Runs;
    int sheet_number_ = 0;
    std::string sheet_name_;
    lxw_worksheet* sheet_ = nullptr;
    std::int64_t row_ = 1;  // the next row to write, 0-based; row 0 is the header
};

}  // namespace

ExportCounts export_xlsx(const ExportSource& source, const db::RunFilter& filter,
                         const std::filesystem::path& out, std::span<const ExportTable> tables,
                         std::int64_t data_rows_per_sheet) {
    if (data_rows_per_sheet < 1 || data_rows_per_sheet > kExcelMaxRows - 1) {
        throw ReportError(fmt::format("cannot write {}: {} rows per sheet is outside 1..{}",
                                      out.string(), data_rows_per_sheet, kExcelMaxRows - 1));
    }
    const auto directory = export_rows::output_directory(out);
    ExportCounts counts;
    write_atomically(out, [&](const std::filesystem::path& temporary) {
        Workbook workbook(temporary, directory, out);
        XlsxTableWriter writer(workbook, data_rows_per_sheet);
        export_rows::TableSequencer sequencer(tables, writer, directory, out.string());
        counts = export_rows::for_each_row(source, filter, tables, sequencer);
        sequencer.finish();
        workbook.close();
    });
    return counts;
}

ExportCounts export_xlsx(const db::Repository& repository, const db::RunFilter& filter,
                         const std::filesystem::path& out, std::span<const ExportTable> tables,
                         std::int64_t data_rows_per_sheet) {
    return export_xlsx(StationExportSource(repository), filter, out, tables, data_rows_per_sheet);
}

}  // namespace mpobench::reports
