// Format version 2's records (docs/recording.md#records-v2): varints, and the clock-like fields
// predicted from the same field of the previous record of their kind in the file, so that a
// pulse a second after the last one costs a byte or two instead of eight. Measured on the
// demo's realtime run, version 1 spent a fifth of its compressed bytes on the per-record
// CRC-32 (random, so deflate cannot shrink it) and most of the rest on fixed-width fields.
#include <bit>
#include <cmath>
#include <utility>
#include <type_traits>

#include <fmt/format.h>

#include "recording/bytes.hpp"
#include "recording/codec.hpp"

namespace nanotime::recording {
namespace {

std::int64_t minus(std::int64_t a, std::int64_t b) {
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(a) - static_cast<std::uint64_t>(b));
}
std::int64_t plus(std::int64_t a, std::int64_t b) {
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(a) + static_cast<std::uint64_t>(b));
}

// A value with a thousandth resolution (qErr in ps, a temperature in m°C, both converted by
// an integer / 1000.0) is written as that integer when it reads back bit for bit; any other
// double as its 8 bytes.
constexpr double kMilliLimit = 1e15;  // far inside a double's integers
std::optional<std::int64_t> as_milli(double v) {
  if (!(std::fabs(v) < kMilliLimit)) return std::nullopt;
  const std::int64_t k = std::llround(v * 1000.0);
  if (std::bit_cast<std::uint64_t>(static_cast<double>(k) / 1000.0) != std::bit_cast<std::uint64_t>(v)) {
    return std::nullopt;
  }
  return k;
}

}  // namespace

// The predicted fields (docs/recording.md#records-v2, "slot").
enum CodecV2::Slot : std::size_t {
  kRealOffset,     // CLOCK_REALTIME − the stamp: realtime reads, PHC brackets, chronyd samples
  kExttsPhc,       // an EXTTS event's PHC time
  kPhcOffset,      // PHC − before of a PHC sample
  kGpioSequence,
  kGpioSystem,
  kToffReal,
  kToffOffset,     // clock − real of a TOFF report
  kPpsReal,
  kPpsOffset,
  kQerr,
  kTemperature,
  kFrequency,
  kChronyOffset,
  kSlots
};

struct CodecV2::State {
  std::int64_t mono = 0;
  std::int64_t last[kSlots]{};
  std::int64_t last_delta[kSlots]{};
};

CodecV2::CodecV2() : s_(std::make_unique<State>()) {}
CodecV2::~CodecV2() = default;

// ---- the field codings: each put has its get, updating the same state ----
void CodecV2::put_delta(ByteWriter& w, Slot k, std::int64_t v) {
  w.sv(minus(v, s_->last[k]));
  s_->last[k] = v;
}
std::int64_t CodecV2::get_delta(ByteReader& r, Slot k) {
  s_->last[k] = plus(r.sv(), s_->last[k]);
  return s_->last[k];
}
// Against last + (last − the one before): a periodic value (a pulse a second) is near zero.
void CodecV2::put_delta2(ByteWriter& w, Slot k, std::int64_t v) {
  w.sv(minus(v, plus(s_->last[k], s_->last_delta[k])));
  s_->last_delta[k] = minus(v, s_->last[k]);
  s_->last[k] = v;
}
std::int64_t CodecV2::get_delta2(ByteReader& r, Slot k) {
  const std::int64_t v = plus(r.sv(), plus(s_->last[k], s_->last_delta[k]));
  s_->last_delta[k] = minus(v, s_->last[k]);
  s_->last[k] = v;
  return v;
}
// XOR with the last: a slowly changing double shares its sign, exponent and high mantissa,
// which become zero bytes.
void CodecV2::put_xor(ByteWriter& w, Slot k, double v) {
  const auto bits = std::bit_cast<std::int64_t>(v);
  w.i64(bits ^ s_->last[k]);
  s_->last[k] = bits;
}
double CodecV2::get_xor(ByteReader& r, Slot k) {
  s_->last[k] ^= r.i64();
  return std::bit_cast<double>(s_->last[k]);
}
void CodecV2::put_milli(ByteWriter& w, Slot k, double v) {
  if (const auto m = as_milli(v)) {
    w.u8(1);
    put_delta(w, k, *m);
  } else {
    w.u8(0);
    w.f64(v);
  }
}
double CodecV2::get_milli(ByteReader& r, Slot k) {
  const bool milli = r.boolean();
  if (milli) {
    const std::int64_t m = get_delta(r, k);
    const double v = static_cast<double>(m) / 1000.0;
    if (as_milli(v) != m) throw ShortInput(fmt::format("thousandths {} not in their one form", m));
    return v;
  }
  const double v = r.f64();
  if (as_milli(v)) throw ShortInput("a double written whole that thousandths hold");
  return v;
}

