#include "web/serve.hpp"

#include <fmt/format.h>

#include <boost/asio/ip/address.hpp>

#include <thread>

#include "app/certificates.hpp"
#include "app/exit_codes.hpp"
#include "app/forwarder.hpp"
#include "app/guarded.hpp"
#include "app/plant_config.hpp"
#include "app/signals.hpp"
#include "app/test_flow.hpp"
#include "vocabulary/logger.hpp"
#include "web/api.hpp"
#include "web/http.hpp"
#include "web/station_runner.hpp"

namespace mpobench::web {

std::pair<std::string, unsigned short> parse_listen(const std::string& text) {
    const auto colon = text.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == text.size())
        throw app::UsageError(
            fmt::format("--listen '{}': expected ADDRESS:PORT, e.g. 127.0.0.1:8080", text));
    std::string address = text.substr(0, colon);
    if (address.size() > 2 && address.front() == '[' && address.back() == ']')
        address = address.substr(1, address.size() - 2);
    const std::string port_text = text.substr(colon + 1);
    unsigned long port = 0;
    try {
        std::size_t used = 0;
        port = std::stoul(port_text, &used);
        if (used != port_text.size() || port > 65535)
            throw std::out_of_range(port_text);
    } catch (const std::logic_error&) {
        throw app::UsageError(fmt::format("--listen '{}': '{}' is not a port", text, port_text));
    }
    boost::system::error_code error;
    boost::asio::ip::make_address(address, error);
    if (error)
        throw app::UsageError(
            fmt::format("--listen '{}': '{}' is not an IP address", text, address));
    return {address, static_cast<unsigned short>(port)};
}

bool is_loopback(const std::string& address) {
    boost::system::error_code error;
    const auto parsed = boost::asio::ip::make_address(address, error);
    return !error && parsed.is_loopback();
}

int run_serve(const ServeOptions& options) {
    return app::guarded("serve", [&] {
        const auto [address, port] = parse_listen(options.listen);
        const bool bench = !options.station_file.empty();
        // With a bench the database is made when missing; QA pages need one that exists.
        const auto db_path =
            bench ? app::database_path(options.db) : app::existing_database_path(options.db);
        db::Repository repository(db_path);  // migrated before anyone is served
        if (!is_loopback(address)) {
            const auto users = repository.users();
            const bool has_admin = std::any_of(users.begin(), users.end(), [](const auto& user) {
                return user.role == db::UserRole::Admin && !user.disabled_at;
            });
            if (!has_admin) {
                throw acquisition::Refused(fmt::format(
                    "--listen {}: other machines could reach the station while no admin user "
                    "exists; add one first (mpobench user add NAME --role admin --db {}) or "
                    "listen on 127.0.0.1",
                    options.listen, db_path.string()));
            }
        }

        const reports::Site site = app::load_site_option(options.site);
        // A catalogue that cannot be read is said now, not at the first test.
        app::catalogue_in_use(repository, options.parts);
        // What the pages grade with now; a bench re-reads it at each test start.
        const auto limits = app::limits_in_use(repository, options.limits);

        app::SignalStop signal_stop;
        std::unique_ptr<StationRunner> runner;
        // Forwards the runs this station ends to its plant, if it has one.
        std::unique_ptr<app::BackgroundForwarder> forwarder;
        std::string station_name = "QA pages only, no bench";
        if (bench) {
            auto station = acquisition::load_station(options.station_file);
            station_name = "station " + station.name;
            auto plant_url = app::plant_url_of(station);
            auto mes = app::mes_of(station);
            if (plant_url || (mes && mes->push)) {
                forwarder = std::make_unique<app::BackgroundForwarder>(
                    db_path, std::move(plant_url), std::move(mes),
                    std::chrono::seconds(station.plant_retry_interval_s));
            }
            runner = std::make_unique<StationRunner>(
                StationSetup{std::move(station), db_path, options.parts, limits, site, &signal_stop,
                             !options.limits.empty()});
            runner->identify_in_background();
        }
        ApiSetup api_setup{db_path,      options.site,    site, options.parts, limits,
                           runner.get(), forwarder.get(), {}};
        Api api(std::move(api_setup));
        HttpServerOptions server_options;
        server_options.address = address;
        server_options.port = port;
        std::unique_ptr<HttpServer> server;
        try {
            server = std::make_unique<HttpServer>(
                server_options, [&api](const HttpRequest& request) { return api.handle(request); });
        } catch (const HttpServerError& error) {
            throw acquisition::Refused(error.what());
        }
        server->start();
        const std::string shown_address =
            address.find(':') == std::string::npos ? address : "[" + address + "]";
        fmt::print(
            "mpobench serve: http://{}:{}/ ({}, database {})\nstop with Ctrl-C (SIGINT) "
            "or SIGTERM\n",
            shown_address, server->port(), station_name, db_path.string());
        std::fflush(stdout);
        logger("web")->info("serving {} on {}:{}", station_name, address, server->port());
        while (!signal_stop.reason())
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        logger("web")->info("{}: stopping", *signal_stop.reason());
        api.stop();
        server->stop();
        runner.reset();  // a procedure still running ends aborted, its lock released
        forwarder.reset();
        fmt::print("mpobench serve: stopped\n");
        return static_cast<int>(app::kPassed);
    });
}

}  // namespace mpobench::web
