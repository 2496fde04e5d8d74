// The chat templates argus knows by name (`--chat-template llama3`), for checkpoints that
// ship none or ship a broken one. Each is the real template text of its model family.
#pragma once
#include <string>
#include <vector>

namespace argus::text::jinja {

struct BuiltinChatTemplate {
  const char* name;
  const char* source;      // Jinja, exactly as the family's tokenizer_config.json holds it
  const char* describes;   // which checkpoints it comes from
};

const std::vector<BuiltinChatTemplate>& builtin_chat_templates();
// nullptr if no built-in has this name.
const BuiltinChatTemplate* find_builtin_chat_template(const std::string& name);

}  // namespace argus::text::jinja
