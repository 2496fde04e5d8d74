// libFuzzer target: chat templates come from untrusted checkpoints. Parsing and rendering
// any bytes either works or throws argus::Error: no crash, hang or unbounded memory (the
// engine caps steps, nesting, call depth and output size).
#include <cstddef>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "text/chat_template.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const nlohmann::json messages = nlohmann::json::parse(R"([
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "What is this?"}]},
    {"role": "assistant", "content": "A cat.", "tool_calls": [{"function": {"name": "f", "arguments": {"a": 1}}}]},
    {"role": "user", "content": "  And this?  "}
  ])");
  try {
    auto t = argus::text::ChatTemplate::from_source(std::string(reinterpret_cast<const char*>(data), size), "<s>", "</s>");
    (void)t.render(messages, true);
    (void)t.render(messages, false, {{"tools", nlohmann::json::array({{{"name", "f"}}})}, {"date_string", "1 Jan"}});
  } catch (const argus::Error&) {
  }
  return 0;
}
