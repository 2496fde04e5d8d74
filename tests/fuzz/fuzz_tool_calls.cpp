// libFuzzer target: a model's output is read for tool calls in every syntax argus knows
// (Hermes/Qwen blocks, Llama 3 JSON and built-in Python calls, Mistral lists). The text
// is shaped by whoever wrote the prompt, so any bytes must parse to text and calls whose
// arguments are JSON objects, without a crash or a throw.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include <nlohmann/json.hpp>

#include "text/tool_calls.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  for (auto syntax : {argus::text::ToolCallSyntax::Hermes, argus::text::ToolCallSyntax::Llama3,
                      argus::text::ToolCallSyntax::Mistral}) {
    const auto r = argus::text::parse_tool_calls(text, syntax);
    for (const auto& c : r.tool_calls) {
      const auto args = nlohmann::json::parse(c.arguments, nullptr, false);
      if (c.name.empty() || args.is_discarded() || !args.is_object()) std::abort();
    }
  }
  return 0;
}
