// A multi-turn conversation with a ChatModel: history as chat messages, images
// attached to the next user turn, prompts rendered with the checkpoint's chat
// template, answers streamed as they are generated. Each image is encoded once,
// when attached, and its features are reused on every later turn.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include "tasks/chat/chat_completion.h"
#include "tasks/chat/chat_model.h"
#include "text/chat_template.h"

namespace argus::tasks {

class ChatSession {
 public:
  // `stop`: stop strings (not part of the answer).
  ChatSession(ChatModel& model, text::ChatTemplate tmpl, GenerateOptions opts, std::vector<std::string> stop = {});

  // Decodes and encodes the image now (errors surface here), for the next user message.
  void add_image(const std::string& path);
  size_t pending_images() const { return pending_paths_.size(); }

  // Adds the user turn, generates the answer (each piece of text goes to on_text as it
  // is decoded) and adds it to the history. `interrupted` is polled per token; when it
  // returns true the answer ends there and is kept as it is. On an error (prompt too
  // long, ...) the history is left as it was.
  ChatReply ask(const std::string& text, const std::function<void(const std::string&)>& on_text = {},
                const std::function<bool()>& interrupted = {});

  // Forgets the history and any pending images.
  void reset();
  // [{"role": "user"|"assistant", "content": ...}]; image parts carry their "path".
  const nlohmann::json& messages() const { return messages_; }
  void save(const std::string& path) const;

 private:
  nlohmann::json content(const std::string& text, const std::vector<std::string>& image_paths) const;

  ChatModel& model_;
  text::ChatTemplate tmpl_;
  GenerateOptions opts_;
  std::vector<std::string> stop_;
  nlohmann::json messages_ = nlohmann::json::array();
  std::vector<at::Tensor> features_;  // every image in messages_, in order
  std::vector<std::string> pending_paths_;
  std::vector<at::Tensor> pending_features_;
};

}  // namespace argus::tasks
