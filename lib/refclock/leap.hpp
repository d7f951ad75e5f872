#pragma once
#include <cstdint>

namespace nanotime::refclock {
// The only three leap values chrony accepts (anything else rejects the sample).
enum class Leap : std::int32_t { normal = 0, insert = 1, del = 2 };
}  // namespace nanotime::refclock
