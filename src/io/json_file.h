// JSON files from checkpoints (config.json, preprocessor_config.json, tokenizer
// files): parse errors become one argus::Error line naming the file and position.
#pragma once
#include <string>

#include <nlohmann/json.hpp>

namespace argus::io {

nlohmann::json parse_json(const std::string& text, const std::string& what);
nlohmann::json read_json(const std::string& path);

// Typed lookup with a default, refusing a present value of the wrong type
// (so "hidden_size": "768" is an error naming the key, not a silent default).
template <typename T>
T get_or(const nlohmann::json& j, const char* key, const T& def);

}  // namespace argus::io

#include "io/json_file_inl.h"
