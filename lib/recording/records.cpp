#include "recording/records.hpp"

#include <array>
#include <type_traits>

#include <fmt/format.h>

#include "recording/codec.hpp"

namespace nanotime::recording {
namespace {

constexpr std::array<std::string_view, std::variant_size_v<Body>> kNames = {
    "mono",        "realtime", "extts",    "phc_read",  "phc_failure", "gpio",
    "gpio_failure", "tod",     "tick",     "carrier",   "caps",        "pin_function",
    "extts_enable", "frequency", "step",   "chrony",    "quality",     "receiver_mode"};

std::string describe_tod(const gpsd::Event& e) {
  return std::visit(
      [](const auto& ev) -> std::string {
        using T = std::decay_t<decltype(ev)>;
        if constexpr (std::is_same_v<T, gpsd::TimeReport>) {
          return fmt::format("TOFF {}/{}", ev.real_ns, ev.clock_ns);
        } else if constexpr (std::is_same_v<T, gpsd::PulseReport>) {
          return fmt::format("PPS {}/{} qErr {}", ev.real_ns, ev.clock_ns,
                             ev.qerr_ns ? fmt::format("{}", *ev.qerr_ns) : "-");
        } else if constexpr (std::is_same_v<T, gpsd::FixState>) {
          return fmt::format("mode {}", ev.mode);
        } else if constexpr (std::is_same_v<T, gpsd::SkyReport>) {
          return fmt::format("sats {}/{}", ev.satellites_used, ev.satellites_visible);
        } else if constexpr (std::is_same_v<T, gpsd::LeapInfo>) {
          return fmt::format("leap {} pending {}", ev.gps_minus_utc_s, ev.pending);
        } else if constexpr (std::is_same_v<T, gpsd::GpsdError>) {
          return "error " + ev.message;
        } else if constexpr (std::is_same_v<T, gpsd::Connected>) {
          return "connected";
        } else {
          return "disconnected " + ev.reason;
        }
      },
      e);
}

}  // namespace

std::string_view type_name(std::uint8_t code) {
  return code >= 1 && code <= kNames.size() ? kNames[code - 1] : "unknown";
}

std::string describe(const Body& body) {
  const std::string_view name = type_name(type_code(body));
  return std::visit(
      [name](const auto& b) -> std::string {
        using T = std::decay_t<decltype(b)>;
        if constexpr (std::is_same_v<T, MonoRead> || std::is_same_v<T, RealRead>) {
          return fmt::format("{} {} ns", name, b.ns);
        } else if constexpr (std::is_same_v<T, ExttsRead>) {
          std::string s = fmt::format("{} [", name);
          for (const auto& r : b.records) s += fmt::format(" ch{}:{}", r.channel, r.phc_ns);
          return s + " ]";
        } else if constexpr (std::is_same_v<T, PhcReadings>) {
          return fmt::format("{} {} samples", name, b.readings.reads.size());
        } else if constexpr (std::is_same_v<T, PhcFailure>) {
          return fmt::format("{} errno {}: {}", name, b.error_number, b.message);
        } else if constexpr (std::is_same_v<T, GpioFetch>) {
          return b.edge ? fmt::format("{} #{} at {}", name, b.edge->sequence, b.edge->system_ns)
                        : fmt::format("{} none", name);
        } else if constexpr (std::is_same_v<T, GpioFailure>) {
          return fmt::format("{}: {}", name, b.message);
        } else if constexpr (std::is_same_v<T, TodEvents>) {
          std::string s = fmt::format("{} [", name);
          for (const auto& e : b.events) s += " " + describe_tod(e) + ";";
          return s + " ]";
        } else if constexpr (std::is_same_v<T, Tick>) {
          return b.temperature_c ? fmt::format("{} {} °C", name, *b.temperature_c)
                                 : fmt::format("{}", name);
        } else if constexpr (std::is_same_v<T, Carrier>) {
          return fmt::format("{} {}", name, b.up ? "up" : "down");
        } else if constexpr (std::is_same_v<T, Caps>) {
          return fmt::format("{} max_adj {} ppb, {} EXTTS", name, b.caps.max_adj_ppb,
                             b.caps.n_ext_ts);
        } else if constexpr (std::is_same_v<T, PinFunction>) {
          return fmt::format("{} pin {} function {} channel {}", name, b.pin, b.function,
                             b.channel);
        } else if constexpr (std::is_same_v<T, ExttsEnable>) {
          return fmt::format("{} channel {} {}", name, b.channel, b.enable ? "on" : "off");
        } else if constexpr (std::is_same_v<T, Frequency>) {
          return fmt::format("{} {:.17g} ppb (applied {:.17g})", name, b.requested_ppb,
                             b.applied_ppb);
        } else if constexpr (std::is_same_v<T, Step>) {
          return fmt::format("{} {:+} ns", name, b.delta_ns);
        } else if constexpr (std::is_same_v<T, ChronySent>) {
          return fmt::format("{} system {} offset {:.17g} ns leap {}{}", name, b.system_ns,
                             b.offset_ns, b.leap, b.delivered ? "" : " (not delivered)");
        } else if constexpr (std::is_same_v<T, ReceiverMode>) {
          static constexpr const char* kModes[] = {"unknown", "fixed", "survey_in", "navigation"};
          return fmt::format("{} {}", name, b.mode < 4 ? kModes[b.mode] : "?");
        } else {
          const discipline::ClockQuality& q = b.quality;
          return fmt::format("{} state {} class {} accuracy {:#x} variance {:#x} bound {:.17g} ns "
                             "TAI-UTC {} flags {}{}{}{}{}",
                             name, static_cast<int>(q.state), q.clock_class, q.clock_accuracy,
                             q.offset_scaled_log_variance, q.error_bound_ns, q.tai_utc_s,
                             q.utc_offset_valid ? "U" : "-", q.leap61 ? "+" : "-",
                             q.leap59 ? "-" : ".", q.time_traceable ? "T" : "-",
                             q.frequency_traceable ? "F" : "-");
        }
      },
      body);
}

bool operator==(const Record& a, const Record& b) {
  // The encoding is exact (doubles by their bits): equal bytes, equal records.
  std::string ea, eb;
  encode_record(a, ea);
  encode_record(b, eb);
  return ea == eb;
}

}  // namespace nanotime::recording
