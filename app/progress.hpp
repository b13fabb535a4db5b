#pragma once
// A one-line progress bar on stderr for long work, shown only on a terminal.

#include <string>

#include "acquisition/procedures.hpp"

namespace mpobench::app {

class TerminalProgress {
  public:
    // `enabled` false (or stderr not a terminal): every call does nothing.
    TerminalProgress(std::string label, bool enabled);
    ~TerminalProgress();  // clears the line
    acquisition::ProgressCallback callback();
    void clear();

  private:
    void draw(const acquisition::ProgressEvent& event);

    std::string label_;
    bool enabled_;
    bool drawn_ = false;
};

}  // namespace mpobench::app
