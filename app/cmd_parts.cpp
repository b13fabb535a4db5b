// `mpobench parts publish|show`: the part catalogue a plant's stations test
// against. README: "Parts, limits and users from the plant".

#include <fmt/format.h>

#include <fstream>
#include <sstream>

#include "acquisition/parts.hpp"
#include "analysis/limits.hpp"
#include "app/commands.hpp"
#include "app/plant_source.hpp"
#include "app/run_json.hpp"
#include "app/test_flow.hpp"
#include "db/plant_config.hpp"
#include "db/plant_read.hpp"

namespace mpobench::app {

int run_parts_publish(const PartsOptions& options) {
    return plant_guarded("parts publish", [&] {
        if (!db::plant::is_plant_url(options.db.string()))
            throw UsageError(fmt::format(
                "--db {}: a catalogue is published to the plant (postgresql://...); a station "
                "without a plant takes --parts FILE",
                options.db.string()));
        std::ifstream in(options.file);
        std::stringstream text;
        text << in.rdbuf();
        if (!in)
            throw UsageError(fmt::format("{}: cannot read it", options.file.string()));
        const std::string body = text.str();
        // A catalogue no station could use is bad input, said here.
        const auto catalogue = acquisition::parse_part_catalogue(body, options.file);
        const std::string sha256 = analysis::sha256_hex(body);
        db::plant::ConfigStore store(options.db.string());
        if (const auto in_use = store.in_use().parts; in_use && in_use->sha256 == sha256) {
            fmt::print(
                "the plant's catalogue in use is this one already (catalogue {}, "
                "published by {} {})\n",
                in_use->id, in_use->published_by, iso_utc(in_use->published_at));
            return static_cast<int>(kPassed);
        }
        const auto id = store.publish_part_catalogue(body, sha256, options.by);
        fmt::print(
            "part catalogue {} ({} parts, sha256 {}) published to plant {} by {}: each station "
            "takes it at its next test\n",
            id, catalogue.parts.size(), sha256, store.describe(), options.by);
        return static_cast<int>(kPassed);
    });
}

int run_parts_show(const PartsOptions& options) {
    return plant_guarded("parts show", [&] {
        if (db::plant::is_plant_url(options.db.string())) {
            const db::plant::ConfigStore store(options.db.string());
            const auto in_use = store.in_use().parts;
            if (!in_use) {
                fmt::print(
                    "no part catalogue published to plant {} yet (mpobench parts publish "
                    "FILE --by NAME --db URL)\n",
                    store.describe());
                return static_cast<int>(kPassed);
            }
            fmt::print("# plant {}: part catalogue {} published by {} {}, sha256 {}\n{}",
                       store.describe(), in_use->id, in_use->published_by,
                       iso_utc(in_use->published_at), in_use->sha256, in_use->body);
            return static_cast<int>(kPassed);
        }
        const db::Repository repository = open_database_for_reading(options.db);
        if (const auto cache = repository.plant_config(); cache && cache->parts) {
            fmt::print(
                "# the plant's part catalogue {} published by {} {}, sha256 {}; fetched "
                "from plant {} {}\n{}",
                cache->parts->id, cache->parts->published_by, iso_utc(cache->parts->published_at),
                cache->parts->sha256, cache->plant, iso_utc(cache->fetched_at), cache->parts->body);
            return static_cast<int>(kPassed);
        }
        const auto path = acquisition::default_part_catalogue_path();
        std::ifstream in(path);
        std::stringstream text;
        text << in.rdbuf();
        fmt::print("# the default part catalogue {} (no plant's catalogue at this station)\n{}",
                   path.string(), text.str());
        return static_cast<int>(kPassed);
    });
}

}  // namespace mpobench::app
