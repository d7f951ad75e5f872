#pragma once
// The desired state of a u-blox timing receiver, as the [receiver] table describes it, and the
// per-generation list of Settings it becomes (plan.cpp). A Setting says what value one field
// (gen 8: a CFG message's field; gen 9: a configuration key) must have and where it lives.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "receiver/frame.hpp"

namespace nanotime::receiver {

// Generation 8 (LEA/NEO-M8T: CFG-TMODE2, CFG-TP5, CFG-MSG, ...), 9 (ZED-F9T: CFG-VALSET keys).
enum class Generation { m8, f9 };
std::string to_string(Generation g);

struct Llh {
  double lat_deg = 0;
  double lon_deg = 0;
  double height_m = 0;
};
struct Ecef {
  double x_m = 0;
  double y_m = 0;
  double z_m = 0;
};

enum class TimeMode { survey_in, fixed, disabled };

struct ReceiverSettings {
  TimeMode mode = TimeMode::survey_in;
  double survey_min_duration_s = 2000;
  double survey_accuracy_m = 20;
  // mode == fixed: exactly one of these.
  std::optional<Llh> fixed_llh;
  std::optional<Ecef> fixed_ecef;
  double fixed_accuracy_m = 1;  // how well the fixed position is known
  double cable_delay_ns = 0;
  int min_elevation_deg = 10;
  std::string time_system = "gps";  // "gps" | "utc": the grid the pulse is aligned to
  // Empty: leave the receiver's choice alone (an M8 tracks at most three major systems at once,
  // so no list suits both generations).
  std::vector<std::string> constellations;
};

// The constellation names the table accepts.
const std::vector<std::string>& known_constellations();

// Gen 8: one field of a CFG message that is polled with `poll` and answered with the same
// class/id; `mask` != 0 makes it a bit field inside the (size-byte) word.
struct M8Field {
  std::uint8_t id = 0;  // class CFG
  Bytes poll;           // the poll payload (CFG-MSG: class, id; CFG-TP5: tpIdx)
  std::string message;  // "CFG-TP5", "CFG-MSG TIM-TP"
  std::size_t offset = 0;
  std::size_t size = 0;
  bool is_signed = false;
  std::uint32_t mask = 0;
  // CFG-GNSS: the enable bit of the block for this gnssId (offset found in the reply), else -1.
  int gnss_id = -1;
};

// Gen 9: one configuration key; the value's size follows from the key id (bits 28..30).
struct F9Key {
  std::uint32_t id = 0;
};
std::size_t value_size(F9Key k);
bool value_signed(F9Key k);

struct Setting {
  std::string name;  // "CFG-TP5 antCableDelay" or "CFG-TP-ANT_CABLEDELAY"
  std::int64_t desired = 0;
  std::string unit;  // "ns", "s", "mm", "" ...
  M8Field m8;        // gen 8
  F9Key f9;          // gen 9
};

std::vector<Setting> plan(const ReceiverSettings& s, Generation g);

}  // namespace nanotime::receiver
