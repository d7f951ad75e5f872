#include "recording/codec.hpp"

#include <type_traits>

#include <fmt/format.h>
#include <zlib.h>

#include "recording/bytes.hpp"

namespace nanotime::recording {
namespace {

// ---- gpsd events: u8 kind (the variant's index) + fields ----
void put_event(ByteWriter& w, const gpsd::Event& e) {
  w.u8(static_cast<std::uint8_t>(e.index()));
  std::visit(
      [&w](const auto& ev) {
        using T = std::decay_t<decltype(ev)>;
        if constexpr (std::is_same_v<T, gpsd::TimeReport>) {
          w.i64(ev.real_ns);
          w.i64(ev.clock_ns);
        } else if constexpr (std::is_same_v<T, gpsd::PulseReport>) {
          w.i64(ev.real_ns);
          w.i64(ev.clock_ns);
          w.boolean(ev.qerr_ns.has_value());
          w.f64(ev.qerr_ns.value_or(0));
        } else if constexpr (std::is_same_v<T, gpsd::FixState>) {
          w.i32(ev.mode);
        } else if constexpr (std::is_same_v<T, gpsd::SkyReport>) {
          w.i32(ev.satellites_used);
          w.i32(ev.satellites_visible);
        } else if constexpr (std::is_same_v<T, gpsd::LeapInfo>) {
          w.i32(ev.gps_minus_utc_s);
          w.i32(ev.pending);
        } else if constexpr (std::is_same_v<T, gpsd::GpsdError>) {
          w.str(ev.message);
        } else if constexpr (std::is_same_v<T, gpsd::Disconnected>) {
          w.str(ev.reason);
        }
      },
      e);
}

gpsd::Event get_event(ByteReader& r) {
  const std::uint8_t kind = r.u8();
  switch (kind) {
    case 0: {
      gpsd::TimeReport t;
      t.real_ns = r.i64();
      t.clock_ns = r.i64();
      return t;
    }
    case 1: {
      gpsd::PulseReport p;
      p.real_ns = r.i64();
      p.clock_ns = r.i64();
      const bool has = r.boolean();
      const double q = r.f64();
      if (has) p.qerr_ns = q;
      return p;
    }
    case 2: return gpsd::FixState{r.i32()};
    case 3: {
      gpsd::SkyReport s;
      s.satellites_used = r.i32();
      s.satellites_visible = r.i32();
      return s;
    }
    case 4: {
      gpsd::LeapInfo l;
      l.gps_minus_utc_s = r.i32();
      l.pending = r.i32();
      return l;
    }
    case 5: return gpsd::GpsdError{r.str()};
    case 6: return gpsd::Connected{};
    case 7: return gpsd::Disconnected{r.str()};
    default: throw ShortInput(fmt::format("unknown gpsd event kind {}", kind));
  }
}

void put_quality(ByteWriter& w, const discipline::ClockQuality& q) {
  w.u8(static_cast<std::uint8_t>(q.state));
  w.u8(q.clock_class);
  w.u8(q.clock_accuracy);
  w.u32(q.offset_scaled_log_variance);
  w.f64(q.error_bound_ns);
  w.i32(q.tai_utc_s);
  w.u8(static_cast<std::uint8_t>(q.utc_offset_valid | q.leap61 << 1 | q.leap59 << 2 |
                                 q.time_traceable << 3 | q.frequency_traceable << 4));
}

discipline::ClockQuality get_quality(ByteReader& r) {
  discipline::ClockQuality q;
  const std::uint8_t state = r.u8();
  if (state > static_cast<std::uint8_t>(discipline::LockState::freerun)) {
    throw ShortInput(fmt::format("unknown lock state {}", state));
  }
  q.state = static_cast<discipline::LockState>(state);
  q.clock_class = r.u8();
  q.clock_accuracy = r.u8();
  const std::uint32_t var = r.u32();
  if (var > 0xffff) throw ShortInput(fmt::format("offsetScaledLogVariance {} > 0xffff", var));
  q.offset_scaled_log_variance = static_cast<std::uint16_t>(var);
  q.error_bound_ns = r.f64();
  q.tai_utc_s = r.i32();
  const std::uint8_t flags = r.u8();
  if (flags > 0x1f) throw ShortInput(fmt::format("unknown quality flags {:#x}", flags));
  q.utc_offset_valid = (flags & 1) != 0;
  q.leap61 = (flags & 2) != 0;
  q.leap59 = (flags & 4) != 0;
  q.time_traceable = (flags & 8) != 0;
  q.frequency_traceable = (flags & 16) != 0;
  return q;
}

// Wrapping differences: a fuzzed file must not overflow a signed subtraction.
std::int64_t minus(std::int64_t a, std::int64_t b) {
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(a) - static_cast<std::uint64_t>(b));
}
std::int64_t plus(std::int64_t a, std::int64_t b) {
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(a) + static_cast<std::uint64_t>(b));
}

