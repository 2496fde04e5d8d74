// Vocabulary and merge lists in the formats checkpoints store them: vocab.json, merges.txt,
// and the "model" object of tokenizer.json (merges as "a b" strings or ["a", "b"] pairs).
#pragma once
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "text/bpe_model.h"

namespace argus::text {

BpeModel::Vocab parse_vocab_json(const nlohmann::json& j, const std::string& what);
BpeModel::Merges parse_merges_json(const nlohmann::json& j, const std::string& what);
// Lines "a b"; a leading "#version" line and empty lines are skipped.
BpeModel::Merges parse_merges_txt(std::string_view text, const std::string& what);

}  // namespace argus::text
