// `argus template`: renders a model's chat template for a messages file and prints the exact
// prompt (no newline added), to see what a chat model will be fed.
#include <cstdio>

#include "cli/commands.h"
#include "hub/pull.h"
#include "io/json_file.h"
#include "tasks/chat/chat_limits.h"
#include "text/chat_template.h"
#include "util/error.h"

namespace argus::cli {

void add_template(CLI::App& app) {
  auto* cmd = app.add_subcommand("template", "Render a chat template for a list of messages and print the prompt");
  struct Opts {
    std::string model, chat_template, messages;
    bool no_generation_prompt = false, json = false, list = false;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--model", o->model, "checkpoint directory or org/name[@rev] (its chat_template.jinja or tokenizer_config.json)");
  cmd->add_option("--chat-template", o->chat_template, "a built-in template name or a .jinja file (overrides the model's)");
  cmd->add_option("--messages", o->messages,
                  "JSON file: a list of {\"role\", \"content\"} messages, or an object with \"messages\" and more "
                  "template variables (e.g. \"tools\", \"date_string\")");
  cmd->add_flag("--no-generation-prompt", o->no_generation_prompt, "do not open an assistant turn at the end");
  cmd->add_flag("--json", o->json, "print {\"prompt\": ...} instead of the raw prompt");
  cmd->add_flag("--list", o->list, "list the built-in template names");
  cmd->callback([o] {
    if (o->list) {
      for (const auto& n : text::ChatTemplate::builtin_names()) std::printf("%s\n", n.c_str());
      return;
    }
    if (o->messages.empty()) fail("--messages is required (a JSON file with the chat messages)");
    if (o->model.empty() && o->chat_template.empty()) fail("pass --model DIR or --chat-template NAME|FILE");
    nlohmann::json input = io::read_json(o->messages);
    nlohmann::json messages, extra = nlohmann::json::object();
    if (input.is_array()) {
      messages = input;
    } else if (input.is_object() && input.contains("messages")) {
      messages = input["messages"];
      for (auto it = input.begin(); it != input.end(); ++it)
        if (it.key() != "messages") extra[it.key()] = it.value();
    } else {
      fail("{}: expected a list of messages or an object with \"messages\"", o->messages);
    }
    if (messages.is_array()) tasks::check_message_count(messages.size());
    auto tmpl = text::ChatTemplate::for_model(hub::resolve_model(o->model), o->chat_template);
    std::string prompt = tmpl.render(messages, !o->no_generation_prompt, extra);
    if (o->json) return print_json({{"prompt", prompt}});
    std::fwrite(prompt.data(), 1, prompt.size(), stdout);
  });
}

}  // namespace argus::cli
