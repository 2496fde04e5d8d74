#pragma once
#include <cmath>
#include <limits>

#include "util/error.h"

namespace argus::io {

template <typename T>
T get_or(const nlohmann::json& j, const char* key, const T& def) {
  if (!j.is_object()) return def;
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return def;
  try {
    if constexpr (std::is_same_v<T, bool>) {
      if (!it->is_boolean()) throw nlohmann::json::type_error::create(302, "expected a boolean", nullptr);
    } else if constexpr (std::is_integral_v<T>) {
      // A size or count: 768.5 is not truncated to 768, nor 1e30 wrapped to something
      // else; an integral float (768.0) is the integer it writes.
      if (!it->is_number()) throw nlohmann::json::type_error::create(302, "expected a number", nullptr);
      if (it->is_number_float()) {
        const double d = it->get<double>();
        if (!(d == std::floor(d) && d >= static_cast<double>(std::numeric_limits<T>::min()) &&
              d <= static_cast<double>(std::numeric_limits<T>::max())))
          fail("config key \"{}\" must be an integer, got {}", key, it->dump());
        return static_cast<T>(d);
      }
      constexpr auto max = static_cast<uint64_t>(std::numeric_limits<T>::max());
      bool fits;
      if (it->is_number_unsigned()) {
        fits = it->get<uint64_t>() <= max;
      } else {
        const int64_t v = it->get<int64_t>();
        fits = v >= 0 ? static_cast<uint64_t>(v) <= max
                      : std::is_signed_v<T> && v >= static_cast<int64_t>(std::numeric_limits<T>::min());
      }
      if (!fits) fail("config key \"{}\" is out of range ({})", key, it->dump());
    } else if constexpr (std::is_arithmetic_v<T>) {
      if (!it->is_number()) throw nlohmann::json::type_error::create(302, "expected a number", nullptr);
    }
    return it->get<T>();
  } catch (const nlohmann::json::exception&) {
    fail("config key \"{}\" has the wrong type ({})", key, it->dump());
  }
}

}  // namespace argus::io
