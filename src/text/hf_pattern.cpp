#include "text/hf_pattern.h"

#include "util/error.h"

namespace argus::text {

std::unique_ptr<Regex> make_pattern(const nlohmann::json& j, const std::string& what) {
  if (j.is_object() && j.size() == 1) {
    if (j.contains("String") && j["String"].is_string())
      return std::make_unique<Regex>(Regex::literal(j["String"].get<std::string>(), what));
    if (j.contains("Regex") && j["Regex"].is_string()) return std::make_unique<Regex>(j["Regex"].get<std::string>(), what);
  }
  fail("{}: pattern must be {{\"String\": ...}} or {{\"Regex\": ...}}, got {}", what, j.dump());
}

std::string json_string(const nlohmann::json& j, const char* key, const std::string& def, const std::string& what) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return def;
  if (!it->is_string()) fail("{}: \"{}\" must be a string", what, key);
  return it->get<std::string>();
}

bool json_bool(const nlohmann::json& j, const char* key, bool def, const std::string& what) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return def;
  if (!it->is_boolean()) fail("{}: \"{}\" must be true or false", what, key);
  return it->get<bool>();
}

int64_t json_int(const nlohmann::json& j, const char* key, int64_t def, const std::string& what) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return def;
  if (!it->is_number_integer()) fail("{}: \"{}\" must be an integer", what, key);
  return it->get<int64_t>();
}

}  // namespace argus::text
