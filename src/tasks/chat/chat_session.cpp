#include "tasks/chat/chat_session.h"

#include <fstream>

#include "image/decode.h"
#include "tasks/chat/text_stream.h"
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

std::vector<int64_t> ChatSession::tokenize_prompt(const nlohmann::json& messages) const {
  const text::Tokenizer& tok = model_.require_tokenizer("chat");
  std::string prompt = tmpl_.render(messages, true);
  // Templates that write the BOS token themselves must not get a second one.
  bool has_bos = false;
  if (tok.bos_id() >= 0) {
    std::string bos = tok.tokens({tok.bos_id()})[0];
    has_bos = !bos.empty() && prompt.compare(0, bos.size(), bos) == 0;
  }
  return tok.encode(prompt, !has_bos);
}

ChatReply ChatSession::ask(const std::string& text, const std::function<void(const std::string&)>& on_text,
                           const std::function<bool()>& interrupted) {
  nlohmann::json messages = messages_;
  messages.push_back({{"role", "user"}, {"content", content(text, pending_paths_)}});
  std::vector<at::Tensor> features = features_;
  features.insert(features.end(), pending_features_.begin(), pending_features_.end());

  ChatPrompt prompt = model_.build_prompt(tokenize_prompt(messages), features);
  TextStream stream(model_.require_tokenizer("chat"), stop_);
  bool was_interrupted = false;
  GenerateOptions opts = opts_;
  opts.on_token = [&](size_t, int64_t id) {
    std::string piece = stream.push(id);
    if (on_text && !piece.empty()) on_text(piece);
    if (interrupted && interrupted()) {
      was_interrupted = true;
      return false;
    }
    return !stream.stopped();
  };
  Generation g = model_.generate(prompt, opts);
  std::string tail = stream.finish();
  if (on_text && !tail.empty()) on_text(tail);

  ChatReply r;
  r.text = stream.text();
  r.finish_reason = was_interrupted ? "interrupted" : g.finish_reason[0] == "callback" ? "stop" : g.finish_reason[0];
  r.prompt_tokens = static_cast<int64_t>(prompt.ids.size());
  r.generated_tokens = static_cast<int64_t>(g.tokens[0].size());

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
