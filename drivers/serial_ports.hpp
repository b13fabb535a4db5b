#pragma once
// The serial ports this machine has, with what USB says about them, so a
// message about a missing port can tell the technician what is plugged in.

#include <optional>
#include <string>
#include <vector>

namespace mpobench::drivers {

struct SerialPortInfo {
    std::string device;       // /dev/ttyUSB0
    std::string description;  // "FT232R USB UART - FT232R USB UART"
    std::optional<std::string> usb_serial;
    std::optional<int> usb_vid, usb_pid;
};

// Enumerated through libserialport (sysfs); empty when none are present.
std::vector<SerialPortInfo> list_serial_ports();

// "/dev/ttyUSB0 (FT232R USB UART, USB 0403:6001 serial A10K1234), /dev/ttyS0" or "none".
std::string describe_serial_ports(const std::vector<SerialPortInfo>& ports);

}  // namespace mpobench::drivers
