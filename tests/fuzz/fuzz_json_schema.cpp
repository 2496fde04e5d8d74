// libFuzzer target: JSON schemas come from API clients (response_format, tool parameters).
// Compiling any bytes either works or throws argus::Error, and driving the compiled
// grammar with the same bytes (as if a model wrote them) never crashes, hangs or grows
// without bound (anyOf alternatives and parse threads are capped).
#include <cstddef>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "text/constrain/json_schema_grammar.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  // The schema, then (after a NUL, if any) the output to match.
  const size_t cut = text.find('\0');
  const std::string schema_text = text.substr(0, cut);
  const std::string output = cut == std::string::npos ? text : text.substr(cut + 1);
  auto schema = nlohmann::ordered_json::parse(schema_text, nullptr, false);
  if (schema.is_discarded()) return 0;
  try {
    argus::text::constrain::JsonMatcher m(argus::text::constrain::JsonGrammar::compile(schema));
    for (unsigned char c : output) {
      if (!m.advance(c)) break;
      (void)m.can_end();
      (void)m.must_end();
    }
  } catch (const argus::Error&) {
  }
  return 0;
}