void CodecV2::put_event(ByteWriter& w, const gpsd::Event& e) {
  w.u8(static_cast<std::uint8_t>(e.index()));
  std::visit(
      [&](const auto& ev) {
        using T = std::decay_t<decltype(ev)>;
        if constexpr (std::is_same_v<T, gpsd::TimeReport>) {
          put_delta2(w, kToffReal, ev.real_ns);
          put_delta(w, kToffOffset, minus(ev.clock_ns, ev.real_ns));
        } else if constexpr (std::is_same_v<T, gpsd::PulseReport>) {
          put_delta2(w, kPpsReal, ev.real_ns);
          put_delta(w, kPpsOffset, minus(ev.clock_ns, ev.real_ns));
          w.boolean(ev.qerr_ns.has_value());
          if (ev.qerr_ns) put_milli(w, kQerr, *ev.qerr_ns);
        } else if constexpr (std::is_same_v<T, gpsd::FixState>) {
          w.sv(ev.mode);
        } else if constexpr (std::is_same_v<T, gpsd::SkyReport>) {
          w.sv(ev.satellites_used);
          w.sv(ev.satellites_visible);
        } else if constexpr (std::is_same_v<T, gpsd::LeapInfo>) {
          w.sv(ev.gps_minus_utc_s);
          w.sv(ev.pending);
        } else if constexpr (std::is_same_v<T, gpsd::GpsdError>) {
          w.vstr(ev.message);
        } else if constexpr (std::is_same_v<T, gpsd::Disconnected>) {
          w.vstr(ev.reason);
        }
      },
      e);
}

gpsd::Event CodecV2::get_event(ByteReader& r) {
  const std::uint8_t kind = r.u8();
  switch (kind) {
    case 0: {
      gpsd::TimeReport t;
      t.real_ns = get_delta2(r, kToffReal);
      t.clock_ns = plus(t.real_ns, get_delta(r, kToffOffset));
      return t;
    }
    case 1: {
      gpsd::PulseReport p;
      p.real_ns = get_delta2(r, kPpsReal);
      p.clock_ns = plus(p.real_ns, get_delta(r, kPpsOffset));
      if (r.boolean()) p.qerr_ns = get_milli(r, kQerr);
      return p;
    }
    case 2: return gpsd::FixState{r.sv32()};
    case 3: {
      gpsd::SkyReport s;
      s.satellites_used = r.sv32();
      s.satellites_visible = r.sv32();
      return s;
    }
    case 4: {
      gpsd::LeapInfo l;
      l.gps_minus_utc_s = r.sv32();
      l.pending = r.sv32();
      return l;
    }
    case 5: return gpsd::GpsdError{r.vstr()};
    case 6: return gpsd::Connected{};
    case 7: return gpsd::Disconnected{r.vstr()};
    default: throw ShortInput(fmt::format("unknown gpsd event kind {}", kind));
  }
}

