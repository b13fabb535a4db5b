#pragma once
// What reports/ throws when a file cannot be written or read.

#include <stdexcept>

namespace mpobench::reports {

class ReportError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

}  // namespace mpobench::reports
