// tokenizer.json "normalizer" section: NFC/NFD/NFKC/NFKD, Lowercase, Replace, Prepend, Strip,
// StripAccents and Sequence. Anything else is refused by name rather than silently skipped.
#pragma once
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace argus::text {

class Normalizer {
 public:
  virtual ~Normalizer() = default;
  virtual std::string normalize(std::string_view s) const = 0;  // s: valid UTF-8
};

// nullptr for a null section.
std::unique_ptr<Normalizer> make_normalizer(const nlohmann::json& j, const std::string& what);

}  // namespace argus::text
