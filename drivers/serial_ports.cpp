#include "drivers/serial_ports.hpp"

#include <fmt/format.h>
#include <libserialport.h>

#include <memory>

namespace mpobench::drivers {

std::vector<SerialPortInfo> list_serial_ports() {
    sp_port** raw_list = nullptr;
    if (sp_list_ports(&raw_list) != SP_OK) {
        return {};
    }
    const std::unique_ptr<sp_port*, void (*)(sp_port**)> list(raw_list, sp_free_port_list);
    std::vector<SerialPortInfo> ports;
    for (sp_port** port = list.get(); *port != nullptr; ++port) {
        SerialPortInfo info;
        info.device = sp_get_port_name(*port);
        if (const char* description = sp_get_port_description(*port))
            info.description = description;
        if (sp_get_port_transport(*port) == SP_TRANSPORT_USB) {
            int vid = 0, pid = 0;
            if (sp_get_port_usb_vid_pid(*port, &vid, &pid) == SP_OK) {
                info.usb_vid = vid;
                info.usb_pid = pid;
            }
            if (const char* serial = sp_get_port_usb_serial(*port))
                info.usb_serial = serial;
        }
        ports.push_back(std::move(info));
    }
    return ports;
}

std::string describe_serial_ports(const std::vector<SerialPortInfo>& ports) {
    if (ports.empty())
        return "none";
    std::string text;
    for (const auto& port : ports) {
        if (!text.empty())
            text += ", ";
        text += port.device;
        std::vector<std::string> details;
        if (!port.description.empty())
            details.push_back(port.description);
        if (port.usb_vid && port.usb_pid) {
            details.push_back(fmt::format("USB {:04x}:{:04x}{}", *port.usb_vid, *port.usb_pid,
                                          port.usb_serial ? " serial " + *port.usb_serial : ""));
        }
        if (!details.empty())
            text += fmt::format(" ({})", fmt::join(details, ", "));
    }
    return text;
}

}  // namespace mpobench::drivers
