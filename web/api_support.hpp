#pragma once
// What the routes of web/api.cpp and web/plant_api.cpp share: the error
// answer, JSON bodies of records, the QA filters of a query. Internal to
// web/ (the interface is api.hpp).

#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "app/commands.hpp"
#include "db/repository.hpp"
#include "web/api.hpp"
#include "web/http.hpp"

namespace mpobench::web {

// An answer other than 2xx: status, {error, detail} and anything else the
// page needs (the retest reasons it may choose from).
class ApiError : public std::runtime_error {
  public:
    ApiError(int status, const std::string& error, std::string detail = {},
             nlohmann::json extra = nullptr)
        : std::runtime_error(error),
          status_(status),
          detail_(std::move(detail)),
          extra_(std::move(extra)) {}
    int status() const { return status_; }
    const std::string& detail() const { return detail_; }
    const nlohmann::json& extra() const { return extra_; }

  private:
    int status_;
    std::string detail_;
    nlohmann::json extra_;
};

HttpResponse json_response(int status, const nlohmann::json& body);
int role_rank(db::UserRole role);
// A record's number in a path ("/api/runs/17"); 404 naming `what` otherwise.
std::int64_t number_in_path(const std::string& text, const std::string& what);
std::int64_t limit_set_id_of(const std::string& text);
nlohmann::json user_json(const db::User& user);
nlohmann::json limit_set_upload_json(const db::LimitSetUpload& upload);
nlohmann::json run_summary_json(const db::RunSummary& run);
// A run's page: the record as `test --json` writes it, what failed in
// words, the part's layout, the key of its page (`ref`), its record hash
// and whether the record still hashes to it (nullopt: no hash).
nlohmann::json run_page_json(const RunRecord& run, const std::string& ref,
                             const std::optional<std::string>& record_hash,
                             std::optional<bool> record_verified);
// The QA filters of a query (?from=&to=&part=&station=&operator=&by=).
app::QaCommandOptions qa_options(const HttpRequest& request, const ApiSetup& setup);
// What a writer of files (a certificate, an XLSX workbook) wrote to `name`
// in a private temporary directory, read back; the directory is removed.
std::string bytes_written_to(const std::string& name,
                             const std::function<void(const std::filesystem::path&)>& write);

}  // namespace mpobench::web
