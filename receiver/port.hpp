#pragma once
// How nanotime-receiver reaches the receiver: through gpsd (a TCP client that writes with
// ?DEVICE hexdata and reads gpsd's raw passthrough, so gpsd and its clients keep running) or
// directly on the serial port (termios, when gpsd is stopped). Every call is bounded.

#include <memory>
#include <stdexcept>
#include <string>

#include "receiver/frame.hpp"

namespace nanotime::rcv {

class PortError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Port {
 public:
  virtual ~Port() = default;
  // Sends one whole UBX frame. Throws PortError.
  virtual void write(const receiver::Bytes& frame) = 0;
  // Waits at most timeout_ms for bytes from the receiver; empty when none came. Throws
  // PortError when the connection is gone.
  virtual receiver::Bytes read(int timeout_ms) = 0;
  virtual std::string describe() const = 0;
};

// gpsd at host:port; `device` selects gpsd's device ("" = the one gpsd reports first).
std::unique_ptr<Port> open_gpsd(const std::string& host_port, const std::string& device,
                                int timeout_ms);
std::unique_ptr<Port> open_serial(const std::string& path, int baud);

}  // namespace nanotime::rcv
