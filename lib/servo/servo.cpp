#include "servo/servo.hpp"

#include <stdexcept>

#include "servo/kalman.hpp"
#include "servo/pi.hpp"

namespace nanotime::servo {

std::unique_ptr<Servo> make_servo(const std::string& name, const ServoConfig& config) {
  if (name == "pi") return std::make_unique<PiServo>(config);
  if (name == "kalman") return std::make_unique<KalmanServo>(config);
  throw std::invalid_argument("unknown servo '" + name + "' (expected pi or kalman)");
}

}  // namespace nanotime::servo