void CodecV2::put_body(ByteWriter& w, const Body& body, std::int64_t stamp) {
  std::visit(
      [&](const auto& b) {
        using T = std::decay_t<decltype(b)>;
        if constexpr (std::is_same_v<T, MonoRead>) {
          w.sv(minus(b.ns, stamp));
        } else if constexpr (std::is_same_v<T, RealRead>) {
          put_delta(w, kRealOffset, minus(b.ns, stamp));
        } else if constexpr (std::is_same_v<T, ExttsRead>) {
          w.uv(b.records.size());
          for (const auto& e : b.records) {
            w.uv(e.channel);
            put_delta2(w, kExttsPhc, e.phc_ns);
          }
        } else if constexpr (std::is_same_v<T, PhcReadings>) {
          w.u8(static_cast<std::uint8_t>(b.readings.method));
          w.uv(b.readings.reads.size());
          std::int64_t base = 0;
          bool first = true;
          for (const auto& p : b.readings.reads) {
            // The first bracket against the stamp and the last real−mono offset; the others
            // against the sample before.
            if (std::exchange(first, false)) {
              put_delta(w, kRealOffset, minus(p.before_ns, stamp));
            } else {
              w.sv(minus(p.before_ns, base));
            }
            put_delta(w, kPhcOffset, minus(p.phc_ns, p.before_ns));
            w.sv(minus(p.after_ns, p.before_ns));
            base = p.before_ns;
          }
        } else if constexpr (std::is_same_v<T, PhcFailure>) {
          w.sv(b.error_number);
          w.boolean(b.read_error);
          w.vstr(b.message);
        } else if constexpr (std::is_same_v<T, GpioFetch>) {
          w.boolean(b.edge.has_value());
          if (b.edge) {
            put_delta2(w, kGpioSequence, b.edge->sequence);
            put_delta2(w, kGpioSystem, b.edge->system_ns);
          }
        } else if constexpr (std::is_same_v<T, GpioFailure>) {
          w.vstr(b.message);
        } else if constexpr (std::is_same_v<T, TodEvents>) {
          w.uv(b.events.size());
          for (const auto& e : b.events) put_event(w, e);
        } else if constexpr (std::is_same_v<T, Tick>) {
          w.boolean(b.temperature_c.has_value());
          if (b.temperature_c) put_milli(w, kTemperature, *b.temperature_c);
        } else if constexpr (std::is_same_v<T, Carrier>) {
          w.boolean(b.up);
        } else if constexpr (std::is_same_v<T, Caps>) {
          const phc::PhcCaps& c = b.caps;
          for (const int v : {c.max_adj_ppb, c.n_alarm, c.n_ext_ts, c.n_per_out, c.n_pins}) w.sv(v);
          w.u8(static_cast<std::uint8_t>(c.pps | c.cross_timestamping << 1 | c.adjust_phase << 2));
        } else if constexpr (std::is_same_v<T, PinFunction>) {
          w.uv(b.pin);
          w.uv(b.function);
          w.uv(b.channel);
        } else if constexpr (std::is_same_v<T, ExttsEnable>) {
          w.uv(b.channel);
          w.boolean(b.enable);
        } else if constexpr (std::is_same_v<T, Frequency>) {
          put_xor(w, kFrequency, b.requested_ppb);
          // Applied is the requested one unless clamped: one byte says which.
          const bool same = std::bit_cast<std::uint64_t>(b.applied_ppb) ==
                            std::bit_cast<std::uint64_t>(b.requested_ppb);
          w.boolean(same);
          if (!same) w.f64(b.applied_ppb);
        } else if constexpr (std::is_same_v<T, Step>) {
          w.sv(b.delta_ns);
        } else if constexpr (std::is_same_v<T, ChronySent>) {
          put_delta(w, kRealOffset, minus(b.system_ns, stamp));
          put_xor(w, kChronyOffset, b.offset_ns);
          w.sv(b.leap);
          w.boolean(b.delivered);
        } else if constexpr (std::is_same_v<T, ReceiverMode>) {
          w.u8(b.mode);
        } else {
          static_assert(std::is_same_v<T, Quality>);
          const discipline::ClockQuality& q = b.quality;
          w.u8(static_cast<std::uint8_t>(q.state));
          w.u8(q.clock_class);
          w.u8(q.clock_accuracy);
          w.uv(q.offset_scaled_log_variance);
          w.f64(q.error_bound_ns);
          w.sv(q.tai_utc_s);
          w.u8(static_cast<std::uint8_t>(q.utc_offset_valid | q.leap61 << 1 | q.leap59 << 2 |
                                         q.time_traceable << 3 | q.frequency_traceable << 4));
        }
      },
      body);
}

