#pragma once
// DESIGN.md §6: the exit codes other programs rely on.

namespace mpobench::app {

enum ExitCode : int {
    kPassed = 0,       // passed / done
    kBelowTarget = 1,  // tested, below target grade or wrong polarity/continuity
    kBadInput = 2,     // bad usage, configuration or input file
    kAborted = 3,      // instrument, communication or storage fault, operator abort, signal
    kRefused = 4,      // reference expired, calibration overdue, station busy
};

}  // namespace mpobench::app
