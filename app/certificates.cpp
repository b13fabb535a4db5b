#include "app/certificates.hpp"

#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>

#include "acquisition/data_files.hpp"
#include "analysis/limits.hpp"
#include "app/guarded.hpp"
#include "vocabulary/logger.hpp"

namespace mpobench::app {

reports::Site load_site_option(const std::filesystem::path& option) {
    if (!option.empty()) {
        return reports::load_site(option);
    }
    if (const char* env = std::getenv("MPOBENCH_SITE"); env && *env) {
        return reports::load_site(env);
    }
    if (std::filesystem::exists("site.toml")) {
        return reports::load_site("site.toml");
    }
    const auto directory = acquisition::data_directory();
    if (!directory) {
        throw reports::SiteError(fmt::format(
            "no site file: give --site FILE, set MPOBENCH_SITE or put a site.toml in the current "
            "directory (mpobench's data directory with the sample one is missing: {})",
            acquisition::data_directory_search_text()));
    }
    return reports::load_site(*directory / "site.toml");
}

std::optional<std::int64_t> latest_completed_production_run(const db::Repository& repository,
                                                            const std::string& serial) {
    const auto runs = repository.history(serial);  // oldest first
    for (auto run = runs.rbegin(); run != runs.rend(); ++run) {
        if (run->status == RunStatus::Completed && run->kind == RunKind::Production) {
            return run->id;
        }
    }
    return std::nullopt;
}

void write_run_certificate(const db::Repository& repository, std::int64_t run_id,
                           const reports::Site& site, reports::Paper paper,
                           const std::filesystem::path& out) {
    auto run = repository.run(run_id);
    if (!run) {
        throw UsageError(fmt::format("there is no run {} in the database", run_id));
    }
    std::string record_hash;
    std::optional<Reference> reference;
    std::optional<db::StoredLimitSet> limit_set;
    if (run->status == RunStatus::Completed) {
        const auto hash = repository.record_hash(run_id);
        if (!hash) {
            throw db::DatabaseError(fmt::format("run {} of {} is completed but has no record hash",
                                                run_id, run->serial));
        }
        record_hash = *hash;
        if (run->reference_id != 0) {
            reference = repository.reference(run->reference_id);
        }
        if (!run->limit_set_hash.empty()) {
            limit_set = repository.limit_set_by_hash(run->limit_set_hash);
        }
    }
    write_certificate_of(std::move(*run), std::move(reference), limit_set, record_hash, site, paper,
                         out);
}

void write_certificate_of(RunRecord run, std::optional<Reference> reference,
                          const std::optional<db::StoredLimitSet>& limit_set,
                          const std::string& record_hash, const reports::Site& site,
                          reports::Paper paper, const std::filesystem::path& out) {
    if (run.status != RunStatus::Completed) {
        throw UsageError(
            fmt::format("run {} of {} is {}{}: only a completed run has a "
                        "certificate",
                        run.id, run.serial, to_string(run.status),
                        run.reason.empty() ? "" : " (" + run.reason + ")"));
    }
    if (record_hash.empty()) {
        throw db::DatabaseError(
            fmt::format("run {} of {} is completed but has no record hash", run.id, run.serial));
    }
    reports::CertificateInput input;
    input.site = site;
    input.paper = paper;
    input.record_hash = record_hash;
    input.reference = std::move(reference);
    if (limit_set) {
        input.limits = analysis::parse_limit_set(
            limit_set->body,
            fmt::format("limit set '{}' {} in the database", limit_set->name, limit_set->version));
    }
    const std::int64_t run_id = run.id;
    input.run = std::move(run);
    reports::write_certificate(input, out);
    logger("app")->info("certificate of run {} ({}) written to {}", run_id, input.run.serial,
                        out.string());
}

void check_certificate_destination(const std::filesystem::path& out) {
    std::error_code error;
    if (std::filesystem::is_directory(out, error)) {
        throw UsageError(
            fmt::format("certificate {}: is a directory; give a file name", out.string()));
    }
    const std::filesystem::path directory =
        out.parent_path().empty() ? std::filesystem::path(".") : out.parent_path();
    if (!std::filesystem::is_directory(directory, error) ||
        ::access(directory.c_str(), W_OK) != 0) {
        throw UsageError(
            fmt::format("certificate {}: cannot write in {}", out.string(), directory.string()));
    }
}

std::string certificate_file_name(const std::string& serial) {
    std::string name;
    for (const char c : serial) {
        const bool safe = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                          (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
        name += safe ? c : '_';
    }
    if (name.empty() || name.front() == '.') {
        name.insert(name.begin(), '_');
    }
    return name + ".pdf";
}

namespace {

std::optional<std::filesystem::path> find_in_path(const std::string& program) {
    const char* path = std::getenv("PATH");
    if (!path) {
        return std::nullopt;
    }
    std::string_view directories(path);
    while (!directories.empty()) {
        const auto colon = directories.find(':');
        const std::filesystem::path candidate =
            std::filesystem::path(directories.substr(0, colon)) / program;
        if (::access(candidate.c_str(), X_OK) == 0) {
            return candidate;
        }
        if (colon == std::string_view::npos) {
            break;
        }
        directories.remove_prefix(colon + 1);
    }
    return std::nullopt;
}

}  // namespace

std::optional<std::filesystem::path> find_printer() {
    return find_in_path("lp");
}

void print_certificate(const std::filesystem::path& lp, const std::filesystem::path& pdf) {
    // fork/exec rather than a shell: the file name is never interpreted.
    const pid_t child = ::fork();
    if (child < 0) {
        throw reports::ReportError(fmt::format("cannot print {}: fork failed", pdf.string()));
    }
    if (child == 0) {
        ::execl(lp.c_str(), "lp", "--", pdf.c_str(), static_cast<char*>(nullptr));
        ::_exit(127);
    }
    int status = 0;
    if (::waitpid(child, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        throw reports::ReportError(fmt::format("printing {} failed: {} exited with status {}",
                                               pdf.string(), lp.string(),
                                               WIFEXITED(status) ? WEXITSTATUS(status) : -1));
    }
    logger("app")->info("certificate {} sent to the printer with {}", pdf.string(), lp.string());
}

}  // namespace mpobench::app