Body CodecV2::get_body(std::uint8_t code, ByteReader& r, std::int64_t stamp) {
  switch (code) {
    case 1: return MonoRead{plus(r.sv(), stamp)};
    case 2: return RealRead{plus(get_delta(r, kRealOffset), stamp)};
    case 3: {
      ExttsRead b;
      const std::uint32_t n = r.vcount(2);
      for (std::uint32_t i = 0; i < n; ++i) {
        phc::ExttsRecord e;
        e.channel = r.uv32();
        e.phc_ns = get_delta2(r, kExttsPhc);
        b.records.push_back(e);
      }
      return b;
    }
    case 4: {
      PhcReadings b;
      const std::uint8_t method = r.u8();
      if (method > static_cast<std::uint8_t>(phc::OffsetMethod::basic)) {
        throw ShortInput(fmt::format("unknown PHC read method {}", method));
      }
      b.readings.method = static_cast<phc::OffsetMethod>(method);
      const std::uint32_t n = r.vcount(3);
      for (std::uint32_t i = 0; i < n; ++i) {
        phc::PhcRead p;
        p.before_ns = i == 0 ? plus(get_delta(r, kRealOffset), stamp)
                             : plus(r.sv(), b.readings.reads.back().before_ns);
        p.phc_ns = plus(get_delta(r, kPhcOffset), p.before_ns);
        p.after_ns = plus(r.sv(), p.before_ns);
        b.readings.reads.push_back(p);
      }
      return b;
    }
    case 5: {
      PhcFailure b;
      b.error_number = r.sv32();
      b.read_error = r.boolean();
      b.message = r.vstr();
      return b;
    }
    case 6: {
      GpioFetch b;
      if (r.boolean()) {
        pps::PpsTimestamp t;
        const std::int64_t seq = get_delta2(r, kGpioSequence);
        if (seq < 0 || seq > 0xffffffff) throw ShortInput(fmt::format("a GPIO sequence of {}", seq));
        t.sequence = static_cast<std::uint32_t>(seq);
        t.system_ns = get_delta2(r, kGpioSystem);
        b.edge = t;
      }
      return b;
    }
    case 7: return GpioFailure{r.vstr()};
    case 8: {
      TodEvents b;
      const std::uint32_t n = r.vcount(1);
      for (std::uint32_t i = 0; i < n; ++i) b.events.push_back(get_event(r));
      return b;
    }
    case 9: {
      Tick b;
      if (r.boolean()) b.temperature_c = get_milli(r, kTemperature);
      return b;
    }
    case 10: return Carrier{r.boolean()};
    case 11: {
      Caps b;
      phc::PhcCaps& c = b.caps;
      c.max_adj_ppb = r.sv32();
      c.n_alarm = r.sv32();
      c.n_ext_ts = r.sv32();
      c.n_per_out = r.sv32();
      c.n_pins = r.sv32();
      const std::uint8_t flags = r.u8();
      if (flags > 7) throw ShortInput(fmt::format("unknown caps flags {:#x}", flags));
      c.pps = (flags & 1) != 0;
      c.cross_timestamping = (flags & 2) != 0;
      c.adjust_phase = (flags & 4) != 0;
      return b;
    }
    case 12: {
      PinFunction b;
      b.pin = r.uv32();
      b.function = r.uv32();
      b.channel = r.uv32();
      return b;
    }
    case 13: {
      ExttsEnable b;
      b.channel = r.uv32();
      b.enable = r.boolean();
      return b;
    }
    case 14: {
      Frequency b;
      b.requested_ppb = get_xor(r, kFrequency);
      const bool same = r.boolean();
      b.applied_ppb = same ? b.requested_ppb : r.f64();
      if (!same && std::bit_cast<std::uint64_t>(b.applied_ppb) ==
                       std::bit_cast<std::uint64_t>(b.requested_ppb)) {
        throw ShortInput("an applied frequency written whole that equals the requested one");
      }
      return b;
    }
    case 15: return Step{r.sv()};
    case 16: {
      ChronySent b;
      b.system_ns = plus(get_delta(r, kRealOffset), stamp);
      b.offset_ns = get_xor(r, kChronyOffset);
      b.leap = r.sv32();
      b.delivered = r.boolean();
      return b;
    }
    case 17: return Quality{get_quality(r)};
    case 18: {
      const std::uint8_t mode = r.u8();
      if (mode > static_cast<std::uint8_t>(discipline::ReceiverTimeMode::navigation)) {
        throw ShortInput(fmt::format("unknown receiver time mode {}", mode));
      }
      return ReceiverMode{mode};
    }
    default: throw ShortInput(fmt::format("unknown record type {}", code));
  }
}

