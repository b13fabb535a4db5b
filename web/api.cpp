#include "web/api.hpp"

#include <sodium.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include "acquisition/station_lock.hpp"
#include "analysis/identifiers.hpp"
#include "analysis/passwords.hpp"
#include "analysis/retest.hpp"
#include "analysis/verdict.hpp"
#include "app/audit.hpp"
#include "app/certificates.hpp"
#include "app/guarded.hpp"
#include "app/plant_config.hpp"
#include "app/plant_records.hpp"
#include "app/qa_json.hpp"
#include "app/run_json.hpp"
#include "app/test_flow.hpp"
#include "db/plant_config.hpp"
#include "db/plant_qa.hpp"
#include "db/plant_read.hpp"
#include "drivers/errors.hpp"
#include "reports/export.hpp"
#include "reports/site_clock.hpp"
#include "vocabulary/logger.hpp"
#include "web/api_support.hpp"
#include "web/assets.hpp"

namespace mpobench::web {

using nlohmann::json;

namespace {

constexpr const char* kSessionCookie = "mpobench_session";

HttpResponse error_response(int status, const std::string& error, const std::string& detail,
                            const json& extra = nullptr) {
    json body{{"error", error}, {"detail", detail}};
    if (extra.is_object())
        body.update(extra);
    return json_response(status, body);
}

// 429 with Retry-After: the login throttle's answer.
HttpResponse too_many_logins(std::chrono::seconds wait) {
    HttpResponse response = error_response(
        429, "too many failed logins", fmt::format("wait {} s before trying again", wait.count()));
    response.headers["Retry-After"] = std::to_string(wait.count());
    return response;
}

json parse_body(const HttpRequest& request) {
    if (request.body.empty())
        return json::object();
    json body = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
    if (body.is_discarded())
        throw ApiError(400, "malformed JSON", "the request body is not valid JSON");
    if (!body.is_object())
        throw ApiError(400, "malformed JSON", "the request body must be a JSON object");
    return body;
}

// A string field of a JSON body; absent: nullopt, or 400 when required.
std::optional<std::string> string_field(const json& body, const char* name, bool required) {
    const auto found = body.find(name);
    if (found == body.end() || found->is_null()) {
        if (required)
            throw ApiError(400, fmt::format("'{}' is missing", name),
                           fmt::format("the request needs a string field '{}'", name));
        return std::nullopt;
    }
    if (!found->is_string())
        throw ApiError(400, fmt::format("'{}' must be a string", name),
                       fmt::format("'{}' was {}", name, found->type_name()));
    const auto& text = found->get_ref<const std::string&>();
    if (text.size() > 4096)
        throw ApiError(400, fmt::format("'{}' is too long", name), "at most 4096 characters");
    return text;
}

std::vector<std::string> path_parts(const std::string& path) {
    std::vector<std::string> parts;
    std::string_view rest = path;
    while (!rest.empty()) {
        const auto slash = rest.find('/');
        const auto part = rest.substr(0, slash);
        rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
        if (part.empty())
            continue;
        const auto decoded = percent_decode(part, false);
        if (!decoded)
            throw ApiError(400, "malformed path", "a bad %-escape in the path");
        parts.push_back(*decoded);
    }
    return parts;
}

std::int64_t id_of(const std::string& text) {
    return number_in_path(text, "run");
}

bool same_secret(const std::string& a, const std::string& b) {
    return a.size() == b.size() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

Api::Api(ApiSetup setup) : setup_(std::move(setup)), sessions_(setup_.session_limits) {}

void Api::stop() {
    stopping_ = true;
    if (setup_.runner)
        setup_.runner->wake_all();
}

HttpResponse Api::handle(const HttpRequest& request) {
    try {
        return route(request);
    } catch (const ApiError& error) {
        return error_response(error.status(), error.what(), error.detail(), error.extra());
    } catch (const RunnerBusy& error) {
        return error_response(409, "station busy", error.what());
    } catch (const acquisition::StationBusy& error) {
        return error_response(409, "station busy", error.what());
    } catch (const acquisition::Refused& error) {
        return error_response(422, "refused", error.what());
    } catch (const PromptError& error) {
        return error_response(error.forbidden() ? 403 : 409,
                              error.forbidden() ? "not yours to answer" : "no prompt",
                              error.what());
    } catch (const analysis::IdentifierError& error) {
        return error_response(400, "bad identifier", error.what());
    } catch (const acquisition::PartCatalogueError& error) {
        return error_response(400, "unknown part", error.what());
    } catch (const app::UsageError& error) {
        return error_response(400, "bad request", error.what());
    } catch (const acquisition::BenchConfigurationError& error) {
        return error_response(500, "station configuration", error.what());
    } catch (const drivers::InstrumentError& error) {
        return error_response(503, "instrument fault", error.what());
    } catch (const db::DatabaseError& error) {
        logger("web")->error("{} {}: {}", request.method, request.target, error.what());
        return error_response(500, "database", error.what());
    } catch (const db::plant::PlantUnreachable& error) {
        logger("web")->error("{} {}: {}", request.method, request.target, error.what());
        return error_response(503, "plant unreachable", error.what());
    } catch (const db::plant::PlantError& error) {
        logger("web")->error("{} {}: {}", request.method, request.target, error.what());
        return error_response(500, "plant", error.what());
    } catch (const app::PayloadError& error) {
        logger("web")->error("{} {}: {}", request.method, request.target, error.what());
        return error_response(500, "plant record", error.what());
    }
}

HttpResponse Api::route(const HttpRequest& request) {
    const std::string path = request.path();
    const auto parts = path_parts(path);
    const std::string& method = request.method;

    // The pages: flat names, nothing from the file system.
    if (parts.empty() || (parts.size() == 2 && parts[0] == "static")) {
        if (method != "GET" && method != "HEAD")
            throw ApiError(405, "method not allowed", method);
        const Asset* asset = find_asset(parts.empty() ? "index.html" : parts[1]);
        if (!asset)
            throw ApiError(404, "not found", path);
        HttpResponse response;
        response.content_type = std::string(asset->content_type);
        response.body = std::string(asset->body);
        response.headers["Cache-Control"] = "no-cache";
        return response;
    }
    if (parts[0] != "api")
        throw ApiError(404, "not found", path);

    std::optional<Session> found_session;
    const std::string token = request.cookie(kSessionCookie);
    if (!token.empty()) {
        if (on_plant())
            follow_plant_users();
        found_session = sessions_.find(token, Clock::now());
    }

    const auto route_is = [&](std::initializer_list<const char*> expected) {
        if (parts.size() != expected.size())
            return false;
        std::size_t i = 0;
        for (const char* part : expected) {
            if (std::string_view(part) != "*" && parts[i] != part)
                return false;
            ++i;
        }
        return true;
    };
    const bool changes_state = method == "POST" || method == "PUT" || method == "DELETE";

    // ---- login: the one request without a session
    if (route_is({"api", "session"}) && method == "POST") {
        const json body = parse_body(request);
        const std::string address = request.peer_address;
        if (const auto badge = string_field(body, "badge", false))
            return badge_login(*badge, address);
        const std::string user_name = *string_field(body, "user", true);
        const std::string password = *string_field(body, "password", true);
        if (const auto wait = throttle_.wait(user_name, address, Clock::now()))
            return too_many_logins(*wait);
        const auto user = login_user(user_name);
        const bool ok =
            user && !user->disabled_at && analysis::password_matches(user->password_hash, password);
        if (!ok) {
            throttle_.failed(user_name, address, Clock::now());
            record_act("login.fail", "", address,
                       {{"user", user_name},
                        {"why", !user               ? "unknown user"
                                : user->disabled_at ? "user disabled"
                                                    : "wrong password"}});
            throw ApiError(401, "login failed", "wrong name or password, or the user is disabled");
        }
        throttle_.succeeded(user_name, address);
        return logged_in(*user, address, "password");
    }

    if (!found_session)
        throw ApiError(401, "not logged in", "log in first (POST /api/session)");
    const Session& session = *found_session;
    if (changes_state && !same_secret(request.header("x-csrf-token"), session.csrf_token))
        throw ApiError(403, "CSRF token missing or wrong",
                       "a state-changing request must repeat the session's X-CSRF-Token");
    const auto require_role = [&](db::UserRole least) {
        if (role_rank(session.role) < role_rank(least))
            throw ApiError(403, "forbidden",
                           fmt::format("{} may not do this: it needs the {} role", session.user,
                                       db::to_string(least)));
    };
    const bool qa_or_admin = role_rank(session.role) >= role_rank(db::UserRole::Qa);
    const auto audit = [&](const std::string& action, const json& detail) {
        record_act(action, session.user, request.peer_address, detail);
    };
    const auto need_bench = [&]() -> StationRunner& {
        if (!setup_.runner)
            throw ApiError(409, "no bench",
                           "this server was started without --station: QA pages only");
        return *setup_.runner;
    };

    // ---- session
    if (route_is({"api", "session"})) {
        if (method == "GET") {
            return json_response(200, session_json(session));
        }
        if (method == "DELETE") {
            sessions_.remove(session.token);
            audit("logout", json::object());
            HttpResponse response;
            response.status = 204;
            response.headers["Set-Cookie"] =
                fmt::format("{}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0", kSessionCookie);
            return response;
        }
    }

    // ---- the station
    if (route_is({"api", "station"}) && method == "GET")
        return json_response(200, on_plant() ? plant_station_json() : station_json());

    if (route_is({"api", "reference"}) && method == "POST") {
        auto& runner = need_bench();
        const json body = parse_body(request);
        FiberMode mode = FiberMode::SM;
        if (const auto part = string_field(body, "part", false)) {
            mode = app::find_in_catalogue(catalogue(), *part).mode;
        } else if (const auto text = string_field(body, "mode", false)) {
            const auto parsed = parse_fiber_mode(*text);
            if (!parsed)
                throw ApiError(400, "bad mode", "mode is SM or MM");
            mode = *parsed;
        }
        // The run lifecycle writes the audit entries of what it runs.
        runner.start_reference({session.user, session.token, request.peer_address}, mode);
        return json_response(202, {{"procedure", "reference"}});
    }

    if (route_is({"api", "tests"}) && method == "POST") {
        auto& runner = need_bench();
        const json body = parse_body(request);
        const std::string part = *string_field(body, "part", true);
        const std::string serial = *string_field(body, "serial", true);
        const std::string reason = string_field(body, "retest_reason", false).value_or("");
        std::int64_t run_id = 0;
        try {
            run_id = runner.start_test({session.user, session.token, request.peer_address}, part,
                                       serial, reason);
        } catch (const app::UsageError& error) {
            // The one usage error of a start: a retest needs a reason code.
            throw ApiError(422, "retest reason needed", error.what(),
                           {{"reasons", setup_.site.retest.reason_codes}});
        }
        return json_response(202, {{"run_id", run_id}});
    }

    if (route_is({"api", "tests", "current"}) && method == "GET") {
        if (!setup_.runner)
            return json_response(200, {{"seq", 0}, {"state", "idle"}, {"procedure", nullptr}});
        return json_response(200, setup_.runner->state());
    }

    if (route_is({"api", "tests", "current", "events"}) && method == "GET") {
        HttpResponse response;
        response.content_type = "text/event-stream";
        response.headers["Cache-Control"] = "no-store";
        response.headers["X-Accel-Buffering"] = "no";  // a reverse proxy must not hold events back
        StationRunner* runner = setup_.runner;
        response.stream = [this, runner](const StreamWriter& write) {
            std::uint64_t sent = 0;
            auto quiet_since = Clock::now();
            while (!stopping_) {
                json state = runner ? runner->state()
                                    : json{{"seq", 0}, {"state", "idle"}, {"procedure", nullptr}};
                const auto seq = state.value("seq", std::uint64_t{0});
                if (sent == 0 || seq > sent) {
                    const std::string event = fmt::format("id: {}\nevent: state\ndata: {}\n\n", seq,
                                                          app::json_text(state));
                    if (!write(event))
                        return;
                    sent = std::max<std::uint64_t>(seq, 1);
                    quiet_since = Clock::now();
                } else if (Clock::now() - quiet_since > std::chrono::seconds(15)) {
                    // A comment now and then: a closed page is noticed, a proxy keeps the line.
                    if (!write(": keep-alive\n\n"))
                        return;
                    quiet_since = Clock::now();
                }
                if (runner) {
                    runner->wait_for_change(sent, std::chrono::milliseconds(1000));
                    if (runner->shutting_down())
                        return;
                    // Changes that come in a burst go out as one event.
                    std::this_thread::sleep_for(std::chrono::milliseconds(40));
                } else {
                    std::this_thread::sleep_for(std::chrono::milliseconds(1000));
                }
            }
        };
        return response;
    }

    if (route_is({"api", "tests", "current", "prompt"}) && method == "POST") {
        auto& runner = need_bench();
        const json body = parse_body(request);
        const std::string answer = *string_field(body, "answer", true);
        if (answer != "done" && answer != "abort")
            throw ApiError(400, "bad answer", "answer is \"done\" or \"abort\"");
        runner.answer_prompt(session.token, qa_or_admin, answer == "done");
        return json_response(200, {{"answered", answer}});
    }

    if (route_is({"api", "tests", "current", "abort"}) && method == "POST") {
        auto& runner = need_bench();
        runner.abort(session.token, qa_or_admin, session.user);
        return json_response(200, {{"stopping", true}});
    }

    // ---- records
    if (route_is({"api", "runs"}) && method == "GET")
        return json_response(200, runs_json(request));

    if (route_is({"api", "runs", "*"}) && method == "GET") {
        if (on_plant())
            return json_response(200, plant_run_json(parts[2]));
        const db::Repository repository(setup_.db_path);
        const auto run = repository.run(id_of(parts[2]));
        if (!run)
            throw ApiError(404, "no such run", parts[2]);
        const auto hash = repository.record_hash(run->id);
        std::optional<bool> verified;
        if (hash) {
            const auto check = repository.find_record(*hash);
            verified = check && check->record_matches;
        }
        return json_response(200, run_page_json(*run, std::to_string(run->id), hash, verified));
    }

    if (route_is({"api", "runs", "*", "certificate.pdf"}) && method == "GET") {
        if (on_plant())
            return plant_certificate(parts[2]);
        const std::int64_t run_id = id_of(parts[2]);
        const db::Repository repository(setup_.db_path);
        const auto run = repository.run(run_id);
        if (!run)
            throw ApiError(404, "no such run", parts[2]);
        if (run->status != RunStatus::Completed)
            throw ApiError(409, "no certificate",
                           fmt::format("run {} was {}: only a completed run has a certificate",
                                       run_id, to_string(run->status)));
        // The certificate renderer writes files: a private temporary one, read back.
        std::string pdf;
        try {
            pdf = bytes_written_to(app::certificate_file_name(run->serial),
                                   [&](const std::filesystem::path& file) {
                                       app::write_run_certificate(repository, run_id, setup_.site,
                                                                  setup_.site.paper, file);
                                   });
        } catch (const reports::ReportError& error) {
            throw ApiError(500, "certificate", error.what());
        }
        HttpResponse response;
        response.content_type = "application/pdf";
        response.headers["Content-Disposition"] =
            fmt::format("inline; filename=\"{}\"", app::certificate_file_name(run->serial));
        response.body = std::move(pdf);
        return response;
    }

    // ---- QA: the CLI's JSON
    if (method == "GET" && parts.size() == 2) {
        const auto options = qa_options(request, setup_);
        const auto& name = parts[1];
        if (name == "yield" || name == "pareto" || name == "trend" || name == "histogram") {
            // The station's rollups, or the plant's buckets over every station.
            std::optional<db::Repository> repository;
            std::optional<db::plant::QaReader> plant;
            if (on_plant())
                plant.emplace(setup_.plant_url, kPlantAnswerTimeout);
            else
                repository.emplace(setup_.db_path);
            const app::QaSource source =
                plant ? app::QaSource(*plant, setup_.plant_url) : app::QaSource(*repository);
            if (name == "yield")
                return json_response(200, app::yield_report_json(source, options));
            if (name == "pareto")
                return json_response(200, app::pareto_report_json(source, options));
            if (name == "trend")
                return json_response(200, app::trend_report_json(source, options));
            return json_response(
                200, app::histogram_report_json(
                         source, options, on_plant() ? plant_limits_in_use() : setup_.limits));
        }
    }

    // ---- a serial as scanned: checked as `mpobench test` checks it, and
    // what the retest policy will ask of it, before Start is pressed.
    if (route_is({"api", "serials", "*"}) && method == "GET") {
        if (on_plant())
            throw ApiError(409, "no bench",
                           "the plant's QA pages test nothing: a serial is scanned at a station");
        std::string serial;
        try {
            serial = analysis::validate_serial(parts[2], setup_.site.serial_pattern);
        } catch (const analysis::IdentifierError& error) {
            return json_response(
                200, {{"serial", parts[2]}, {"valid", false}, {"problem", error.what()}});
        }
        const db::Repository repository(setup_.db_path);
        const auto attempts = repository.serial_attempts(serial);
        const auto& policy = setup_.site.retest;
        const auto verdict = analysis::retest_verdict(policy, attempts);
        const char* verdict_text =
            verdict == analysis::RetestVerdict::FirstTest         ? "first_test"
            : verdict == analysis::RetestVerdict::RetestAfterPass ? "retest_after_pass"
            : verdict == analysis::RetestVerdict::RetestAfterFail ? "retest_after_fail"
                                                                  : "held";
        const bool reason_needed =
            verdict == analysis::RetestVerdict::RetestAfterFail && !policy.reason_codes.empty();
        return json_response(
            200,
            {{"serial", serial},
             {"valid", true},
             {"problem", nullptr},
             {"attempts", attempts.attempts},
             {"attempts_before_hold", policy.attempts_before_hold},
             {"last_run_id", attempts.last_run_id ? json(*attempts.last_run_id) : json(nullptr)},
             {"last_passed", attempts.last_passed},
             {"verdict", verdict_text},
             {"retest_reason_needed", reason_needed},
             {"retest_reasons", reason_needed ? json(policy.reason_codes) : json::array()}});
    }

    // ---- exports: the records behind the QA numbers, as `mpobench export` writes them
    if (route_is({"api", "export"}) && method == "GET") {
        const auto query = request.query();
        const auto get = [&](const char* name) {
            const auto found = query.find(name);
            return found == query.end() ? std::string() : found->second;
        };
        const std::string format_text = get("format").empty() ? "csv" : get("format");
        const auto format = reports::parse_export_format(format_text);
        if (!format)
            throw ApiError(400, "bad format", "format is csv, xlsx or json");
        const std::string table_text = get("table").empty() ? "runs" : get("table");
        const auto table = reports::parse_export_table(table_text);
        if (!table)
            throw ApiError(400, "bad table", "table is runs, measurements or failures");
        const auto options = qa_options(request, setup_);
        const db::RunFilter filter = options.filter.run_filter(get("repeatability") != "1");
        // The station's rows, or the plant's payloads: a run exports the same from either.
        std::optional<db::Repository> repository;
        std::unique_ptr<reports::ExportSource> source;
        if (!on_plant()) {
            repository.emplace(setup_.db_path);
            source = std::make_unique<reports::StationExportSource>(*repository);
        } else {
            // The plant holds every station's runs: a page exports a period of them
            // (the whole record: mpobench export --db URL).
            if (get("from").empty() || get("to").empty())
                throw ApiError(422, "a period is needed",
                               "on the plant's pages an export names its days (from, to); "
                               "the whole plant exports with mpobench export --db URL");
            source = std::make_unique<app::PlantExportSource>(
                setup_.plant_url, kPlantConnectTimeout, kPlantAnswerTimeout);
        }
        HttpResponse response;
        std::string file_name = "mpobench-" + table_text;
        // A plant's run that reached it in payload form 1 cannot be exported
        // from it (app::PlantExportSource says which, before anything is written).
        const auto exported = [&](const auto& write) {
            try {
                write();
            } catch (const app::UsageError& error) {
                throw ApiError(409, "not whole in the plant", error.what());
            } catch (const reports::ReportError& error) {
                throw ApiError(500, "export", error.what());
            }
        };
        if (*format == reports::ExportFormat::Xlsx) {
            // libxlsxwriter writes files: a private temporary one, read back.
            exported([&] {
                response.body =
                    bytes_written_to("runs.xlsx", [&](const std::filesystem::path& file) {
                        reports::export_records(*source, filter, *format, file);
                    });
            });
            response.content_type =
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
            file_name = "mpobench-runs.xlsx";
        } else {
            std::ostringstream out;
            exported([&] {
                reports::export_records(*source, filter, *format, out,
                                        *format == reports::ExportFormat::Csv
                                            ? std::optional<reports::ExportTable>(*table)
                                            : std::nullopt);
            });
            response.body = out.str();
            response.content_type = *format == reports::ExportFormat::Csv
                                        ? "text/csv; charset=utf-8"
                                        : "application/json";
            file_name += *format == reports::ExportFormat::Csv ? ".csv" : ".json";
            if (*format == reports::ExportFormat::Json)
                file_name = "mpobench-records.json";
        }
        response.headers["Content-Disposition"] =
            fmt::format("attachment; filename=\"{}\"", file_name);
        return response;
    }

    // ---- audit log (qa, admin)
    if (route_is({"api", "audit"}) && method == "GET") {
        require_role(db::UserRole::Qa);
        if (on_plant())
            return json_response(200, plant_audit_json());
        const db::Repository repository(setup_.db_path);
        const auto entries = repository.audit_entries();
        json rows = json::array();
        for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
            json detail = json::parse(it->detail, nullptr, false);
            rows.push_back({{"seq", it->id},
                            {"at", app::iso_utc(it->at)},
                            {"source", it->source},
                            {"os_user", it->os_user},
                            {"actor", it->actor},
                            {"address", it->host},
                            {"action", it->action},
                            {"detail", detail.is_discarded() ? json(it->detail) : detail}});
        }
        const auto broken = analysis::first_break(entries);
        return json_response(
            200, {{"entries", rows},
                  {"verified", !broken},
                  {"first_broken",
                   broken ? json{{"seq", broken->id}, {"why", broken->why}} : json(nullptr)}});
    }

    // ---- limit sets (qa, admin): one person uploads, another activates
    if (parts.size() >= 2 && parts[1] == "limits") {
        require_role(db::UserRole::Qa);
        if (on_plant()) {
            if (route_is({"api", "limits"}) && method == "GET")
                return json_response(200, plant_limits_json());
            if (route_is({"api", "limits", "*"}) && method == "GET")
                return json_response(200, plant_limit_set_json(limit_set_id_of(parts[2])));
            if (method == "POST")
                throw ApiError(409, "changed at the plant",
                               "the plant's limit sets are uploaded and activated with mpobench "
                               "limits upload|activate --db URL, each by its own database login "
                               "(two-person rule)");
            throw ApiError(404, "not found", fmt::format("{} {}", method, path));
        }
        db::Repository repository(setup_.db_path);
        if (route_is({"api", "limits"}) && method == "GET") {
            // At a station of a plant the plant's set grades, not the ones
            // activated here.
            const auto plant = repository.plant_config();
            const bool plant_limits = plant && plant->limits;
            json rows = json::array();
            for (auto upload : repository.limit_set_uploads()) {
                upload.active = upload.active && !plant_limits;
                rows.push_back(limit_set_upload_json(upload));
            }
            // What the next test of this server grades with.
            json in_use;
            if (setup_.runner && setup_.runner->setup().limits_given) {
                const auto& limits = setup_.runner->setup().limits;
                in_use = {{"source", "file"},
                          {"id", nullptr},
                          {"name", limits.name},
                          {"version", limits.version},
                          {"hash", limits.hash}};
            } else if (plant_limits) {
                const auto& limits = plant->limits->limit_set;
                in_use = {{"source", "plant"},
                          {"id", limits.id},
                          {"name", limits.name},
                          {"version", limits.version},
                          {"hash", limits.hash},
                          {"plant", plant->plant},
                          {"activated_by", *plant->limits->activated_by},
                          {"fetched_at", app::iso_utc(plant->fetched_at)}};
            } else if (const auto active = repository.active_limit_set()) {
                in_use = {{"source", "database"},
                          {"id", active->id},
                          {"name", active->name},
                          {"version", active->version},
                          {"hash", active->hash}};
            } else {
                const auto& limits = analysis::default_limit_set();
                in_use = {{"source", "default"},
                          {"id", nullptr},
                          {"name", limits.name},
                          {"version", limits.version},
                          {"hash", limits.hash}};
            }
            return json_response(200, {{"limit_sets", rows}, {"in_use", in_use}});
        }
        if (route_is({"api", "limits", "*"}) && method == "GET") {
            const auto upload = repository.limit_set_upload(limit_set_id_of(parts[2]));
            if (!upload)
                throw ApiError(404, "no such limit set", parts[2]);
            json out = limit_set_upload_json(*upload);
            out["body"] = upload->limit_set.body;
            return json_response(200, out);
        }
        if (route_is({"api", "limits"}) && method == "POST") {
            const json body = parse_body(request);
            const auto toml = body.find("toml");
            if (toml == body.end() || !toml->is_string())
                throw ApiError(400, "'toml' is missing",
                               "the request needs a string field 'toml': the limit set's text");
            const auto& text = toml->get_ref<const std::string&>();
            analysis::LimitSet parsed;
            try {
                parsed = analysis::parse_limit_set(text, "uploaded limit set");
            } catch (const analysis::LimitSetError& error) {
                throw ApiError(400, "bad limit set", error.what());
            }
            if (const auto stored = repository.limit_set_by_hash(parsed.hash)) {
                if (const auto upload = repository.limit_set_upload(stored->id))
                    throw ApiError(409, "already uploaded",
                                   fmt::format("the same limits were uploaded as limit set {} by "
                                               "{} at {}",
                                               stored->id, upload->uploaded_by,
                                               app::iso_utc(upload->uploaded_at)));
                if (stored->body != parsed.body)
                    throw ApiError(409, "stored with another text",
                                   fmt::format("the same limits are stored as limit set {} (a "
                                               "test graded with them from a --limits file) in "
                                               "another text; upload that text",
                                               stored->id));
            }
            const std::int64_t id = repository.upload_limit_set(
                {0, parsed.name, parsed.version, parsed.hash, parsed.body}, session.user);
            app::audit_web_act(repository, "limits.upload", session.user, request.peer_address,
                               {{"id", id},
                                {"name", parsed.name},
                                {"version", parsed.version},
                                {"hash", parsed.hash}});
            return json_response(201, limit_set_upload_json(*repository.limit_set_upload(id)));
        }
        if (route_is({"api", "limits", "*", "activate"}) && method == "POST") {
            const std::int64_t id = limit_set_id_of(parts[2]);
            const auto upload = repository.limit_set_upload(id);
            if (!upload)
                throw ApiError(404, "no such limit set", parts[2]);
            if (upload->activated_by)
                throw ApiError(
                    409, "already activated",
                    fmt::format("limit set {} was activated by {} at {}", id, *upload->activated_by,
                                app::iso_utc(*upload->activated_at)));
            if (upload->uploaded_by == session.user)
                throw ApiError(403, "two-person rule",
                               fmt::format("{} uploaded limit set {}: another QA user must "
                                           "activate it",
                                           session.user, id));
            repository.activate_limit_set(id, session.user);
            app::audit_web_act(repository, "limits.activate", session.user, request.peer_address,
                               {{"id", id},
                                {"name", upload->limit_set.name},
                                {"version", upload->limit_set.version},
                                {"hash", upload->limit_set.hash},
                                {"uploaded_by", upload->uploaded_by}});
            return json_response(200, limit_set_upload_json(*repository.limit_set_upload(id)));
        }
    }

    // ---- users (admin)
    if (parts.size() >= 2 && parts[1] == "users") {
        require_role(db::UserRole::Admin);
        if (on_plant()) {
            if (route_is({"api", "users"}) && method == "GET")
                return json_response(200, plant_users_json());
            if (method == "POST")
                throw ApiError(409, "changed at the plant",
                               "the plant's users are added, disabled and given badges with "
                               "mpobench user add|disable|badge --db URL");
            throw ApiError(404, "not found", fmt::format("{} {}", method, path));
        }
        db::Repository repository(setup_.db_path);
        if (route_is({"api", "users"}) && method == "GET") {
            json users = json::array();
            for (const auto& user : repository.users())
                users.push_back(user_json(user));
            return json_response(200, {{"users", users}});
        }
        if (route_is({"api", "users"}) && method == "POST") {
            const json body = parse_body(request);
            const std::string name =
                analysis::validate_operator_name(*string_field(body, "name", true));
            const auto role = db::parse_user_role(*string_field(body, "role", true));
            if (!role)
                throw ApiError(400, "bad role", "role is operator, qa or admin");
            const std::string password = *string_field(body, "password", true);
            if (const auto problem = analysis::password_problem(password))
                throw ApiError(400, "password refused", *problem);
            if (repository.user(name))
                throw ApiError(409, "user exists", fmt::format("there is a user {} already", name));
            db::User user;
            user.name = name;
            user.role = *role;
            user.password_hash = analysis::hash_password(password);
            user.created_at = std::chrono::system_clock::now();
            user.created_by = session.user;
            repository.add_user(user);
            app::audit_web_act(repository, "user.add", session.user, request.peer_address,
                               {{"user", name}, {"role", std::string(db::to_string(*role))}});
            return json_response(201, user_json(*repository.user(name)));
        }
        if (route_is({"api", "users", "*", "badge"}) && method == "POST") {
            const json body = parse_body(request);
            const std::string badge = *string_field(body, "badge", true);
            if (const auto problem = analysis::badge_problem(badge))
                throw ApiError(400, "badge refused", *problem);
            const auto user = repository.user(parts[2]);
            if (!user || user->disabled_at)
                throw ApiError(404, "no such user", fmt::format("no enabled user {}", parts[2]));
            if (user->from_plant)
                throw ApiError(409, "a plant's user",
                               fmt::format("{} comes from the station's plant: register the "
                                           "badge there (mpobench user badge --db URL)",
                                           user->name));
            const std::string digest = analysis::badge_digest(badge);
            if (const auto holder = repository.user_by_badge(digest);
                holder && holder->name != user->name)
                throw ApiError(409, "badge taken", fmt::format("that badge is {}'s", holder->name));
            repository.set_badge(user->name, digest);
            app::audit_web_act(repository, "user.badge", session.user, request.peer_address,
                               {{"user", user->name}});
            return json_response(200, user_json(*repository.user(user->name)));
        }
        if (route_is({"api", "users", "*", "disable"}) && method == "POST") {
            const auto user = repository.user(parts[2]);
            if (!user)
                throw ApiError(404, "no such user", parts[2]);
            if (user->name == session.user)
                throw ApiError(409, "cannot disable yourself",
                               "another admin must disable this user");
            if (user->from_plant)
                throw ApiError(409, "a plant's user",
                               fmt::format("{} comes from the station's plant: disable them "
                                           "there (mpobench user disable --db URL)",
                                           user->name));
            repository.disable_user(user->name);
            sessions_.remove_user(user->name);
            app::audit_web_act(repository, "user.disable", session.user, request.peer_address,
                               {{"user", user->name}});
            return json_response(200, user_json(*repository.user(user->name)));
        }
    }

    throw ApiError(404, "not found", fmt::format("{} {}", method, path));
}

acquisition::PartCatalogue Api::catalogue() const {
    const db::Repository repository(setup_.db_path);
    return app::catalogue_in_use(repository, setup_.parts_option);
}

json Api::station_json() const {
    // One connection per poll: the pages ask every few seconds.
    const db::Repository repository(setup_.db_path);
    json parts = json::array();
    for (const auto& part : app::catalogue_in_use(repository, setup_.parts_option).parts)
        parts.push_back(part_json(part));
    json out{{"bench", setup_.runner != nullptr},
             {"station", nullptr},
             {"instruments", json::array()},
             {"reference", nullptr},
             {"reference_problem", "no bench: this server was started without --station"},
             {"lock", {{"held", false}}},
             {"plant", nullptr},
             {"parts", parts},
             {"retest_reasons", setup_.site.retest.reason_codes},
             {"time_zone", setup_.site.time_zone}};
    if (!setup_.runner)
        return out;
    const auto& station = setup_.runner->setup().station;
    out["station"] = station.name;

    // Model and serial as the instruments last answered *IDN? (at the
    // server's start or a procedure's connect); the calibration date as the
    // station file gives it.
    const auto identified = setup_.runner->identified_instruments();
    const std::string identify_problem = setup_.runner->identify_problem();
    const std::string today = reports::SiteClock(setup_.site.time_zone).day_text(Clock::now());
    for (const auto& instrument : station.instruments) {
        json row{{"name", instrument.name},
                 {"role", std::string(to_string(instrument.role))},
                 {"model", instrument.model},
                 {"serial", nullptr},
                 {"cal_due",
                  instrument.calibration_due ? json(*instrument.calibration_due) : json(nullptr)}};
        for (const auto& record : identified) {
            if (record.name == instrument.name) {
                row["model"] = fmt::format("{} {}", record.vendor, record.model);
                row["serial"] = record.serial;
                if (!record.calibration_due.empty() && !instrument.calibration_due)
                    row["cal_due"] = record.calibration_due;
            }
        }
        const std::string due = row["cal_due"].is_string() ? row["cal_due"].get<std::string>() : "";
        row["status"] = !due.empty() && due < today ? "cal overdue"
                        : row["serial"].is_string() ? "ok"
                        : identify_problem.empty()  ? "not yet connected"
                                                    : "unreachable";
        row["problem"] = identify_problem.empty() ? json(nullptr) : json(identify_problem);
        out["instruments"].push_back(row);
    }

    // The plant line of the header: runs waiting for it, and why.
    if (setup_.forwarder && station.plant_url) {
        const auto outbox = repository.outbox_summary();
        const std::string problem = setup_.forwarder->last_problem();
        out["plant"] = {
            {"waiting", outbox.waiting},
            {"since", outbox.oldest_waiting_since ? json(app::iso_utc(*outbox.oldest_waiting_since))
                                                  : json(nullptr)},
            {"last_forwarded_at", outbox.last_forwarded_at
                                      ? json(app::iso_utc(*outbox.last_forwarded_at))
                                      : json(nullptr)},
            {"problem", problem.empty() ? json(nullptr) : json(problem)}};
    }

    out["reference_problem"] = nullptr;
    if (const auto reference = repository.latest_reference(station.name)) {
        const double age_min = std::chrono::duration<double, std::ratio<60>>(
                                   std::chrono::system_clock::now() - reference->taken_at)
                                   .count();
        const double max_age_min = station.reference_max_age_min;
        out["reference"] = {{"id", reference->id},
                            {"taken_at", app::iso_utc(reference->taken_at)},
                            {"age_min", age_min},
                            {"max_age_min", max_age_min},
                            {"minutes_left", std::max(0.0, max_age_min - age_min)},
                            {"expired", age_min > max_age_min},
                            {"mode", std::string(to_string(reference->mode))},
                            {"fibers", reference->fibers},
                            {"launch_cord", reference->launch_cord},
                            {"operator", reference->operator_name}};
        if (age_min > max_age_min)
            out["reference_problem"] =
                fmt::format("the reference expired {:.0f} min ago (a reference serves {} min)",
                            age_min - max_age_min, station.reference_max_age_min);
    } else {
        out["reference_problem"] = "no reference taken on this station";
    }

    if (const auto ours = setup_.runner->procedure_holder()) {
        out["lock"] = *ours;
    } else if (const auto holder = acquisition::bench_holder(station)) {
        out["lock"] = {{"held", true},
                       {"procedure", holder->procedure},
                       {"operator", holder->operator_name},
                       {"serial", holder->serial},
                       {"run_id", holder->run_id},
                       {"since", app::iso_utc(holder->since)},
                       {"pid", holder->pid},
                       {"by_this_server", false},
                       {"text", acquisition::busy_message(station.name, *holder)}};
    }
    return out;
}

json Api::runs_json(const HttpRequest& request) const {
    const auto query = request.query();
    std::optional<db::Repository> repository;
    std::optional<db::plant::Reader> plant;
    if (on_plant())
        plant.emplace(setup_.plant_url, kPlantConnectTimeout, kPlantAnswerTimeout);
    else
        repository.emplace(setup_.db_path);
    // A run as listed: its summary and the key of its page (the station's
    // run id, or the plant's run UUID: two stations number runs alike).
    struct Listed {
        db::RunSummary summary;
        std::string ref;
    };
    std::vector<Listed> runs;
    const auto list_station = [&](std::vector<db::RunSummary> summaries) {
        for (auto& summary : summaries)
            runs.push_back({summary, std::to_string(summary.id)});
    };
    const auto list_plant = [&](std::vector<db::plant::PlantRun> held) {
        for (auto& run : held)
            runs.push_back({std::move(run.summary), std::move(run.uuid)});
    };
    if (const auto serial = query.find("serial"); serial != query.end()) {
        const std::string valid = analysis::validate_serial(serial->second, "");
        if (plant)
            list_plant(plant->history(valid, ""));
        else
            list_station(repository->history(valid));
    } else {
        int limit = 20;
        if (const auto given = query.find("limit"); given != query.end()) {
            try {
                limit = std::clamp(std::stoi(given->second), 1, 500);
            } catch (const std::logic_error&) {
                throw ApiError(400, "bad limit", "limit is a number of runs, 1 to 500");
            }
        }
        // A chart's drill-down names its filters (the QA views' own); without
        // any, the latest production runs of this server's station (of every
        // station, on the plant).
        const bool filtered = std::any_of(query.begin(), query.end(), [](const auto& parameter) {
            return parameter.first == "from" || parameter.first == "to" ||
                   parameter.first == "part" || parameter.first == "station" ||
                   parameter.first == "operator";
        });
        db::RunFilter filter;
        if (filtered) {
            filter = qa_options(request, setup_).filter.run_filter(/*production_only=*/true);
        } else {
            if (setup_.runner)
                filter.station = setup_.runner->setup().station.name;
            filter.kind = RunKind::Production;
            filter.started_from = std::chrono::system_clock::now() - std::chrono::days(31);
        }
        const auto grade = query.find("grade");
        const auto pass = query.find("pass");
        if (pass != query.end() && pass->second != "true" && pass->second != "false")
            throw ApiError(400, "bad pass", "pass is true or false");
        if (plant) {
            // The plant narrows and counts in the server: it holds millions.
            db::plant::Reader::Narrowing narrowing;
            if (pass != query.end())
                narrowing.completed_pass = pass->second == "true";
            if (grade != query.end()) {
                narrowing.grade = parse_grade(grade->second);
                if (!narrowing.grade)
                    return {{"runs", json::array()}};  // as on a station: no run has that grade
            }
            list_plant(plant->newest_runs(filter, narrowing, static_cast<std::size_t>(limit)));
        } else {
            auto summaries = repository->find_runs(filter);
            std::erase_if(summaries, [&](const db::RunSummary& run) {
                if (grade != query.end() &&
                    (!run.grade || to_string(*run.grade) != std::string_view(grade->second)))
                    return true;
                return pass != query.end() &&
                       (run.status != RunStatus::Completed || run.pass != (pass->second == "true"));
            });
            if (summaries.size() > static_cast<std::size_t>(limit))
                summaries.erase(summaries.begin(), summaries.end() - limit);
            list_station(std::move(summaries));
        }
    }
    std::reverse(runs.begin(), runs.end());  // newest first
    // How often each serial was tested today: a serial tested again and
    // again until it passes is what QA most wants to see.
    std::map<std::string, int> tested_today;
    const reports::SiteClock clock(setup_.site.time_zone);
    const std::string today = clock.day_text(Clock::now());
    const auto count_today = [&](const db::RunSummary& run) {
        if (run.kind == RunKind::Production && clock.day_text(run.started_at) == today)
            ++tested_today[run.serial];
    };
    for (const auto& run : runs)
        tested_today.emplace(run.summary.serial, 0);
    if (plant) {
        std::vector<std::string> serials;
        for (const auto& [serial, count] : tested_today)
            serials.push_back(serial);
        for (const auto& run : plant->production_histories(serials))
            count_today(run.summary);
    } else {
        for (const auto& [serial, count] : std::map<std::string, int>(tested_today)) {
            for (const auto& earlier : repository->history(serial))
                count_today(earlier);
        }
    }
    json rows = json::array();
    for (const auto& run : runs) {
        json row = run_summary_json(run.summary);
        row["ref"] = run.ref;
        row["tested_today"] = tested_today[run.summary.serial];
        rows.push_back(std::move(row));
    }
    return {{"runs", rows}};
}

json Api::session_json(const Session& session) const {
    // "record": what the pages read, the station's database or the plant.
    return {{"user", session.user},
            {"role", std::string(db::to_string(session.role))},
            {"csrf_token", session.csrf_token},
            {"expires_at", app::iso_utc(sessions_.expires_at(session))},
            {"record", on_plant()
                           ? json{{"source", "plant"}, {"plant", setup_.plant_description}}
                           : json{{"source", "station"}, {"database", setup_.db_path.string()}}}};
}

HttpResponse Api::logged_in(const db::User& user, const std::string& address,
                            const std::string& via) {
    const Session session = sessions_.create(user.name, user.role, address, Clock::now());
    record_act("login", user.name, address,
               {{"role", std::string(db::to_string(user.role))}, {"via", via}});
    HttpResponse response = json_response(200, session_json(session));
    response.headers["Set-Cookie"] = fmt::format(
        "{}={}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}", kSessionCookie, session.token,
        std::chrono::duration_cast<std::chrono::seconds>(setup_.session_limits.absolute).count());
    return response;
}

// A badge scanned into the login field: the user it is registered to, if
// enabled. Wrong badges are throttled per address, like wrong passwords.
HttpResponse Api::badge_login(const std::string& badge, const std::string& address) {
    constexpr const char* kBadgeKey =
        "\x01"
        "badge";  // no user name can be this
    if (const auto wait = throttle_.wait(kBadgeKey, address, Clock::now()))
        return too_many_logins(*wait);
    const auto user = analysis::badge_problem(badge) ? std::nullopt : badge_user(badge);
    if (!user) {
        throttle_.failed(kBadgeKey, address, Clock::now());
        record_act("login.fail", "", address, {{"why", "unknown badge"}});
        throw ApiError(401, "login failed", "this badge is not registered to an enabled user");
    }
    throttle_.succeeded(kBadgeKey, address);
    return logged_in(*user, address, "badge");
}

std::optional<db::User> Api::login_user(const std::string& name) const {
    if (on_plant())
        return plant_config_store().user(name);
    return db::Repository(setup_.db_path).user(name);
}

std::optional<db::User> Api::badge_user(const std::string& badge) const {
    const std::string digest = analysis::badge_digest(badge);
    if (!on_plant())
        return db::Repository(setup_.db_path).user_by_badge(digest);
    for (const auto& plant_user : plant_config_store().in_use().users) {
        if (plant_user.badge_sha256 == digest && !plant_user.user.disabled_at)
            return plant_user.user;
    }
    return std::nullopt;
}

void Api::record_act(const std::string& action, const std::string& actor,
                     const std::string& address, const json& detail) const {
    if (!on_plant()) {
        db::Repository repository(setup_.db_path);
        app::audit_web_act(repository, action, actor, address, detail);
        return;
    }
    // The QA role may not write the plant: the server's log keeps these,
    // a failed login as a warning (kept at --log-level warn).
    logger("web")->log(action == "login.fail" ? spdlog::level::warn : spdlog::level::info,
                       "plant pages: {} by {} from {}: {}", action, actor.empty() ? "-" : actor,
                       address, app::json_text(detail));
}

}  // namespace mpobench::web
