// One stateless chat turn: messages (the chat template's format) and the features
// of their images in order -> the assistant's answer, streamed as it is decoded.
// ChatSession keeps history on top of it; the HTTP server calls it per request.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include "tasks/chat/chat_model.h"
#include "text/chat_template.h"

namespace argus::tasks {

struct ChatReply {
  std::string text;
  std::string finish_reason;  // "stop", "length", "interrupted" or "grammar" (see GenerateOptions)
  int64_t prompt_tokens = 0, generated_tokens = 0;
};

// The rendered prompt's ids, with the tokenizer's BOS unless the template wrote it.
std::vector<int64_t> tokenize_chat(const ChatModel& model, const text::ChatTemplate& tmpl,
                                   const nlohmann::json& messages);
// With keys in insertion order and template variables (e.g. {"tools": [...]}).
std::vector<int64_t> tokenize_chat(const ChatModel& model, const text::ChatTemplate& tmpl,
                                   const nlohmann::ordered_json& messages, const nlohmann::ordered_json& vars);

// Generates from prompt ids as they are (each image as one image token or expanded;
// no template), streaming text as complete_chat does.
ChatReply complete_ids(ChatModel& model, const std::vector<int64_t>& ids, const std::vector<at::Tensor>& image_features,
                       const GenerateOptions& opts, const std::vector<std::string>& stop,
                       const std::function<void(const std::string&)>& on_text = {},
                       const std::function<bool()>& interrupted = {});

// The same from a prompt already built (ChatModel::build_prompt refuses ids outside the
// vocabulary, image-token mismatches and prompts over the context), so that a caller
// can refuse a bad prompt before it starts to answer (the server sends its status
// before generating).
ChatReply complete_prompt(ChatModel& model, const ChatPrompt& prompt, const GenerateOptions& opts,
                          const std::vector<std::string>& stop,
                          const std::function<void(const std::string&)>& on_text = {},
                          const std::function<bool()>& interrupted = {});

// Generates the answer to `messages` (ending with a user turn). `on_text` gets each
// piece of text as it becomes safe to show; `interrupted` is polled per token and ends
// the answer where it is. `stop`: stop strings, not part of the answer.
ChatReply complete_chat(ChatModel& model, const text::ChatTemplate& tmpl, const nlohmann::json& messages,
                        const std::vector<at::Tensor>& image_features, const GenerateOptions& opts,
                        const std::vector<std::string>& stop,
                        const std::function<void(const std::string&)>& on_text = {},
                        const std::function<bool()>& interrupted = {});

}  // namespace argus::tasks
