#include "transfer/latch_model.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>

namespace nanotime::transfer {
namespace {

// bcm-phy-ptp: the bracket holds two MDIO frames (~25 µs each on the CM4's GENET bus); the latch
// fires at the end of the second, and only the wake-up from the MDIO-done interrupt and the
// post-timestamp follow it (~0.75 µs of a ~50.5 µs bracket). No datasheet pins this down; the
// GPIO PPS cross-check (gpio_cross_check.hpp) measures it on a real box.
constexpr std::array kModels = {
    LatchModel{"bcm-phy-ptp", 0.985, 1000,
               "Broadcom PHY (CM4/CM5): latched at the end of the second MDIO write"},
    LatchModel{"midpoint", 0.5, 1000, "the middle of the bracket (uncharacterised drivers)"},
    LatchModel{"precise", 0.5, 0, "hardware cross-timestamps (PTP_SYS_OFFSET_PRECISE)"},
};

bool contains_ci(std::string_view text, std::string_view word) {
  const auto it = std::search(text.begin(), text.end(), word.begin(), word.end(),
                              [](char a, char b) {
                                return std::tolower(static_cast<unsigned char>(a)) ==
                                       std::tolower(static_cast<unsigned char>(b));
                              });
  return it != text.end();
}

}  // namespace

std::span<const LatchModel> latch_models() { return kModels; }

const LatchModel* find_latch_model(std::string_view name) {
  for (const LatchModel& m : kModels) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

const LatchModel& model_for_driver(std::string_view clock_name, bool cross_timestamping) {
  if (cross_timestamping) return *find_latch_model("precise");
  // bcm-phy-ptp registers its clock as "BCM54210PE PHC" (the CM4's PHY; the CM5's is the same).
  if (contains_ci(clock_name, "bcm") || contains_ci(clock_name, "broadcom")) {
    return *find_latch_model("bcm-phy-ptp");
  }
  return *find_latch_model("midpoint");
}

std::string latch_model_choices() {
  std::string s = "auto";
  for (const LatchModel& m : kModels) s += ", " + std::string(m.name);
  return s;
}

double Transfer::bound_ns() const { return std::max(-error_min_ns, error_max_ns); }

Transfer transfer_of(const Bracket& read, const LatchModel& model) {
  Transfer t;
  t.phc_ns = read.phc_ns;
  t.bracket_ns = std::max<std::int64_t>(read.width_ns(), 0);
  const auto into = static_cast<std::int64_t>(std::llround(model.fraction * static_cast<double>(t.bracket_ns)));
  t.system_ns = read.before_ns + into;
  t.error_min_ns = static_cast<double>(read.before_ns - t.system_ns);
  t.error_max_ns = static_cast<double>(read.before_ns + t.bracket_ns - t.system_ns);
  return t;
}

}  // namespace nanotime::transfer