// Clock values are written relative to the record's stamp (a clock read) or to the sample's
// `before` (a PHC read): small, repetitive numbers that deflate well.
void put_body(ByteWriter& w, const Body& body, std::int64_t stamp) {
  std::visit(
      [&w, stamp](const auto& b) {
        using T = std::decay_t<decltype(b)>;
        if constexpr (std::is_same_v<T, MonoRead> || std::is_same_v<T, RealRead>) {
          w.i64(minus(b.ns, stamp));
        } else if constexpr (std::is_same_v<T, ExttsRead>) {
          w.u32(static_cast<std::uint32_t>(b.records.size()));
          for (const auto& e : b.records) {
            w.u32(e.channel);
            w.i64(e.phc_ns);
          }
        } else if constexpr (std::is_same_v<T, PhcReadings>) {
          w.u8(static_cast<std::uint8_t>(b.readings.method));
          w.u32(static_cast<std::uint32_t>(b.readings.reads.size()));
          std::int64_t base = 0;
          for (const auto& p : b.readings.reads) {
            w.i64(minus(p.before_ns, base));
            w.i64(minus(p.phc_ns, p.before_ns));
            w.i64(minus(p.after_ns, p.before_ns));
            base = p.before_ns;
          }
        } else if constexpr (std::is_same_v<T, PhcFailure>) {
          w.i32(b.error_number);
          w.boolean(b.read_error);
          w.str(b.message);
        } else if constexpr (std::is_same_v<T, GpioFetch>) {
          w.boolean(b.edge.has_value());
          w.u32(b.edge ? b.edge->sequence : 0);
          w.i64(b.edge ? b.edge->system_ns : 0);
        } else if constexpr (std::is_same_v<T, GpioFailure>) {
          w.str(b.message);
        } else if constexpr (std::is_same_v<T, TodEvents>) {
          w.u32(static_cast<std::uint32_t>(b.events.size()));
          for (const auto& e : b.events) put_event(w, e);
        } else if constexpr (std::is_same_v<T, Tick>) {
          w.boolean(b.temperature_c.has_value());
          w.f64(b.temperature_c.value_or(0));
        } else if constexpr (std::is_same_v<T, Carrier>) {
          w.boolean(b.up);
        } else if constexpr (std::is_same_v<T, Caps>) {
          const phc::PhcCaps& c = b.caps;
          for (const int v : {c.max_adj_ppb, c.n_alarm, c.n_ext_ts, c.n_per_out, c.n_pins}) w.i32(v);
          w.u8(static_cast<std::uint8_t>(c.pps | c.cross_timestamping << 1 | c.adjust_phase << 2));
        } else if constexpr (std::is_same_v<T, PinFunction>) {
          w.u32(b.pin);
          w.u32(b.function);
          w.u32(b.channel);
        } else if constexpr (std::is_same_v<T, ExttsEnable>) {
          w.u32(b.channel);
          w.boolean(b.enable);
        } else if constexpr (std::is_same_v<T, Frequency>) {
          w.f64(b.requested_ppb);
          w.f64(b.applied_ppb);
        } else if constexpr (std::is_same_v<T, Step>) {
          w.i64(b.delta_ns);
        } else if constexpr (std::is_same_v<T, ChronySent>) {
          w.i64(b.system_ns);
          w.f64(b.offset_ns);
          w.i32(b.leap);
          w.boolean(b.delivered);
        } else if constexpr (std::is_same_v<T, ReceiverMode>) {
          w.u8(b.mode);
        } else {
          static_assert(std::is_same_v<T, Quality>);
          put_quality(w, b.quality);
        }
      },
      body);
}

