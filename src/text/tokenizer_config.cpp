#include "text/tokenizer_config.h"

#include <filesystem>

#include "io/json_file.h"
#include "util/error.h"

namespace argus::text {
namespace {

// Special tokens are stored either as a string or as a serialised AddedToken object.
std::string token_string(const nlohmann::json& j, const char* key, const std::string& what) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return {};
  if (it->is_string()) return it->get<std::string>();
  if (it->is_object() && it->contains("content") && (*it)["content"].is_string()) return (*it)["content"].get<std::string>();
  fail("{}: \"{}\" must be a string or an object with \"content\"", what, key);
}

std::optional<bool> opt_bool(const nlohmann::json& j, const char* key, const std::string& what) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  if (!it->is_boolean()) fail("{}: \"{}\" must be true or false", what, key);
  return it->get<bool>();
}

bool flag(const nlohmann::json& j, const char* key, bool def, const std::string& what) {
  return opt_bool(j, key, what).value_or(def);
}

}  // namespace

AddedToken parse_added_token(const nlohmann::json& j, int64_t id, const std::string& what) {
  if (!j.is_object() || !j.contains("content") || !j["content"].is_string())
    fail("{}: added token {} has no string \"content\"", what, id);
  AddedToken t;
  t.id = id;
  t.content = j["content"].get<std::string>();
  t.special = flag(j, "special", false, what);
  t.lstrip = flag(j, "lstrip", false, what);
  t.rstrip = flag(j, "rstrip", false, what);
  t.single_word = flag(j, "single_word", false, what);
  t.normalized = flag(j, "normalized", !t.special, what);
  return t;
}

TokenizerConfig parse_tokenizer_config(const nlohmann::json& j, const std::string& what) {
  TokenizerConfig c;
  if (!j.is_object()) fail("{}: expected a JSON object", what);
  if (j.contains("tokenizer_class") && j["tokenizer_class"].is_string()) c.tokenizer_class = j["tokenizer_class"];
  c.bos_token = token_string(j, "bos_token", what);
  c.eos_token = token_string(j, "eos_token", what);
  c.pad_token = token_string(j, "pad_token", what);
  c.unk_token = token_string(j, "unk_token", what);
  c.add_bos_token = opt_bool(j, "add_bos_token", what);
  c.add_eos_token = opt_bool(j, "add_eos_token", what);
  c.legacy = opt_bool(j, "legacy", what);
  c.add_prefix_space = opt_bool(j, "add_prefix_space", what);
  if (auto it = j.find("added_tokens_decoder"); it != j.end() && !it->is_null()) {
    if (!it->is_object()) fail("{}: \"added_tokens_decoder\" must be an object", what);
    for (auto& [key, val] : it->items()) {
      int64_t id = -1;
      try {
        size_t used = 0;
        id = std::stoll(key, &used);
        if (used != key.size() || id < 0) throw std::invalid_argument(key);
      } catch (const std::exception&) {
        fail("{}: added_tokens_decoder key \"{}\" is not a token id", what, key);
      }
      c.added_tokens.push_back(parse_added_token(val, id, what));
    }
  }
  return c;
}

TokenizerConfig read_tokenizer_config(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return {};
  return parse_tokenizer_config(io::read_json(path), path);
}

}  // namespace argus::text
