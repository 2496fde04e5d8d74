#pragma once
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
    } else if constexpr (std::is_arithmetic_v<T>) {
      if (!it->is_number()) throw nlohmann::json::type_error::create(302, "expected a number", nullptr);
    }
    return it->get<T>();
  } catch (const nlohmann::json::exception&) {
    fail("config key \"{}\" has the wrong type ({})", key, it->dump());
  }
}

}  // namespace argus::io