Body get_body(std::uint8_t code, ByteReader& r, std::int64_t stamp) {
  switch (code) {
    case 1: return MonoRead{plus(r.i64(), stamp)};
    case 2: return RealRead{plus(r.i64(), stamp)};
    case 3: {
      ExttsRead b;
      const std::uint32_t n = r.count(12);
      for (std::uint32_t i = 0; i < n; ++i) {
        phc::ExttsRecord e;
        e.channel = r.u32();
        e.phc_ns = r.i64();
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
      const std::uint32_t n = r.count(24);
      std::int64_t base = 0;
      for (std::uint32_t i = 0; i < n; ++i) {
        phc::PhcRead p;
        p.before_ns = plus(r.i64(), base);
        p.phc_ns = plus(r.i64(), p.before_ns);
        p.after_ns = plus(r.i64(), p.before_ns);
        base = p.before_ns;
        b.readings.reads.push_back(p);
      }
      return b;
    }
    case 5: {
      PhcFailure b;
      b.error_number = r.i32();
      b.read_error = r.boolean();
      b.message = r.str();
      return b;
    }
    case 6: {
      GpioFetch b;
      const bool has = r.boolean();
      pps::PpsTimestamp t;
      t.sequence = r.u32();
      t.system_ns = r.i64();
      if (has) b.edge = t;
      return b;
    }
    case 7: return GpioFailure{r.str()};
    case 8: {
      TodEvents b;
      const std::uint32_t n = r.count(1);
      for (std::uint32_t i = 0; i < n; ++i) b.events.push_back(get_event(r));
      return b;
    }
    case 9: {
      Tick b;
      const bool has = r.boolean();
      const double t = r.f64();
      if (has) b.temperature_c = t;
      return b;
    }
    case 10: return Carrier{r.boolean()};
    case 11: {
      Caps b;
      phc::PhcCaps& c = b.caps;
      c.max_adj_ppb = r.i32();
      c.n_alarm = r.i32();
      c.n_ext_ts = r.i32();
      c.n_per_out = r.i32();
      c.n_pins = r.i32();
      const std::uint8_t flags = r.u8();
      if (flags > 7) throw ShortInput(fmt::format("unknown caps flags {:#x}", flags));
      c.pps = (flags & 1) != 0;
      c.cross_timestamping = (flags & 2) != 0;
      c.adjust_phase = (flags & 4) != 0;
      return b;
    }
    case 12: {
      PinFunction b;
      b.pin = r.u32();
      b.function = r.u32();
      b.channel = r.u32();
      return b;
    }
    case 13: {
      ExttsEnable b;
      b.channel = r.u32();
      b.enable = r.boolean();
      return b;
    }
    case 14: {
      Frequency b;
      b.requested_ppb = r.f64();
      b.applied_ppb = r.f64();
      return b;
    }
    case 15: return Step{r.i64()};
    case 16: {
      ChronySent b;
      b.system_ns = r.i64();
      b.offset_ns = r.f64();
      b.leap = r.i32();
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

}  // namespace

std::uint32_t crc32_of(std::string_view bytes) {
  uLong crc = crc32(0L, Z_NULL, 0);
  // zlib takes uInt lengths: feed in slices (records are small, blocks are bounded anyway).
  while (!bytes.empty()) {
    const auto n = static_cast<uInt>(std::min<std::size_t>(bytes.size(), 1u << 30));
    crc = crc32(crc, reinterpret_cast<const Bytef*>(bytes.data()), n);
    bytes.remove_prefix(n);
  }
  return static_cast<std::uint32_t>(crc);
}

void encode_record(const Record& rec, std::string& out, std::int64_t previous_mono_ns) {
  std::string payload;
  ByteWriter pw(payload);
  put_body(pw, rec.body, rec.mono_ns);
  const std::size_t start = out.size();
  ByteWriter w(out);
  w.u8(type_code(rec.body));
  w.u32(static_cast<std::uint32_t>(payload.size()));
  w.i64(minus(rec.mono_ns, previous_mono_ns));
  out += payload;
  w.u32(crc32_of(std::string_view(out).substr(start)));
}

Decoded decode_record(std::string_view in, std::int64_t previous_mono_ns) {
  Decoded d;
  if (in.size() < kFrameOverhead) {
    d.error = fmt::format("a record frame ({} bytes at least), {} bytes left", kFrameOverhead,
                          in.size());
    return d;
  }
  ByteReader head(in);
  const std::uint8_t code = head.u8();
  const std::uint32_t len = head.u32();
  if (len > kMaxPayload || len > in.size() - kFrameOverhead) {
    d.error = fmt::format("a record of {} payload bytes, {} bytes left", len,
                          in.size() - kFrameOverhead);
    return d;
  }
  const std::size_t body_end = 1 + 4 + 8 + len;
  ByteReader crc_reader(in.substr(body_end, 4));
  const std::uint32_t stored = crc_reader.u32();
  const std::uint32_t actual = crc32_of(in.substr(0, body_end));
  if (stored != actual) {
    d.error = fmt::format("record CRC-32 {:08x}, found {:08x}", actual, stored);
    return d;
  }
  try {
    Record r;
    r.mono_ns = plus(head.i64(), previous_mono_ns);
    ByteReader payload(in.substr(13, len));
    r.body = get_body(code, payload, r.mono_ns);
    if (payload.left() != 0) {
      d.error = fmt::format("a {} record of {} bytes, {} extra", type_name(code), payload.pos(),
                            payload.left());
      return d;
    }
    d.record = std::move(r);
    d.size = body_end + 4;
  } catch (const ShortInput& e) {
    d.error = fmt::format("a valid {} record (type {}): {}", type_name(code), code, e.what());
  }
  return d;
}

}  // namespace nanotime::recording
