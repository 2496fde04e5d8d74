#include "text/constrain/json_schema_validate.h"

#include <cmath>
#include <set>

#include <nlohmann/json.hpp>

#include "util/error.h"

namespace argus::text::constrain {

namespace {

using json = nlohmann::json;

const std::set<std::string>& known_keywords() {
  static const std::set<std::string> k = {"type", "properties", "required", "additionalProperties", "enum",
                                          "const", "items", "minItems", "maxItems", "minLength", "maxLength",
                                          "minimum", "maximum", "description", "title", "default", "examples"};
  return k;
}

const char* kind_of(const json& v) {
  if (v.is_object()) return "an object";
  if (v.is_array()) return "an array";
  if (v.is_string()) return "a string";
  if (v.is_boolean()) return "a boolean";
  if (v.is_null()) return "null";
  if (v.is_number_integer() || v.is_number_unsigned()) return "an integer";
  return "a number";
}

bool has_type(const json& v, const std::string& t) {
  if (t == "object") return v.is_object();
  if (t == "array") return v.is_array();
  if (t == "string") return v.is_string();
  if (t == "boolean") return v.is_boolean();
  if (t == "null") return v.is_null();
  if (t == "number") return v.is_number();
  if (t == "integer") {
    if (v.is_number_integer() || v.is_number_unsigned()) return true;
    return v.is_number_float() && std::isfinite(v.get<double>()) && std::floor(v.get<double>()) == v.get<double>();
  }
  fail("schema type \"{}\" is not supported", t);
}

size_t code_points(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

std::string child(const std::string& at, const std::string& key) { return at.empty() ? key : at + "." + key; }

std::string check(const json& v, const json& s, const std::string& at) {
  if (s.is_boolean()) return s.get<bool>() ? "" : at + ": no value is allowed here";
  if (!s.is_object()) fail("schema at {} is not an object", at);
  for (const auto& [key, _] : s.items())
    if (!known_keywords().count(key)) fail("schema keyword \"{}\" (at {}) is not supported", key, at);
  if (auto t = s.find("type"); t != s.end()) {
    bool ok = false;
    std::string names;
    for (const auto& one : t->is_array() ? *t : json::array({*t})) {
      ok = ok || has_type(v, one.get<std::string>());
      names += (names.empty() ? "" : " or ") + one.get<std::string>();
    }
    if (!ok) return at + ": expected " + names + ", got " + kind_of(v);
  }
  if (auto c = s.find("const"); c != s.end() && v != *c) return at + ": must be " + c->dump();
  if (auto e = s.find("enum"); e != s.end()) {
    bool found = false;
    for (const auto& one : *e) found = found || one == v;
    if (!found) return at + ": must be one of " + e->dump();
  }
  if (v.is_number()) {
    const double x = v.get<double>();
    if (!std::isfinite(x)) return at + ": must be a finite number";
    if (auto m = s.find("minimum"); m != s.end() && x < m->get<double>()) return at + ": must be >= " + m->dump();
    if (auto m = s.find("maximum"); m != s.end() && x > m->get<double>()) return at + ": must be <= " + m->dump();
  }
  if (v.is_string()) {
    const size_t n = code_points(v.get_ref<const std::string&>());
    if (auto m = s.find("minLength"); m != s.end() && n < m->get<size_t>())
      return at + ": must have at least " + m->dump() + " characters";
    if (auto m = s.find("maxLength"); m != s.end() && n > m->get<size_t>())
      return at + ": must have at most " + m->dump() + " characters";
  }
  if (v.is_array()) {
    if (auto m = s.find("minItems"); m != s.end() && v.size() < m->get<size_t>())
      return at + ": must have at least " + m->dump() + " items";
    if (auto m = s.find("maxItems"); m != s.end() && v.size() > m->get<size_t>())
      return at + ": must have at most " + m->dump() + " items";
    if (auto items = s.find("items"); items != s.end())
      for (size_t i = 0; i < v.size(); ++i)
        if (auto bad = check(v[i], *items, at + "[" + std::to_string(i) + "]"); !bad.empty()) return bad;
  }
  if (v.is_object()) {
    const json props = s.value("properties", json::object());
    if (auto req = s.find("required"); req != s.end())
      for (const auto& name : *req)
        if (!v.contains(name.get<std::string>())) return child(at, name.get<std::string>()) + ": is required";
    const bool closed = s.contains("additionalProperties") && s["additionalProperties"] == false;
    for (const auto& [key, value] : v.items()) {
      auto p = props.find(key);
      if (p == props.end()) {
        if (closed) return child(at, key) + ": is not an argument of this tool";
        continue;
      }
      if (auto bad = check(value, *p, child(at, key)); !bad.empty()) return bad;
    }
  }
  return "";
}

}  // namespace

std::string schema_violation(const nlohmann::json& value, const nlohmann::json& schema, const std::string& root) {
  // Places below the root are named by their own path ("box[2]"), the root by `root`.
  std::string bad = check(value, schema, "");
  if (bad.rfind(": ", 0) == 0) bad = root + bad;
  return bad;
}

}  // namespace argus::text::constrain