discipline::ClockQuality CodecV2::get_quality(ByteReader& r) {
  discipline::ClockQuality q;
  const std::uint8_t state = r.u8();
  if (state > static_cast<std::uint8_t>(discipline::LockState::freerun)) {
    throw ShortInput(fmt::format("unknown lock state {}", state));
  }
  q.state = static_cast<discipline::LockState>(state);
  q.clock_class = r.u8();
  q.clock_accuracy = r.u8();
  const std::uint64_t var = r.uv();
  if (var > 0xffff) throw ShortInput(fmt::format("offsetScaledLogVariance {} > 0xffff", var));
  q.offset_scaled_log_variance = static_cast<std::uint16_t>(var);
  q.error_bound_ns = r.f64();
  q.tai_utc_s = r.sv32();
  const std::uint8_t flags = r.u8();
  if (flags > 0x1f) throw ShortInput(fmt::format("unknown quality flags {:#x}", flags));
  q.utc_offset_valid = (flags & 1) != 0;
  q.leap61 = (flags & 2) != 0;
  q.leap59 = (flags & 4) != 0;
  q.time_traceable = (flags & 8) != 0;
  q.frequency_traceable = (flags & 16) != 0;
  return q;
}

// ---- the frame: u8 type | varint payload length | zigzag mono − previous | payload ----
void CodecV2::encode(const Record& rec, std::string& out) {
  std::string payload;
  ByteWriter pw(payload);
  put_body(pw, rec.body, rec.mono_ns);
  ByteWriter w(out);
  w.u8(type_code(rec.body));
  w.uv(payload.size());
  w.sv(minus(rec.mono_ns, s_->mono));
  s_->mono = rec.mono_ns;
  out += payload;
}

Decoded CodecV2::decode(std::string_view in) {
  Decoded d;
  ByteReader head(in);
  std::uint8_t code = 0;
  try {
    code = head.u8();
    const std::uint64_t len = head.uv();
    Record r;
    r.mono_ns = plus(head.sv(), s_->mono);
    if (len > kMaxPayload || len > head.left()) {
      d.error = fmt::format("a record of {} payload bytes, {} bytes left", len, head.left());
      return d;
    }
    ByteReader payload(in.substr(head.pos(), static_cast<std::size_t>(len)));
    r.body = get_body(code, payload, r.mono_ns);
    if (payload.left() != 0) {
      d.error = fmt::format("a {} record of {} bytes, {} extra", type_name(code), payload.pos(),
                            payload.left());
      return d;
    }
    s_->mono = r.mono_ns;
    d.size = head.pos() + static_cast<std::size_t>(len);
    d.record = std::move(r);
  } catch (const ShortInput& e) {
    d.error = fmt::format("a valid {} record (type {}): {}", type_name(code), code, e.what());
  }
  return d;
}

}  // namespace nanotime::recording
