// libFuzzer target: the tokenizers never crash on arbitrary bytes. Invalid UTF-8 must be
// refused with argus::Error; valid text must encode, and any id sequence must decode (and
// stream-decode) to valid UTF-8.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "text/stream_decoder.h"
#include "text/tokenizer.h"
#include "text/utf8.h"
#include "util/error.h"

namespace {

struct Tokenizers {
  std::vector<std::unique_ptr<argus::text::Tokenizer>> all;
  Tokenizers() {
    const char* env = std::getenv("ARGUS_SHARED");
    std::string root = env ? env : "../shared";
    all.push_back(argus::text::load_tokenizer(root + "/fixtures/tokenizers/clip"));
    all.push_back(argus::text::load_tokenizer(root + "/fixtures/tokenizers/bbpe"));
    all.push_back(argus::text::load_tokenizer(root + "/fixtures/llava"));
  }
};

const Tokenizers& tokenizers() {
  static const Tokenizers t;
  return t;
}

void check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const bool valid = argus::text::is_valid_utf8(text);
  for (const auto& tok : tokenizers().all) {
    std::vector<int64_t> ids;
    try {
      ids = tok->encode(text);
    } catch (const argus::Error&) {
      check(!valid);  // only invalid UTF-8 may be refused
      continue;
    }
    check(valid);
    check(argus::text::is_valid_utf8(tok->decode(ids)));
    // Arbitrary ids, including ones that split characters or do not exist.
    std::vector<int64_t> raw;
    for (size_t i = 0; i + 1 < size; i += 2)
      raw.push_back(static_cast<int64_t>(data[i] | (data[i + 1] << 8)) % (tok->vocab_size() + 2) - 1);
    check(argus::text::is_valid_utf8(tok->decode(raw, false)));
    argus::text::StreamDecoder stream(*tok);
    for (int64_t id : raw) check(argus::text::is_valid_utf8(stream.step(id)));
    check(argus::text::is_valid_utf8(stream.flush()));
  }
  return 0;
}
