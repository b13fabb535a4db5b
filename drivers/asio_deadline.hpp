#pragma once
// Blocking I/O with a deadline on an Asio stream (serial port or socket):
// start the asynchronous operation, run the transport's own io_context until
// it completes or the deadline passes, then cancel it. Shared by the serial
// and TCP transports; private to drivers/.

#include <boost/asio/buffer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/write.hpp>
#include <boost/system/error_code.hpp>

#include <cstddef>
#include <span>
#include <string_view>

#include "drivers/transport.hpp"

namespace mpobench::drivers::asio_deadline {

using boost::system::error_code;

// Runs `io` until the operation that reports into `status` completes or the
// deadline passes. At the deadline `cancel` aborts it and the aborted handler
// still runs here, so no handler outlives the call. An operation that timed
// out reports asio::error::operation_aborted.
template <typename Cancel>
error_code run_until(boost::asio::io_context& io, const error_code& status,
                     Transport::Clock::time_point deadline, Cancel cancel) {
    io.restart();
    while (status == boost::asio::error::would_block && io.run_one_until(deadline) > 0) {
    }
    if (status == boost::asio::error::would_block) {
        cancel();
        io.restart();
        io.run();
    }
    return status;
}

// Writes every byte, or returns why not (operation_aborted at the deadline).
template <typename Stream>
error_code write_all(Stream& stream, boost::asio::io_context& io, std::string_view bytes,
                     Transport::Clock::time_point deadline) {
    error_code status = boost::asio::error::would_block;
    boost::asio::async_write(stream, boost::asio::buffer(bytes.data(), bytes.size()),
                             [&](const error_code& error, std::size_t) { status = error; });
    return run_until(io, status, deadline, [&] { stream.cancel(); });
}

// Reads what is there (at least one byte) into `buffer`, setting `count`, or
// returns why not (operation_aborted at the deadline).
template <typename Stream>
error_code read_some(Stream& stream, boost::asio::io_context& io, std::span<char> buffer,
                     std::size_t& count, Transport::Clock::time_point deadline) {
    error_code status = boost::asio::error::would_block;
    stream.async_read_some(boost::asio::buffer(buffer.data(), buffer.size()),
                           [&](const error_code& error, std::size_t bytes) {
                               status = error;
                               count = bytes;
                           });
    return run_until(io, status, deadline, [&] { stream.cancel(); });
}

}  // namespace mpobench::drivers::asio_deadline
