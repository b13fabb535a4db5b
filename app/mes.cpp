#include "app/mes.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <charconv>
#include <map>
#include <utility>

#include "acquisition/bench.hpp"
#include "app/forwarder.hpp"
#include "app/guarded.hpp"
#include "app/run_json.hpp"

namespace mpobench::app {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

struct HttpAnswer {
    unsigned status = 0;
    std::string body;
};

// One POST, every step (resolve, connect, send, answer) within `timeout`.
// Throws std::runtime_error naming the endpoint and the step that failed.
HttpAnswer post(const MesEndpoint& endpoint, const std::string& body,
                std::chrono::milliseconds timeout) {
    asio::io_context io;
    asio::ip::tcp::resolver resolver(io);
    beast::tcp_stream stream(io);
    http::request<http::string_body> request{http::verb::post, endpoint.target, 11};
    request.set(http::field::host, endpoint.host);
    request.set(http::field::user_agent, "mpobench");
    request.set(http::field::content_type, "application/json");
    request.body() = body;
    request.prepare_payload();
    beast::flat_buffer buffer;
    http::response<http::string_body> response;
    beast::error_code failure;
    std::string step = "resolving the host";
    const auto fail = [&](beast::error_code error, std::string_view what) {
        failure = error;
        step = what;
    };
    stream.expires_after(timeout);
    resolver.async_resolve(
        endpoint.host, endpoint.port,
        [&](beast::error_code error, const asio::ip::tcp::resolver::results_type& results) {
            if (error)
                return fail(error, "resolving the host");
            stream.async_connect(results, [&](beast::error_code error, const auto&) {
                if (error)
                    return fail(error, "connecting");
                http::async_write(stream, request, [&](beast::error_code error, std::size_t) {
                    if (error)
                        return fail(error, "sending the result");
                    http::async_read(stream, buffer, response,
                                     [&](beast::error_code error, std::size_t) {
                                         if (error)
                                             fail(error, "reading the answer");
                                     });
                });
            });
        });
    io.run();
    if (failure) {
        throw std::runtime_error(
            fmt::format("MES {}: {}: {}", endpoint.text, step, failure.message()));
    }
    beast::error_code ignored;
    stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    return {response.result_int(), response.body()};
}

std::string cfx_result(bool passed) {
    return passed ? "Passed" : "Failed";
}

nlohmann::json cfx_measurement(const std::string& name, int sequence, const nlohmann::json& value,
                               const std::string& time, bool passed) {
    return {{"$type", "CFX.Structures.NumericMeasurement, CFX"},
            {"MeasurementName", name},
            {"TimeRecorded", time},
            {"Sequence", sequence},
            {"MeasuredValue", {{"Value", value}, {"ValueUnits", "dB"}}},
            {"Result", cfx_result(passed)}};
}

}  // namespace

MesEndpoint parse_mes_url(const std::string& url) {
    const auto bad = [&](std::string_view why) {
        return UsageError(
            fmt::format("MES url '{}': {} (expected http://HOST[:PORT]/PATH)", url, why));
    };
    constexpr std::string_view scheme = "http://";
    if (!url.starts_with(scheme))
        throw bad("only http:// is supported");
    MesEndpoint endpoint;
    endpoint.text = url;
    std::string_view rest = std::string_view(url).substr(scheme.size());
    const auto slash = rest.find('/');
    std::string_view authority = rest.substr(0, slash);
    if (slash != std::string_view::npos)
        endpoint.target = std::string(rest.substr(slash));
    if (authority.find('@') != std::string_view::npos)
        throw bad("credentials do not belong in the station file");
    if (const auto colon = authority.rfind(':'); colon != std::string_view::npos) {
        const auto port_text = authority.substr(colon + 1);
        unsigned port = 0;
        const auto [end, error] =
            std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
        if (error != std::errc{} || end != port_text.data() + port_text.size() || port == 0 ||
            port > 65535)
            throw bad("the port is not a number from 1 to 65535");
        endpoint.port = std::string(port_text);
        authority = authority.substr(0, colon);
    }
    if (authority.empty())
        throw bad("the host is missing");
    if (authority.find_first_of(" \t?#") != std::string_view::npos)
        throw bad("the host holds a character a host name cannot");
    endpoint.host = std::string(authority);
    return endpoint;
}

