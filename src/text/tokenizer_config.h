// The parts of a checkpoint's tokenizer_config.json the tokenizers need: special token
// strings, add_bos/add_eos, legacy, and added tokens (`added_tokens_decoder`).
#pragma once
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "text/added_tokens.h"

namespace argus::text {

struct TokenizerConfig {
  std::string tokenizer_class;
  std::string bos_token, eos_token, pad_token, unk_token;  // empty if unset
  std::optional<bool> add_bos_token, add_eos_token, legacy, add_prefix_space;
  std::vector<AddedToken> added_tokens;
};

// Missing file: an empty config. Malformed file: argus::Error naming it.
TokenizerConfig read_tokenizer_config(const std::string& path);
TokenizerConfig parse_tokenizer_config(const nlohmann::json& j, const std::string& what);

// One entry of an added-token list ({"content": ..., "special": ..., ...}).
AddedToken parse_added_token(const nlohmann::json& j, int64_t id, const std::string& what);

}  // namespace argus::text
