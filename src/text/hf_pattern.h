// The {"String": ...} / {"Regex": ...} pattern objects of tokenizer.json (Split, Replace).
#pragma once
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "text/pcre_regex.h"

namespace argus::text {

std::unique_ptr<Regex> make_pattern(const nlohmann::json& j, const std::string& what);

// Reads a string field, with a default when absent; argus::Error if present with another type.
std::string json_string(const nlohmann::json& j, const char* key, const std::string& def, const std::string& what);
bool json_bool(const nlohmann::json& j, const char* key, bool def, const std::string& what);
int64_t json_int(const nlohmann::json& j, const char* key, int64_t def, const std::string& what);

}  // namespace argus::text
