#include "app/cord_wear.hpp"

#include <fmt/format.h>

#include "acquisition/bench.hpp"
#include "vocabulary/logger.hpp"

namespace mpobench::app {

std::string_view to_string(CordState state) {
    switch (state) {
        case CordState::Ok:
            return "ok";
        case CordState::Warn:
            return "warn";
        case CordState::Worn:
            return "worn";
    }
    return "?";
}

std::vector<CordStatus> cord_statuses(const acquisition::StationConfig& station,
                                      const db::Repository& repository) {
    std::vector<CordStatus> statuses;
    for (const auto& cord : station.cords) {
        CordStatus status{cord, repository.cord_wear(cord.id), CordState::Ok};
        if (status.wear.matings >= cord.mating_limit)
            status.state = CordState::Worn;
        else if (status.wear.matings >= cord.warn_matings)
            status.state = CordState::Warn;
        statuses.push_back(std::move(status));
    }
    return statuses;
}

void check_cord_wear(const acquisition::StationConfig& station, const db::Repository& repository) {
    std::vector<std::string> worn;
    for (const auto& status : cord_statuses(station, repository)) {
        const auto& cord = status.cord;
        if (status.state == CordState::Worn) {
            worn.push_back(fmt::format("{} cord {} has {} matings (limit {})", to_string(cord.role),
                                       cord.id, status.wear.matings, cord.mating_limit));
        } else if (status.state == CordState::Warn) {
            logger("bench")->warn("{} cord {}: {} matings of {}: plan to replace or re-qualify it",
                                  to_string(cord.role), cord.id, status.wear.matings,
                                  cord.mating_limit);
        }
    }
    if (!worn.empty()) {
        throw acquisition::Refused(fmt::format(
            "station {}: {}: replace it (a new cord id in {}) or re-qualify it (mpobench cord "
            "requalify ID --station FILE --operator NAME --reason TEXT)",
            station.name, fmt::join(worn, "; "), station.source_path.string()));
    }
}

namespace {

class CordCountingOperator final : public acquisition::Operator {
  public:
    CordCountingOperator(std::unique_ptr<acquisition::Operator> op,
                         std::vector<acquisition::CordConfig> cords, db::Repository& repository)
        : op_(std::move(op)), cords_(std::move(cords)), repository_(repository) {}

    void perform(acquisition::OperatorStep step, const std::string& context) override {
        op_->perform(step, context);
        std::vector<std::string> mated;
        for (const auto& cord : cords_) {
            if (acquisition::mates_cord(step, cord.role))
                mated.push_back(cord.id);
        }
        repository_.add_cord_matings(mated);
    }

    std::string name() const override { return op_->name(); }

  private:
    std::unique_ptr<acquisition::Operator> op_;
    std::vector<acquisition::CordConfig> cords_;
    db::Repository& repository_;
};

}  // namespace

std::unique_ptr<acquisition::Operator> counting_cord_matings(
    std::unique_ptr<acquisition::Operator> op, const acquisition::StationConfig& station,
    db::Repository& repository) {
    if (station.cords.empty())
        return op;
    return std::make_unique<CordCountingOperator>(std::move(op), station.cords, repository);
}

}  // namespace mpobench::app
