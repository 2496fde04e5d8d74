#include "tasks/agent/model_driver.h"

#include "tasks/chat/chat_completion.h"
#include "util/error.h"

namespace argus::tasks::agent {

ModelDriver::ModelDriver(ChatModel& model, text::ChatTemplate tmpl, GenerateOptions opts, const std::string& name)
    : model_(model), tmpl_(std::move(tmpl)), opts_(std::move(opts)), syntax_(text::tool_call_syntax_of(tmpl_.source())) {
  if (!model_.tokenizer()) fail("model {} ships no tokenizer: the agent needs a chat model", name);
  if (syntax_ == text::ToolCallSyntax::None)
    fail("model {} cannot call tools: its chat template prints no tool calls (give it a tool template with "
         "--chat-template, e.g. qwen2.5 or hermes3-tools)",
         name);
}

std::string ModelDriver::reply(const nlohmann::ordered_json& messages, const nlohmann::ordered_json& tools,
                               const std::function<bool()>& interrupted) {
  nlohmann::ordered_json vars = nlohmann::ordered_json::object();
  if (!tools.empty()) vars["tools"] = tools;
  auto ids = tokenize_chat(model_, tmpl_, messages, vars);
  return complete_ids(model_, ids, {}, opts_, stop, {}, interrupted).text;
}

}  // namespace argus::tasks::agent
