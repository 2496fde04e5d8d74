// Chat templates: turn a list of chat messages into the exact prompt string a model
// was trained on, by rendering the Jinja template that ships with its tokenizer
// (tokenizer_config.json's "chat_template" or chat_template.jinja). Rendering uses
// argus' own Jinja subset (text/jinja/), with transformers' settings:
// trim_blocks and lstrip_blocks on, bos_token/eos_token and raise_exception() defined.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace argus::text {

namespace jinja {
class Template;
}

class ChatTemplate {
 public:
  // Jinja source; throws argus::Error on syntax errors (message names line/column).
  static ChatTemplate from_source(std::string source, std::string bos_token = "",
                                  std::string eos_token = "");
  // The model's template: `override_` is empty, a built-in name ("llava", "llama3", "mistral",
  // "chatml", ...) or a file path; otherwise chat_template.jinja in model_dir, else
  // chat_template.json's "chat_template" (processors such as LLaVA-NeXT keep it there), else
  // tokenizer_config.json's "chat_template" (a string, or a list of {name, template} where
  // "default" is used). bos/eos from tokenizer_config.json. model_dir may also be a tokenizer
  // file (its directory is used) or empty when override_ is given.
  // No template anywhere -> argus::Error that says to pass --chat-template.
  static ChatTemplate for_model(const std::string& model_dir, const std::string& override_ = "");
  // messages: [{"role": "...", "content": "text" | [{"type":"text","text":"..."},
  // {"type":"image"}...]}...]
  // Variables as transformers passes them: messages, add_generation_prompt, bos_token,
  // eos_token, tools=None, documents=None. extra_vars (an object, e.g. {"tools": [...],
  // "date_string": "..."}) adds or overrides any of them but messages/add_generation_prompt.
  // Content is passed as given: LLaVA-style templates print only list-form content.
  // Throws argus::Error on template runtime errors (raise_exception's message included).
  // (Two overloads rather than a default argument, so this header needs only json_fwd.hpp;
  // calls read the same.)
  std::string render(const nlohmann::json& messages, bool add_generation_prompt,
                     const nlohmann::json& extra_vars) const;
  std::string render(const nlohmann::json& messages, bool add_generation_prompt) const;
  // The same with objects in insertion order, as Python dicts are: what a template prints
  // with `tojson` (a tool's schema, a call's arguments) keeps the caller's key order.
  // nlohmann::json sorts keys, so callers that parse request JSON should parse it ordered.
  std::string render(const nlohmann::ordered_json& messages, bool add_generation_prompt,
                     const nlohmann::ordered_json& extra_vars) const;
  static std::vector<std::string> builtin_names();

  // The Jinja source this template was built from (for `argus template` and debugging).
  const std::string& source() const { return source_; }

 private:
  ChatTemplate() = default;
  std::string source_;
  std::string bos_token_;
  std::string eos_token_;
  // Parsed once; shared so ChatTemplate stays cheap to copy.
  std::shared_ptr<const jinja::Template> parsed_;
};

}  // namespace argus::text
