#include "tasks/chat/chat_session.h"

#include <fstream>

#include "image/decode.h"
#include "util/error.h"

namespace argus::tasks {

ChatSession::ChatSession(ChatModel& model, text::ChatTemplate tmpl, GenerateOptions opts,
                         std::vector<std::string> stop)
    : model_(model), tmpl_(std::move(tmpl)), opts_(std::move(opts)), stop_(std::move(stop)) {
  model_.require_tokenizer("chat");
}

void ChatSession::add_image(const std::string& path) {
  if (!model_.has_vision())
    fail("{}: model_type \"{}\" is text-only and takes no images", model_.dir(), model_.model_type());
  at::Tensor f = model_.encode_image(image::load_image(path));
  pending_paths_.push_back(path);
  pending_features_.push_back(f);
}

nlohmann::json ChatSession::content(const std::string& text, const std::vector<std::string>& image_paths) const {
  // Text-only templates expect a string; multimodal ones iterate typed parts.
  if (!model_.has_vision()) return text;
  nlohmann::json parts = nlohmann::json::array();
  for (const auto& p : image_paths) parts.push_back({{"type", "image"}, {"path", p}});
  parts.push_back({{"type", "text"}, {"text", text}});
  return parts;
}

ChatReply ChatSession::ask(const std::string& text, const std::function<void(const std::string&)>& on_text,
                           const std::function<bool()>& interrupted) {
  nlohmann::json messages = messages_;
  messages.push_back({{"role", "user"}, {"content", content(text, pending_paths_)}});
  std::vector<at::Tensor> features = features_;
  features.insert(features.end(), pending_features_.begin(), pending_features_.end());

  ChatReply r = complete_chat(model_, tmpl_, messages, features, opts_, stop_, on_text, interrupted);
  messages.push_back({{"role", "assistant"}, {"content", content(r.text, {})}});
  messages_ = std::move(messages);
  features_ = std::move(features);
  pending_paths_.clear();
  pending_features_.clear();
  return r;
}

void ChatSession::reset() {
  messages_ = nlohmann::json::array();
  features_.clear();
  pending_paths_.clear();
  pending_features_.clear();
}

void ChatSession::save(const std::string& path) const {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) fail("cannot write {}", path);
  out << messages_.dump(1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  if (!out.flush()) fail("cannot write {}", path);
}

}  // namespace argus::tasks
