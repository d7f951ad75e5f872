#include "gpsd/translator.hpp"

#include <gps.h>

#include <cstring>
#include <optional>

#include "log/log.hpp"
#include "util/units.hpp"

namespace nanotime::gpsd {
namespace {

using util::kNsPerS;

bool is_zero(const timespec_t& t) { return t.tv_sec == 0 && t.tv_nsec == 0; }

// A timespec → ns, or nothing when it is not a normalised time within [min_s, kMaxPlausibleS).
std::optional<std::int64_t> to_ns(const timespec_t& t, std::int64_t min_s) {
  const auto sec = static_cast<std::int64_t>(t.tv_sec);
  const auto nsec = static_cast<std::int64_t>(t.tv_nsec);
  if (nsec < 0 || nsec >= kNsPerS) return std::nullopt;
  if (sec < min_s || sec >= kMaxPlausibleS) return std::nullopt;
  return sec * kNsPerS + nsec;
}

// real = GNSS time (must be recent), clock = system time (any non-zero time: a Pi without RTC
// boots in 1970, and that is exactly when chronyd needs us).
std::optional<std::pair<std::int64_t, std::int64_t>> delta_ns(const timedelta_t& d) {
  const auto real = to_ns(d.real, kMinPlausibleGnssS);
  const auto clock = to_ns(d.clock, 0);
  if (!real || !clock || *clock == 0) return std::nullopt;
  return std::make_pair(*real, *clock);
}

}  // namespace

void Translator::reject(const char* what) {
  ++counters_.rejected;
  log::warning("gpsd: ignored {}", what);
}

void Translator::translate(const gps_data_t& data, std::vector<Event>& out) {
  const gps_mask_t set = data.set;

  if ((set & TOFF_SET) != 0) {
    // libgps 3.22 (gpsd API 11) parses a TOFF object into gpsdata->pps, not ->toff, while
    // setting TOFF_SET (fixed in gpsd 3.25, docs/hardware-notes.md#gpsd). ->toff is then never
    // written and stays all zero (gps_open clears the struct), so: ->toff when it holds a time,
    // else ->pps. This is right for both layouts without depending on which libgps we were
    // built against.
    const timedelta_t& src = is_zero(data.toff.real) && is_zero(data.toff.clock) ? data.pps
                                                                                  : data.toff;
    if (const auto d = delta_ns(src)) {
      ++counters_.time_reports;
      out.emplace_back(TimeReport{d->first, d->second});
    } else {
      reject("a TOFF report with an implausible time");
    }
  }

  if ((set & PPS_SET) != 0) {
    if (const auto d = delta_ns(data.pps)) {
      PulseReport p{d->first, d->second, std::nullopt};
      // libgps 3.22 sets qErr to 0 when the PPS object has none: 0 means "not reported".
      if (data.qErr != 0) {
        if (data.qErr >= -kMaxQerrPs && data.qErr <= kMaxQerrPs) {
          p.qerr_ns = static_cast<double>(data.qErr) / static_cast<double>(util::kPsPerNs);
        } else {
          // The edge itself is still good (the kernel timestamped it); only the correction is
          // unbelievable, so the pulse goes on uncorrected.
          reject("an implausible PPS qErr (more than 1 us); pulse used without it");
        }
      }
      ++counters_.pulse_reports;
      out.emplace_back(p);
    } else {
      reject("a PPS report with an implausible time");
    }
  }

  if ((set & MODE_SET) != 0) {
    if (data.fix.mode >= MODE_NOT_SEEN && data.fix.mode <= MODE_3D) {
      out.emplace_back(FixState{data.fix.mode});
    } else {
      reject("a TPV report with a mode outside 0..3");
    }
    // `leapseconds` comes with TPV; libgps has no flag of its own for it, and 0 means unknown.
    if (data.leap_seconds > 0 && data.leap_seconds < 64) {
      out.emplace_back(LeapInfo{data.leap_seconds});
    }
  }

  if ((set & SATELLITE_SET) != 0) {
    const int used = data.satellites_used;
    const int visible = data.satellites_visible;
    if (used >= 0 && visible >= 0 && used <= MAXCHANNELS && visible <= MAXCHANNELS) {
      out.emplace_back(SkyReport{used, visible});
    } else {
      reject("a SKY report with impossible satellite counts");
    }
  }

  if ((set & ERROR_SET) != 0) {
    out.emplace_back(GpsdError{std::string(data.error, strnlen(data.error, sizeof data.error))});
  }
}

}  // namespace nanotime::gpsd
