#pragma once
// Every command reports failures the same way: one clear line on stderr
// and the exit code DESIGN.md §6 gives the kind of failure. Every
// std::exception has one (never an abort and its 134): a database that
// cannot be opened before anything starts is bad input (2); one that fails
// once the procedure runs is a storage fault (StorageFault, 3); a stop
// request, an abort and anything unforeseen are 3; a busy bench is
// refused (4).

#include <fmt/format.h>

#include <filesystem>
#include <stdexcept>
#include <string_view>

#include "acquisition/bench.hpp"
#include "acquisition/operator.hpp"
#include "acquisition/parts.hpp"
#include "acquisition/procedures.hpp"
#include "acquisition/station.hpp"
#include "acquisition/stop.hpp"
#include "analysis/identifiers.hpp"
#include "analysis/limits.hpp"
#include "app/exit_codes.hpp"
#include "app/run_lifecycle.hpp"
#include "db/repository.hpp"
#include "drivers/errors.hpp"
#include "fixtures/dut.hpp"
#include "reports/errors.hpp"
#include "reports/site.hpp"

namespace mpobench::app {

// A flag's value that parses but makes no sense (a bad date, --to before
// --from): exit 2 like any usage error.
class UsageError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

template <typename Body>
int guarded(std::string_view command, Body body) {
    const auto fail = [&](int code, const char* what) {
        fmt::print(stderr, "mpobench {}: {}\n", command, what);
        return code;
    };
    try {
        return body();
    } catch (const acquisition::StationFileError& error) {
        return fail(kBadInput, error.what());
    } catch (const acquisition::PartCatalogueError& error) {
        return fail(kBadInput, error.what());
    } catch (const analysis::LimitSetError& error) {
        return fail(kBadInput, error.what());
    } catch (const fixtures::DutFileError& error) {
        return fail(kBadInput, error.what());
    } catch (const acquisition::BenchConfigurationError& error) {
        return fail(kBadInput, error.what());
    } catch (const db::DatabaseError& error) {
        return fail(kBadInput, error.what());
    } catch (const analysis::IdentifierError& error) {
        return fail(kBadInput, error.what());
    } catch (const UsageError& error) {
        return fail(kBadInput, error.what());
    } catch (const reports::SiteError& error) {
        return fail(kBadInput, error.what());
    } catch (const reports::ReportError& error) {
        return fail(kBadInput, error.what());
    } catch (const std::filesystem::filesystem_error& error) {
        return fail(kBadInput, error.what());
    } catch (const acquisition::Refused& error) {
        return fail(kRefused, error.what());
    } catch (const acquisition::TestAborted& error) {
        return fail(kAborted, error.what());
    } catch (const acquisition::OperatorAbort& error) {
        return fail(kAborted, error.what());
    } catch (const acquisition::Stopped& error) {
        return fail(kAborted, error.what());
    } catch (const StorageFault& error) {
        return fail(kAborted, error.what());
    } catch (const drivers::InstrumentError& error) {
        return fail(error.kind() == drivers::ErrorKind::Configuration ? kBadInput : kAborted,
                    error.what());
    } catch (const std::exception& error) {
        // Nothing above: an unforeseen failure ends the command like a
        // fault, with what it said.
        return fail(kAborted, error.what());
    }
}

}  // namespace mpobench::app
