#include "tasks/chat/generation_settings.h"

#include <nlohmann/json.hpp>

#include "tasks/chat/chat_limits.h"
#include "tasks/chat/chat_model.h"
#include "util/error.h"
#include "util/mapped_file.h"

namespace argus::tasks {

GenerateOptions generate_options(const GenerationSettings& s, const ChatModel& model) {
  if (s.max_tokens < 0) fail("--max-tokens must be >= 0, got {}", s.max_tokens);
  if (s.greedy && s.sampling.temperature > 0)
    fail("--greedy and --temperature {} contradict each other", s.sampling.temperature);
  GenerateOptions o;
  o.sampling = s.sampling;
  if (s.greedy) o.sampling.temperature = 0;
  validate(o.sampling);
  o.max_new_tokens = s.max_tokens;
  o.eos_ids = model.eos_ids();
  int64_t pad = model.pad_token_id();
  o.pad_id = pad >= 0 ? pad : 0;
  check_stop_strings(s.stop);
  if (!s.stop.empty()) model.require_tokenizer("--stop");
  if (!s.json_schema_file.empty()) {
    model.require_tokenizer("--json-schema");
    std::shared_ptr<const text::constrain::JsonGrammar> g;
    try {
      // Parsed in order: properties are generated in the order the file gives them.
      auto schema = nlohmann::ordered_json::parse(read_file(s.json_schema_file), nullptr, false);
      if (schema.is_discarded()) fail("not valid JSON");
      g = text::constrain::JsonGrammar::compile(schema);
    } catch (const Error& e) {
      fail("--json-schema {}: {}", s.json_schema_file, e.what());
    }
    o.make_constraint = model.json_constraint(g);
  }
  return o;
}

}  // namespace argus::tasks
