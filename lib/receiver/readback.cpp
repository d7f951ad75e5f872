#include "receiver/readback.hpp"

#include <algorithm>
#include <bit>

#include <fmt/format.h>

namespace nanotime::receiver {
namespace {

constexpr std::uint8_t kIdValset = 0x8A, kIdValget = 0x8B, kIdNav5 = 0x24, kIdGnss = 0x3E;
constexpr std::size_t kValgetKeys = 32;  // per VALGET (the receiver allows 64)
constexpr std::size_t kValsetBytes = 200;  // key/value bytes per VALSET frame
constexpr std::uint16_t kNav5MinElevMask = 0x0002;  // CFG-NAV5 mask: apply only minElev

// The offset of a CFG-GNSS block's flags for gnssId, from the reply's block list.
std::optional<std::size_t> gnss_flags_offset(const Bytes& p, int gnss_id) {
  if (p.size() < 4) return std::nullopt;
  const std::size_t blocks = p[3];
  for (std::size_t i = 0; i < blocks && 4 + 8 * i + 8 <= p.size(); ++i) {
    if (p[4 + 8 * i] == gnss_id) return 4 + 8 * i + 4;
  }
  return std::nullopt;
}

std::optional<std::size_t> field_offset(const M8Field& f, const Bytes& p) {
  if (f.gnss_id >= 0) return gnss_flags_offset(p, f.gnss_id);
  return f.offset;
}

}  // namespace

std::string m8_identity(const M8Field& f) { return fmt::format("{:02x}:{}", f.id, hex(f.poll)); }

void Readback::absorb(const Frame& r) {
  if (r.msg_class != kClsCfg) return;
  if (r.msg_id == kIdValget) {
    std::size_t i = 4;  // version, layer, position
    while (i + 4 <= r.payload.size()) {
      const F9Key k{static_cast<std::uint32_t>(*get_le(r.payload, i, 4, false))};
      const std::size_t n = value_size(k);
      if (n == 0 || i + 4 + n > r.payload.size()) return;  // unknown size: cannot go on
      f9[k.id] = *get_le(r.payload, i + 4, n, value_signed(k));
      i += 4 + n;
    }
    return;
  }
  // Gen 8 poll replies: CFG-MSG is identified by the polled class/id, CFG-TP5 by tpIdx.
  Bytes poll;
  if (r.msg_id == 0x01 && r.payload.size() >= 2) poll = {r.payload[0], r.payload[1]};
  if (r.msg_id == 0x31 && !r.payload.empty()) poll = {r.payload[0]};
  M8Field ident;
  ident.id = r.msg_id;
  ident.poll = poll;
  m8[m8_identity(ident)] = r.payload;
}

std::vector<Request> read_requests(const std::vector<Setting>& settings, Generation g) {
  std::vector<Request> out;
  if (g == Generation::m8) {
    std::vector<std::string> seen;
    for (const Setting& s : settings) {
      const std::string ident = m8_identity(s.m8);
      if (std::ranges::count(seen, ident) > 0) continue;
      seen.push_back(ident);
      out.push_back({Frame{kClsCfg, s.m8.id, s.m8.poll}, false, kClsCfg, s.m8.id, s.m8.poll,
                     "poll " + s.m8.message});
    }
    return out;
  }
  for (std::size_t first = 0; first < settings.size(); first += kValgetKeys) {
    Bytes p{0, 0, 0, 0};  // version 0, layer RAM, position 0
    const std::size_t end = std::min(settings.size(), first + kValgetKeys);
    for (std::size_t i = first; i < end; ++i) put_le(p, p.size(), 4, settings[i].f9.id);
    out.push_back({Frame{kClsCfg, kIdValget, p}, false, kClsCfg, kIdValget, {},
                   fmt::format("VALGET {} keys", end - first)});
  }
  return out;
}

std::optional<std::int64_t> read_value(const Setting& s, const Readback& rb) {
  if (s.f9.id != 0) {
    const auto it = rb.f9.find(s.f9.id);
    if (it == rb.f9.end()) return std::nullopt;
    return it->second;
  }
  const auto it = rb.m8.find(m8_identity(s.m8));
  if (it == rb.m8.end()) return std::nullopt;
  const auto off = field_offset(s.m8, it->second);
  if (!off) return std::nullopt;
  const auto v = get_le(it->second, *off, s.m8.size, s.m8.is_signed);
  if (!v || s.m8.mask == 0) return v;
  return static_cast<std::int64_t>((static_cast<std::uint64_t>(*v) & s.m8.mask) >>
                                   std::countr_zero(s.m8.mask));
}

std::vector<Change> diff(const std::vector<Setting>& desired, const Readback& rb) {
  std::vector<Change> out;
  for (const Setting& s : desired) {
    const auto now = read_value(s, rb);
    if (now != s.desired) out.push_back({&s, now, s.desired});
  }
  return out;
}

std::string with_unit(std::optional<std::int64_t> v, const std::string& unit) {
  if (!v) return "(unread)";
  return unit.empty() ? fmt::format("{}", *v) : fmt::format("{} {}", *v, unit);
}

std::string describe(const Change& c) {
  return fmt::format("{}: {} -> {}", c.setting->name, with_unit(c.from, c.setting->unit),
                     with_unit(c.to, c.setting->unit));
}

std::optional<Frame> m8_write(const std::vector<const Setting*>& group, const Readback& rb) {
  if (group.empty()) return std::nullopt;
  const M8Field& m = group.front()->m8;
  const auto it = rb.m8.find(m8_identity(m));
  if (it == rb.m8.end()) return std::nullopt;
  Frame f{kClsCfg, m.id, it->second};
  for (const Setting* s : group) {
    const auto off = field_offset(s->m8, f.payload);
    if (!off) return std::nullopt;
    std::int64_t v = s->desired;
    if (s->m8.mask != 0) {
      const auto word = static_cast<std::uint64_t>(*get_le(f.payload, *off, s->m8.size, false));
      const auto bits = (static_cast<std::uint64_t>(v) << std::countr_zero(s->m8.mask)) & s->m8.mask;
      v = static_cast<std::int64_t>((word & ~static_cast<std::uint64_t>(s->m8.mask)) | bits);
    }
    put_le(f.payload, *off, s->m8.size, v);
  }
  if (m.id == kIdNav5) put_le(f.payload, 0, 2, kNav5MinElevMask);
  if (m.id == kIdGnss && !f.payload.empty()) f.payload[0] = 0;  // msgVer 0
  return f;
}

std::vector<Frame> f9_valset(const std::vector<const Setting*>& keys, std::uint8_t layers) {
  std::vector<Bytes> bodies(1);
  for (const Setting* s : keys) {
    const std::size_t n = value_size(s->f9);
    if (bodies.back().size() + 4 + n > kValsetBytes) bodies.emplace_back();
    Bytes& b = bodies.back();
    put_le(b, b.size(), 4, s->f9.id);
    put_le(b, b.size(), n, s->desired);
  }
  std::vector<Frame> out;
  const bool transaction = bodies.size() > 1;
  for (std::size_t i = 0; i < bodies.size(); ++i) {
    // version 1 carries the transaction field: 1 begin, 2 continue, 3 end and apply.
    const std::uint8_t action = !transaction ? 0 : i == 0 ? 1 : i + 1 == bodies.size() ? 3 : 2;
    Bytes p{static_cast<std::uint8_t>(transaction ? 1 : 0), layers, action, 0};
    p.insert(p.end(), bodies[i].begin(), bodies[i].end());
    out.push_back(Frame{kClsCfg, kIdValset, std::move(p)});
  }
  return out;
}

}  // namespace nanotime::receiver
