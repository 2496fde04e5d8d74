#include "server/context.h"

#include <algorithm>
#include <cmath>

namespace argus::server {

std::string Context::model_name(const nlohmann::json& body, Role role, const char* key) const {
  // Absent means "the only model of that role"; an explicit null is a client bug (an
  // unset variable), not a choice, so it is refused rather than read as absent.
  if (auto it = body.find(key); it != body.end() && it->is_null())
    bad_request(std::string("'") + key + "' is null: name a model, or leave the field out when one model serves this role", key);
  if (auto m = opt_string(body, key)) return *m;
  if (auto sole = pool.sole(role)) return *sole;
  bad_request(std::string("you must provide a model parameter (\"") + key + "\")", key);
}

namespace {

[[noreturn]] void wrong_type(const char* key, const char* want, const nlohmann::json& v) {
  bad_request(std::string("Invalid type for '") + key + "': expected " + want + ", but got " + v.type_name(), key);
}

const nlohmann::json* field(const nlohmann::json& body, const char* key) {
  auto it = body.find(key);
  return it == body.end() || it->is_null() ? nullptr : &*it;
}

}  // namespace

std::optional<std::string> opt_string(const nlohmann::json& body, const char* key) {
  const auto* v = field(body, key);
  if (!v) return std::nullopt;
  if (!v->is_string()) wrong_type(key, "a string", *v);
  return v->get<std::string>();
}

std::optional<double> opt_number(const nlohmann::json& body, const char* key) {
  const auto* v = field(body, key);
  if (!v) return std::nullopt;
  if (!v->is_number()) wrong_type(key, "a number", *v);
  double d = v->get<double>();
  if (!std::isfinite(d)) bad_request(std::string("'") + key + "' must be finite", key);
  return d;
}

std::optional<int64_t> opt_int(const nlohmann::json& body, const char* key) {
  const auto* v = field(body, key);
  if (!v) return std::nullopt;
  if (!v->is_number_integer()) wrong_type(key, "an integer", *v);
  return v->get<int64_t>();
}

std::optional<bool> opt_bool(const nlohmann::json& body, const char* key) {
  const auto* v = field(body, key);
  if (!v) return std::nullopt;
  if (!v->is_boolean()) wrong_type(key, "a boolean", *v);
  return v->get<bool>();
}

std::string req_string(const nlohmann::json& body, const char* key) {
  auto s = opt_string(body, key);
  if (!s) bad_request(std::string("Missing required parameter: '") + key + "'", key);
  return *s;
}

std::vector<std::string> string_or_list(const nlohmann::json& body, const char* key) {
  const auto* v = field(body, key);
  if (!v) return {};
  if (v->is_string()) return {v->get<std::string>()};
  if (!v->is_array()) wrong_type(key, "a string or an array of strings", *v);
  std::vector<std::string> out;
  for (const auto& x : *v) {
    if (!x.is_string()) wrong_type(key, "a string or an array of strings", x);
    out.push_back(x.get<std::string>());
  }
  return out;
}

void check_known_keys(const nlohmann::json& body, const std::vector<std::string>& known) {
  for (auto it = body.begin(); it != body.end(); ++it)
    if (std::find(known.begin(), known.end(), it.key()) == known.end())
      bad_request("Unrecognized request argument supplied: " + it.key(), it.key());
}

}  // namespace argus::server
