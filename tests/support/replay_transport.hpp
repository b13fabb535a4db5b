#pragma once
// A Transport that plays an instrument from a transcript (PyMeasure's
// expected_protocol in C++): every write must be the next expected command,
// every read gets the next recorded reply, and a test checks at the end that
// the whole transcript was consumed.
//
// Transcript format, one exchange element per line:
//
//   # comment                     comment and blank lines are ignored
//   > :SENS1:POW:WAV 1.31E-06     exact bytes the driver must write (no terminator)
//   < +1.31000000E-006            the instrument's reply (the read terminator is added)
//   <hex 23 31 38 00 00 80 3F     a reply given as hex bytes; the terminator is added
//   <silent                       the instrument says nothing: that read times out
//
// A write that differs from the next `>` line throws ReplayMismatch (a
// std::logic_error, so no driver mistakes it for a communication fault)
// naming the transcript line, the expected and the actual bytes. A read with
// no reply pending throws TransportError(Timeout), as a silent instrument would.

#include <cstddef>
#include <filesystem>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "drivers/transport.hpp"

namespace mpobench::testing {

class ReplayMismatch : public std::logic_error {
  public:
    using std::logic_error::logic_error;
};

// The parsed transcript and how far the driver got through it. Shared
// between the test and the transport, so the test can still check it after
// handing the transport to a session.
class ReplayScript {
  public:
    struct Step {
        enum class Kind { Write, Reply, Silent };
        Kind kind;
        std::string bytes;  // Write: the command; Reply: the reply without terminator
        int line = 0;       // 1-based line in the transcript
    };

    // Throws std::invalid_argument naming the line for a malformed transcript.
    static std::shared_ptr<ReplayScript> from_string(std::string_view transcript,
                                                     std::string name = "inline transcript");
    static std::shared_ptr<ReplayScript> from_file(const std::filesystem::path& path);

    const std::string& name() const { return name_; }
    bool all_consumed() const { return next_ == steps_.size(); }
    // What is left, for a failing check: "transcript x: 2 steps left, next at line 7: > *OPC?".
    std::string remaining() const;

    // Used by ReplayTransport.
    void expect_write(std::string_view command);
    // The next reply's bytes (without terminator), or nullptr when the
    // transcript does not have the instrument speak now. `<silent` is
    // consumed here and reported as nullptr too.
    const Step* take_reply();

  private:
    ReplayScript(std::string name, std::vector<Step> steps);

    std::string name_;
    std::vector<Step> steps_;
    std::size_t next_ = 0;
};

class ReplayTransport final : public drivers::Transport {
  public:
    explicit ReplayTransport(std::shared_ptr<ReplayScript> script,
                             std::string read_terminator = "\n",
                             std::string write_terminator = "\n");

    // Shortcuts that build the script too; reach it through script().
    static std::unique_ptr<ReplayTransport> from_string(std::string_view transcript,
                                                        std::string read_terminator = "\n",
                                                        std::string write_terminator = "\n");
    static std::unique_ptr<ReplayTransport> from_file(const std::filesystem::path& path,
                                                      std::string read_terminator = "\n",
                                                      std::string write_terminator = "\n");

    const std::shared_ptr<ReplayScript>& script() const { return script_; }
    bool all_consumed() const { return script_->all_consumed(); }

    void open() override { open_ = true; }
    void close() override { open_ = false; }
    bool is_open() const override { return open_; }
    // Splits what the driver writes at the write terminator and checks each
    // command against the transcript.
    void write(std::string_view bytes, Clock::time_point deadline) override;
    std::size_t read_some(std::span<char> buffer, Clock::time_point deadline) override;
    void discard_input() override { unread_.clear(); }
    std::string resource() const override { return "REPLAY::" + script_->name(); }

  private:
    std::shared_ptr<ReplayScript> script_;
    std::string read_terminator_;
    std::string write_terminator_;
    bool open_ = false;
    std::string unwritten_;  // bytes written since the last write terminator
    std::string unread_;     // the current reply's bytes not yet read
};

}  // namespace mpobench::testing