std::optional<MesSettings> mes_of(const acquisition::StationConfig& station) {
    if (!station.mes_url && !station.mes_interlock_url)
        return std::nullopt;
    MesSettings settings;
    try {
        if (station.mes_url)
            settings.push = parse_mes_url(*station.mes_url);
        if (station.mes_interlock_url)
            settings.interlock = parse_mes_url(*station.mes_interlock_url);
    } catch (const UsageError& error) {
        throw UsageError(fmt::format("{}: [mes] {}", station.source_path.string(), error.what()));
    }
    settings.allow_when_unreachable = station.mes_allow_when_unreachable;
    settings.format = station.mes_format == "ipc-cfx" ? MesFormat::IpcCfx : MesFormat::Mpobench;
    settings.timeout = std::chrono::milliseconds(station.mes_timeout_ms);
    return settings;
}

nlohmann::json cfx_units_tested(const nlohmann::json& payload) {
    const auto& run = payload.at("run");
    const std::string started = run.at("started_at").get<std::string>();
    const std::string ended = run.value("ended_at", started);
    // Which (end, wavelength) a failure against the target is at.
    std::map<std::pair<std::string, int>, bool> failed;
    const bool passed = run.at("pass").get<bool>();
    for (const auto& failure : run.at("failures")) {
        if (!passed && failure.contains("end") && failure.contains("wavelength_nm"))
            failed[{failure["end"].get<std::string>(), failure["wavelength_nm"].get<int>()}] = true;
    }
    std::map<std::pair<std::string, int>, nlohmann::json> tests;
    for (const auto& m : run.at("measurements")) {
        const std::pair key{m.at("end").get<std::string>(), m.at("wavelength_nm").get<int>()};
        auto& test = tests[key];
        if (test.is_null()) {
            test = {
                {"UniqueIdentifier", fmt::format("{}-{}-{}", payload.at("uuid").get<std::string>(),
                                                 key.first, key.second)},
                {"TestName", fmt::format("END {} {} nm", key.first, key.second)},
                {"TestStartTime", started},
                {"TestEndTime", ended},
                {"Result", cfx_result(!failed.contains(key))},
                {"Measurements", nlohmann::json::array()}};
        }
        auto& measurements = test["Measurements"];
        const int fiber = m.at("fiber").get<int>();
        const bool fiber_ok = m.at("status").get<std::string>() == "ok";
        const int sequence = static_cast<int>(measurements.size());
        measurements.push_back(cfx_measurement(fmt::format("IL fibre {}", fiber), sequence,
                                               m.at("il_db"), ended, fiber_ok));
        const auto& rl = m.at("rl_db").is_null() ? m.at("rl_above_db") : m.at("rl_db");
        measurements.push_back(
            cfx_measurement(fmt::format("RL fibre {}", fiber), sequence + 1, rl, ended, fiber_ok));
    }
    auto test_list = nlohmann::json::array();
    for (auto& [key, test] : tests)
        test_list.push_back(std::move(test));
    const std::string status = run.at("status").get<std::string>();
    const std::string overall = status != "completed" ? "Aborted" : cfx_result(passed);
    std::string limit_set;
    if (const auto found = run.find("limit_set"); found != run.end()) {
        const auto& version = found->at("version");
        limit_set = fmt::format("{} {}", found->value("name", ""),
                                version.is_string() ? version.get<std::string>() : version.dump());
    }
    return {{"MessageName", "CFX.Production.TestAndInspection.UnitsTested"},
            {"Version", "1.7"},
            {"TimeStamp", ended},
            {"UniqueID", payload.at("uuid")},
            {"Source", fmt::format("mpobench/{}", run.value("station", ""))},
            {"Target", nullptr},
            {"RequestID", nullptr},
            {"MessageBody",
             {{"TransactionId", payload.at("uuid")},
              {"TestMethod", "Automated"},
              {"Tester",
               {{"OperatorIdentifier", run.value("operator", "")},
                {"ActorType", "Human"},
                {"LoginName", run.value("operator", "")}}},
              {"RecipeName", run.value("part", "")},
              {"RecipeRevision", limit_set},
              {"SamplingInformation", {{"SamplingMethod", "NoSampling"}}},
              {"TestedUnits",
               {{{"UnitIdentifier", run.at("serial")},
                 {"UnitPositionNumber", 1},
                 {"OverallResult", overall},
                 {"Tests", std::move(test_list)}}}}}}};
}

