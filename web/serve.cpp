#include "web/serve.hpp"

#include <fmt/format.h>

#include <boost/asio/ip/address.hpp>

#include <thread>

#include "app/certificates.hpp"
#include "app/exit_codes.hpp"
#include "app/forwarder.hpp"
#include "app/guarded.hpp"
#include "app/plant_config.hpp"
#include "app/plant_source.hpp"
#include "app/signals.hpp"
#include "app/test_flow.hpp"
#include "db/plant_config.hpp"
#include "db/plant_read.hpp"
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

namespace {

// Other machines may reach the pages only once an admin exists to manage
// who logs in.
void check_admin_for(const std::string& listen, const std::vector<db::User>& users,
                     const std::string& how_to_add) {
    const bool has_admin = std::any_of(users.begin(), users.end(), [](const auto& user) {
        return user.role == db::UserRole::Admin && !user.disabled_at;
    });
    if (!has_admin) {
        throw acquisition::Refused(
            fmt::format("--listen {}: other machines could reach the pages while no admin user "
                        "exists; add one first ({}) or listen on 127.0.0.1",
                        listen, how_to_add));
    }
}

}  // namespace

int run_serve(const ServeOptions& options) {
    return app::plant_guarded("serve", [&] {
        const auto [address, port] = parse_listen(options.listen);
        const bool bench = !options.station_file.empty();
        const bool on_plant = db::plant::is_plant_url(options.db.string());
        const reports::Site site = app::load_site_option(options.site);
        ApiSetup api_setup;
        api_setup.site_path = options.site;
        api_setup.site = site;
        api_setup.parts_option = options.parts;
        api_setup.limits_from_file = !options.limits.empty();
        std::optional<db::Repository> repository;
        std::string served;  // what the start line names
        if (on_plant) {
            // The QA pages on the plant: its runs, its users (README "The
            // plant's QA pages").
            if (bench)
                throw app::UsageError(
                    "--db names the plant: a station's server keeps the station's own database "
                    "(--db STATION.db) and forwards to the plant its station file names");
            if (!options.parts.empty())
                throw app::UsageError(
                    "--parts: the plant's QA pages test nothing; the plant's catalogue is "
                    "published with mpobench parts publish --db URL");
            const db::plant::ConfigStore store(options.db.string());
            if (!is_loopback(address)) {
                check_admin_for(
                    options.listen, store.users(),
                    fmt::format("mpobench user add NAME --role admin --by ADMIN --db {}",
                                store.describe()));
            }
            api_setup.plant_url = options.db.string();
            api_setup.plant_description = store.describe();
            api_setup.limits = options.limits.empty() ? analysis::default_limit_set()
                                                      : app::load_limits(options.limits);
            served = "plant " + store.describe();
        } else {
            // With a bench the database is made when missing; QA pages need one that exists.
            api_setup.db_path =
                bench ? app::database_path(options.db) : app::existing_database_path(options.db);
            repository.emplace(api_setup.db_path);  // migrated before anyone is served
            if (!is_loopback(address)) {
                check_admin_for(options.listen, repository->users(),
                                fmt::format("mpobench user add NAME --role admin --db {}",
                                            api_setup.db_path.string()));
            }
            // A catalogue that cannot be read is said now, not at the first test.
            app::catalogue_in_use(*repository, options.parts);
            // What the pages grade with now; a bench re-reads it at each test start.
            api_setup.limits = app::limits_in_use(*repository, options.limits);
            served = "database " + api_setup.db_path.string();
        }
        const auto& db_path = api_setup.db_path;
        const auto& limits = api_setup.limits;

        app::SignalStop signal_stop;
        std::unique_ptr<StationRunner> runner;
        // Forwards the runs this station ends to its plant, if it has one.
        std::unique_ptr<app::BackgroundForwarder> forwarder;
        std::string station_name = on_plant ? "the plant's QA pages" : "QA pages only, no bench";
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
        api_setup.runner = runner.get();
        api_setup.forwarder = forwarder.get();
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
            "mpobench serve: http://{}:{}/ ({}, {})\nstop with Ctrl-C (SIGINT) "
            "or SIGTERM\n",
            shown_address, server->port(), station_name, served);
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
