#pragma once
// What the bench needs from each kind of instrument, whatever its model.
// Drivers implement one role each; acquisition only ever sees these.

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "drivers/scpi_parse.hpp"

namespace mpobench::drivers {

// An optical reading in dBm, or why there is none. Meters flag out-of-range
// in several ways (SCPI 9.9E37, 9.91E37, huge values); drivers map them all here.
struct PowerReading {
    enum class Status { Ok, Overrange, Underrange, Invalid };
    Status status = Status::Ok;
    double dbm = 0.0;     // meaningful only for Status::Ok
    std::string command;  // the query whose reply this is, for messages

    bool ok() const { return status == Status::Ok; }
};

struct ReturnLossReading {
    enum class Status { Ok, Overrange, Underrange, Invalid };
    Status status = Status::Ok;
    double rl_db = 0.0;  // meaningful only for Status::Ok
    // Status::Overrange: the upper end of the meter's range, which the
    // return loss lies beyond (the reflection is below the meter's floor).
    double range_db = 0.0;
    std::string command;  // the query whose reply this is, for messages

    bool ok() const { return status == Status::Ok; }
};

class Instrument {
  public:
    virtual ~Instrument() = default;
    virtual std::string role() const = 0;   // station-file name
    virtual std::string model() const = 0;  // driver model key, e.g. "keysight-n7745"
    virtual std::string resource() const = 0;
    virtual Identity identify() = 0;  // *IDN?
    // Whether an identity reply is a model this driver speaks to.
    virtual bool accepts(const Identity& identity) const = 0;
    // Clears status and the error queue and puts the instrument in the
    // state the driver relies on (units, continuous mode off, ...).
    virtual void prepare() = 0;
    virtual std::vector<ErrorEntry> drain_errors() = 0;
    // drain_errors(); throws InstrumentError(Device) naming `after` and
    // every entry when the queue held any.
    virtual void check_errors(std::string_view after) = 0;
    // Closes and reopens the connection after a communication fault.
    virtual void reconnect() = 0;
};

class PowerMeter : public Instrument {
  public:
    virtual int channel_count() const = 0;
    virtual void set_wavelength_nm(double wavelength_nm) = 0;              // every channel
    virtual void set_averaging_time(std::chrono::microseconds atime) = 0;  // every channel
    virtual std::chrono::microseconds averaging_time() const = 0;
    // Starts one averaging window on every channel; read_all_dbm() collects it.
    virtual void start_measurement() = 0;
    // All channels from one window, in channel order (one query where the
    // model allows). Blocks until the window ends.
    virtual std::vector<PowerReading> read_all_dbm() = 0;
    virtual PowerReading read_dbm(int channel) = 0;  // 1-based channel
};

class LightSource : public Instrument {
  public:
    virtual std::vector<double> wavelengths_nm() const = 0;  // lasers available
    virtual void select_wavelength_nm(double wavelength_nm) = 0;
    virtual double wavelength_nm() = 0;
    virtual void set_output(bool on) = 0;
    // Waits until the source is stable after a change (*OPC? on the wire).
    virtual void wait_stable() = 0;
};

class OpticalSwitch : public Instrument {
  public:
    virtual int port_count() const = 0;
    // Connects the common input to output `port` (1-based) and returns once
    // the switch reports the move complete (settled).
    virtual void route(int port) = 0;
    virtual int current_port() = 0;
};

class ReturnLossMeter : public Instrument {
  public:
    virtual void set_wavelength_nm(double wavelength_nm) = 0;
    virtual void set_averaging_time(std::chrono::microseconds atime) = 0;
    virtual std::chrono::microseconds averaging_time() const = 0;
    virtual void start_measurement() = 0;
    virtual ReturnLossReading read_rl_db() = 0;  // blocks until the window ends
};

}  // namespace mpobench::drivers
