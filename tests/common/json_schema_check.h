// Test helpers for constrained decoding: a validator for the JSON Schema subset argus
// generates for (written apart from the matcher, so a matcher bug cannot hide in it) and
// a seeded generator of random schemas from that subset.
#pragma once
#include <cmath>
#include <random>
#include <string>

#include <nlohmann/json.hpp>

namespace argus::test {

inline size_t code_points(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

inline bool has_type(const nlohmann::json& v, const std::string& t) {
  if (t == "object") return v.is_object();
  if (t == "array") return v.is_array();
  if (t == "string") return v.is_string();
  if (t == "number") return v.is_number();
  if (t == "integer") return v.is_number_integer() || (v.is_number_float() && std::floor(v.get<double>()) == v.get<double>());
  if (t == "boolean") return v.is_boolean();
  if (t == "null") return v.is_null();
  return false;
}

// Whether `v` is valid against `s` (JSON Schema semantics for the keywords used here).
inline bool schema_valid(const nlohmann::json& v, const nlohmann::json& s) {
  if (s.is_boolean()) return s.get<bool>();
  if (s.contains("const") && v != s["const"]) return false;
  if (s.contains("enum")) {
    bool found = false;
    for (const auto& e : s["enum"]) found = found || e == v;
    if (!found) return false;
  }
  if (s.contains("anyOf")) {
    bool any = false;
    for (const auto& a : s["anyOf"]) any = any || schema_valid(v, a);
    if (!any) return false;
  }
  if (s.contains("type")) {
    bool ok = false;
    if (s["type"].is_array())
      for (const auto& t : s["type"]) ok = ok || has_type(v, t.get<std::string>());
    else
      ok = has_type(v, s["type"].get<std::string>());
    if (!ok) return false;
  }
  if (v.is_object()) {
    if (s.contains("required"))
      for (const auto& r : s["required"])
        if (!v.contains(r.get<std::string>())) return false;
    if (s.contains("properties"))
      for (auto it = s["properties"].begin(); it != s["properties"].end(); ++it)
        if (v.contains(it.key()) && !schema_valid(v[it.key()], it.value())) return false;
    if (s.contains("additionalProperties") && s["additionalProperties"] == false)
      for (auto it = v.begin(); it != v.end(); ++it)
        if (!s.contains("properties") || !s["properties"].contains(it.key())) return false;
  }
  if (v.is_array()) {
    if (s.contains("minItems") && v.size() < s["minItems"].get<size_t>()) return false;
    if (s.contains("maxItems") && v.size() > s["maxItems"].get<size_t>()) return false;
    if (s.contains("items"))
      for (const auto& x : v)
        if (!schema_valid(x, s["items"])) return false;
  }
  if (v.is_string()) {
    const size_t n = code_points(v.get<std::string>());
    if (s.contains("minLength") && n < s["minLength"].get<size_t>()) return false;
    if (s.contains("maxLength") && n > s["maxLength"].get<size_t>()) return false;
  }
  return true;
}

// A random schema of the supported subset, `depth` levels of nesting at most.
inline nlohmann::json random_schema(std::mt19937& rng, int depth) {
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  const int kinds = depth > 0 ? 10 : 7;
  switch (pick(kinds)) {
    case 0: {
      nlohmann::json s = {{"type", "string"}};
      if (pick(2)) s["maxLength"] = 1 + pick(8);
      if (pick(3) == 0) s["minLength"] = pick(2);
      return s;
    }
    case 1: return {{"type", "number"}};
    case 2: return {{"type", "integer"}};
    case 3: return {{"type", "boolean"}};
    case 4: return {{"type", pick(2) ? "null" : "boolean"}, {"description", "annotation only"}};
    case 5: return {{"enum", {"red", "green", 3, nullptr}}};
    case 6: return {{"const", pick(2) ? nlohmann::json("fixed") : nlohmann::json({{"k", 1}})}};
    case 7: {
      nlohmann::json props = nlohmann::json::object(), req = nlohmann::json::array();
      const int n = 1 + pick(3);
      for (int i = 0; i < n; ++i) {
        std::string key = std::string(1, static_cast<char>('a' + i)) + (pick(2) ? "_x" : "");
        props[key] = random_schema(rng, depth - 1);
        if (pick(2)) req.push_back(key);
      }
      return {{"type", "object"}, {"properties", props}, {"required", req}};
    }
    case 8: {
      nlohmann::json s = {{"type", "array"}, {"items", random_schema(rng, depth - 1)}};
      const int lo = pick(2);
      s["minItems"] = lo;
      s["maxItems"] = lo + pick(3);
      return s;
    }
    default:
      return {{"anyOf", {random_schema(rng, depth - 1), random_schema(rng, depth - 1)}}};
  }
}

}  // namespace argus::test
