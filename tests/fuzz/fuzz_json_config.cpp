// libFuzzer target: config.json parsing and typed lookups never crash.
#include <cstddef>
#include <cstdint>
#include <string>

#include "io/json_file.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    auto j = argus::io::parse_json(std::string(reinterpret_cast<const char*>(data), size), "fuzz");
    (void)argus::io::get_or<int64_t>(j, "hidden_size", 0);
    (void)argus::io::get_or<double>(j, "layer_norm_eps", 1e-5);
    (void)argus::io::get_or<std::string>(j, "model_type", "");
    (void)argus::io::get_or<bool>(j, "tie_word_embeddings", false);
    if (j.is_object() && j.contains("text_config"))
      (void)argus::io::get_or<int64_t>(j["text_config"], "vocab_size", 0);
  } catch (const argus::Error&) {
  }
  return 0;
}
