// The agent's LLM: a ChatModel whose chat template prints tools (Qwen2.5, Hermes 3,
// Llama 3.1, Mistral v0.3 ...), prompted with the tools as the template renders them.
// The model only reads text: images reach it through the tools' results (MM-REACT),
// so any instruction-tuned LLM with a tool template can drive the agent.
#pragma once
#include <string>
#include <vector>

#include "tasks/agent/agent_loop.h"
#include "tasks/chat/chat_model.h"
#include "text/chat_template.h"

namespace argus::tasks::agent {

class ModelDriver : public ChatDriver {
 public:
  // An argus::Error naming `name` when the model has no tokenizer or its template
  // prints no tool calls (the model would never see the tools, nor could its calls be read).
  ModelDriver(ChatModel& model, text::ChatTemplate tmpl, GenerateOptions opts, const std::string& name);

  std::string reply(const nlohmann::ordered_json& messages, const nlohmann::ordered_json& tools,
                    const std::function<bool()>& interrupted) override;
  text::ToolCallSyntax syntax() const override { return syntax_; }

  std::vector<std::string> stop;  // stop strings (not part of the reply)

 private:
  ChatModel& model_;
  text::ChatTemplate tmpl_;
  GenerateOptions opts_;
  text::ToolCallSyntax syntax_;
};

}  // namespace argus::tasks::agent
