#include "receiver/frame.hpp"

#include <fmt/format.h>

#include "ubx/frame.hpp"

namespace nanotime::receiver {

std::string hex(std::span<const std::uint8_t> bytes) {
  std::string s;
  for (const std::uint8_t b : bytes) s += fmt::format("{:02x}", b);
  return s;
}

std::optional<std::int64_t> get_le(std::span<const std::uint8_t> p, std::size_t offset,
                                   std::size_t size, bool is_signed) {
  if (size == 0 || size > 8 || offset + size > p.size()) return std::nullopt;
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < size; ++i) v |= static_cast<std::uint64_t>(p[offset + i]) << (8 * i);
  if (is_signed && size < 8 && (v >> (8 * size - 1)) & 1U) v |= ~0ULL << (8 * size);
  return static_cast<std::int64_t>(v);
}

void put_le(Bytes& p, std::size_t offset, std::size_t size, std::int64_t value) {
  if (p.size() < offset + size) p.resize(offset + size, 0);
  const auto u = static_cast<std::uint64_t>(value);
  for (std::size_t i = 0; i < size; ++i) p[offset + i] = static_cast<std::uint8_t>(u >> (8 * i));
}

}  // namespace nanotime::receiver
