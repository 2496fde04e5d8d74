// tokenizer.json "pre_tokenizer" section: Split (regex/string, all behaviours), ByteLevel,
// Metaspace, Whitespace, WhitespaceSplit, Digits, Punctuation and Sequence.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace argus::text {

struct PreToken {
  std::string text;
  bool at_start = false;  // starts the original text (Metaspace's prepend_scheme "first")
};

class PreTokenizer {
 public:
  virtual ~PreTokenizer() = default;
  virtual void apply(std::vector<PreToken>& pieces) const = 0;
};

// nullptr for a null section.
std::unique_ptr<PreTokenizer> make_pre_tokenizer(const nlohmann::json& j, const std::string& what);

}  // namespace argus::text
