// libFuzzer target: the PTP management decoder (lib/ptpmgmt/messages.cpp) on arbitrary bytes.
// Built only with -DNANOTIME_FUZZ=ON and clang (tests/unit/ptpmgmt-fuzz/CMakeLists.txt).
// Checks, besides "no crash / no out-of-bounds read / no UB" (ASan, UBSan):
//   - a decoded GRANDMASTER_SETTINGS_NP re-encodes to the same 8 data bytes it came from;
//   - a decoded message never claims more than the datagram held.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>

#include "ptpmgmt/messages.hpp"

using namespace nanotime::ptpmgmt;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::uint8_t> in(data, size);
  auto r = decode(in);
  auto* m = std::get_if<Message>(&r);
  if (!m) return 0;
  if (size < 52) std::abort();  // the decoder accepted less than header + management + TLV
  if (auto* g = std::get_if<GrandmasterSettings>(&m->payload)) {
    auto bytes = encode_data(*g);
    if (size < 54 + bytes.size() || std::memcmp(data + 54, bytes.data(), bytes.size()) != 0) {
      std::abort();
    }
  }
  return 0;
}
