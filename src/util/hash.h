// FNV-1a 64-bit: a fast content fingerprint for cache keys (not cryptographic).
#pragma once
#include <cstdint>
#include <string>

#include <fmt/format.h>

namespace argus {

struct Fnv1a {
  uint64_t state = 1469598103934665603ull;
  void add(const void* data, size_t n) {
    auto p = static_cast<const unsigned char*>(data);
    for (size_t i = 0; i < n; ++i) state = (state ^ p[i]) * 1099511628211ull;
  }
  void add(const std::string& s) { add(s.data(), s.size()); }
  std::string hex() const { return fmt::format("{:016x}", state); }
};

}  // namespace argus