std::string ask_mes_interlock(const MesSettings& mes, const InterlockQuestion& question) {
    const MesEndpoint& endpoint = *mes.interlock;
    const nlohmann::json body = {
        {"serial", question.serial},
        {"part", question.part},
        {"station", question.station},
        {"station_uuid", question.station_uuid},
        {"operator", question.operator_name},
        {"work_order", question.work_order.empty() ? nlohmann::json(nullptr)
                                                   : nlohmann::json(question.work_order)}};
    std::string unasked;  // why the MES could not be asked
    try {
        const HttpAnswer answer = post(endpoint, json_text(body), mes.timeout);
        if (answer.status < 200 || answer.status > 299) {
            unasked = fmt::format("MES {} answered {}", endpoint.text, answer.status);
        } else {
            const auto reply = nlohmann::json::parse(answer.body, nullptr, false);
            if (reply.is_object() && reply.contains("allow") && reply["allow"].is_boolean()) {
                const std::string reason = reply.value("reason", std::string());
                if (!reply["allow"].get<bool>()) {
                    throw acquisition::Refused(fmt::format(
                        "the MES does not allow {} ({}) to be tested at this station: {}",
                        question.serial, question.part,
                        reason.empty() ? "no reason given" : reason));
                }
                return reason.empty() ? "allowed by the MES"
                                      : fmt::format("allowed by the MES: {}", reason);
            }
            unasked = fmt::format("MES {} answered {} without {{\"allow\": true|false}}",
                                  endpoint.text, answer.status);
        }
    } catch (const acquisition::Refused&) {
        throw;
    } catch (const std::runtime_error& error) {
        unasked = error.what();
    }
    if (!mes.allow_when_unreachable) {
        throw acquisition::Refused(fmt::format(
            "the MES interlock could not be asked ({}); the site policy refuses a test then "
            "([mes] interlock_unreachable = \"refuse\")",
            unasked));
    }
    spdlog::warn("MES interlock not asked ({}): allowed by the site policy", unasked);
    return fmt::format("allowed by the site policy: the MES could not be asked ({})", unasked);
}

std::string mes_interlock_for(const acquisition::StationConfig& station,
                              const db::Repository& repository, const std::string& serial,
                              const Part& part, const std::string& operator_name,
                              const std::string& work_order) {
    const auto mes = mes_of(station);
    if (!mes || !mes->interlock)
        return "";
    return ask_mes_interlock(*mes, {serial, part.number, station.name, repository.station_uuid(),
                                    operator_name, work_order});
}

MesReport push_outbox_to_mes(db::Repository& repository, const MesSettings& mes) {
    MesReport report;
    repository.link_mes();  // a station never linked: from its next run on
    for (auto& entry : repository.outbox_waiting_for_mes()) {
        keep_payload(repository, entry);
        const std::string body =
            mes.format == MesFormat::IpcCfx
                ? json_text(cfx_units_tested(nlohmann::json::parse(entry.payload)))
                : entry.payload;
        HttpAnswer answer;
        try {
            answer = post(*mes.push, body, mes.timeout);
        } catch (const std::runtime_error& error) {
            report.problem = error.what();
            return report;
        }
        if (answer.status < 200 || answer.status > 299) {
            report.problem =
                fmt::format("MES {} answered {} for run {} ({}): {}", mes.push->text, answer.status,
                            entry.run_id, entry.run_uuid, answer.body.substr(0, 200));
            return report;
        }
        repository.mark_mes_acknowledged(entry.run_id);
        ++report.acknowledged;
    }
    return report;
}

}  // namespace mpobench::app
