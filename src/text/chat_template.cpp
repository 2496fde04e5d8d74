#include "text/chat_template.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "io/gguf.h"
#include "io/json_file.h"
#include "text/jinja/builtin_chat_templates.h"
#include "text/jinja/template.h"
#include "text/tokenizer_config.h"
#include "util/error.h"

namespace argus::text {
namespace fs = std::filesystem;

namespace {

std::string read_text_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) fail("cannot read chat template {}", p.string());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string builtin_list() {
  std::string s;
  for (const auto& t : jinja::builtin_chat_templates()) s += (s.empty() ? "" : ", ") + std::string(t.name);
  return s;
}

// "chat_template" of tokenizer_config.json / chat_template.json: a string, or a list of
// {"name", "template"} of which transformers uses "default".
std::string template_from_json(const nlohmann::json& v, const std::string& what) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_array()) {
    std::string names;
    for (const auto& e : v) {
      if (!e.is_object() || !e.contains("name") || !e.contains("template") || !e["name"].is_string() ||
          !e["template"].is_string())
        fail("{}: \"chat_template\" list entries must be {{\"name\": ..., \"template\": ...}}", what);
      if (e["name"] == "default") return e["template"].get<std::string>();
      names += (names.empty() ? "" : ", ") + e["name"].get<std::string>();
    }
    fail("{}: \"chat_template\" has no \"default\" entry (it has: {}); pass --chat-template", what, names);
  }
  fail("{}: \"chat_template\" must be a string or a list of named templates", what);
}

}  // namespace

ChatTemplate ChatTemplate::from_source(std::string source, std::string bos_token, std::string eos_token) {
  ChatTemplate t;
  t.parsed_ = jinja::Template::parse(source);
  t.source_ = std::move(source);
  t.bos_token_ = std::move(bos_token);
  t.eos_token_ = std::move(eos_token);
  return t;
}

namespace {

// --chat-template NAME|FILE: a built-in by name, else a Jinja file.
ChatTemplate override_template(const std::string& override_, const std::string& bos, const std::string& eos) {
  if (const auto* b = jinja::find_builtin_chat_template(override_)) return ChatTemplate::from_source(b->source, bos, eos);
  if (fs::is_regular_file(override_)) return ChatTemplate::from_source(read_text_file(override_), bos, eos);
  fail("chat template '{}' is neither a built-in ({}) nor a file", override_, builtin_list());
}

// A GGUF file's template (tokenizer.chat_template) and the strings of its BOS/EOS ids.
ChatTemplate gguf_template(const std::string& path, const std::string& override_) {
  auto f = io::GgufFile::open(path);
  auto token = [&](const char* key) -> std::string {
    const auto& m = f->metadata();
    auto id = m.find(std::string("tokenizer.ggml.") + key);
    auto tokens = m.find("tokenizer.ggml.tokens");
    if (id == m.end() || tokens == m.end() || !id->is_number_unsigned() || !tokens->is_array() ||
        id->get<uint64_t>() >= tokens->size() || !(*tokens)[id->get<size_t>()].is_string())
      return "";
    return (*tokens)[id->get<size_t>()].get<std::string>();
  };
  const std::string bos = token("bos_token_id"), eos = token("eos_token_id");
  if (!override_.empty()) return override_template(override_, bos, eos);
  if (!f->has_meta("tokenizer.chat_template"))
    fail("{} has no chat template (no tokenizer.chat_template in its metadata); pass --chat-template with one of {} "
         "or a .jinja file",
         path, builtin_list());
  return ChatTemplate::from_source(f->meta_string("tokenizer.chat_template"), bos, eos);
}

}  // namespace

ChatTemplate ChatTemplate::for_model(const std::string& model_dir, const std::string& override_) {
  if (io::is_gguf_file(model_dir)) return gguf_template(model_dir, override_);
  // A tokenizer.json / tokenizer.model path stands for the directory it is in.
  fs::path dir = model_dir;
  if (!model_dir.empty() && !fs::exists(dir)) fail("{}: no such model directory or file", model_dir);
  if (!model_dir.empty() && !fs::is_directory(dir)) dir = dir.parent_path();
  const fs::path config_path = dir / "tokenizer_config.json";
  TokenizerConfig config = model_dir.empty() ? TokenizerConfig{} : read_tokenizer_config(config_path.string());

  if (!override_.empty()) return override_template(override_, config.bos_token, config.eos_token);
  if (model_dir.empty()) fail("no model directory and no --chat-template given");
  if (fs::is_regular_file(dir / "chat_template.jinja"))
    return from_source(read_text_file(dir / "chat_template.jinja"), config.bos_token, config.eos_token);
  // Processors (LLaVA-NeXT, ...) keep theirs in chat_template.json.
  if (fs::is_regular_file(dir / "chat_template.json")) {
    const std::string what = (dir / "chat_template.json").string();
    auto j = io::parse_json(read_text_file(dir / "chat_template.json"), what);
    if (j.is_object() && j.contains("chat_template"))
      return from_source(template_from_json(j["chat_template"], what), config.bos_token, config.eos_token);
  }
  if (fs::is_regular_file(config_path)) {
    const std::string what = config_path.string();
    auto j = io::parse_json(read_text_file(config_path), what);
    if (j.is_object() && j.contains("chat_template") && !j["chat_template"].is_null())
      return from_source(template_from_json(j["chat_template"], what), config.bos_token, config.eos_token);
  }
  fail("{} has no chat template (no chat_template.jinja, no \"chat_template\" in tokenizer_config.json); "
       "pass --chat-template with one of {} or a .jinja file",
       dir.string(), builtin_list());
}

std::string ChatTemplate::render(const nlohmann::json& messages, bool add_generation_prompt) const {
  return render(messages, add_generation_prompt, nlohmann::json::object());
}

std::string ChatTemplate::render(const nlohmann::json& messages, bool add_generation_prompt,
                                 const nlohmann::json& extra_vars) const {
  return render(nlohmann::ordered_json(messages), add_generation_prompt, nlohmann::ordered_json(extra_vars));
}

std::string ChatTemplate::render(const nlohmann::ordered_json& messages, bool add_generation_prompt,
                                 const nlohmann::ordered_json& extra_vars) const {
  if (!messages.is_array()) fail("chat messages must be a JSON list of {{\"role\", \"content\"}} objects");
  for (size_t i = 0; i < messages.size(); ++i)
    if (!messages[i].is_object() || !messages[i].contains("role"))
      fail("chat message {} must be an object with a \"role\"", i);
  if (!extra_vars.is_null() && !extra_vars.is_object()) fail("chat template variables must be a JSON object");
  // What transformers' apply_chat_template passes: the special tokens (overridable), tools and
  // documents (None unless given), then the messages and the flag.
  nlohmann::ordered_json vars = {{"bos_token", bos_token_}, {"eos_token", eos_token_}, {"tools", nullptr}, {"documents", nullptr}};
  if (extra_vars.is_object())
    for (auto it = extra_vars.begin(); it != extra_vars.end(); ++it) {
      if (it.key() == "messages" || it.key() == "add_generation_prompt")
        fail("chat template variable '{}' is set by render() itself", it.key());
      vars[it.key()] = it.value();
    }
  vars["messages"] = messages;
  vars["add_generation_prompt"] = add_generation_prompt;
  return parsed_->render(vars);
}

std::vector<std::string> ChatTemplate::builtin_names() {
  std::vector<std::string> names;
  for (const auto& t : jinja::builtin_chat_templates()) names.emplace_back(t.name);
  return names;
}

}  // namespace argus::text
