// tokenizer.json "decoder" section: ByteLevel, Metaspace, ByteFallback, Fuse, Strip, Replace,
// BPEDecoder and Sequence, each rewriting the list of token strings as the reference does.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace argus::text {

class Decoder {
 public:
  virtual ~Decoder() = default;
  // raw: leave byte-level / byte-fallback output as bytes, possibly ending inside a character
  // (streaming); otherwise repair to UTF-8 exactly as the reference does.
  virtual void decode_chain(std::vector<std::string>& tokens, bool raw) const = 0;
};

// nullptr for a null section.
std::unique_ptr<Decoder> make_decoder(const nlohmann::json& j, const std::string& what);

}  // namespace argus::text
