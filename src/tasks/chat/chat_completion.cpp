#include "tasks/chat/chat_completion.h"

#include "tasks/chat/text_stream.h"

namespace argus::tasks {

std::vector<int64_t> tokenize_chat(const ChatModel& model, const text::ChatTemplate& tmpl,
                                   const nlohmann::json& messages) {
  return tokenize_chat(model, tmpl, nlohmann::ordered_json(messages), nlohmann::ordered_json::object());
}

std::vector<int64_t> tokenize_chat(const ChatModel& model, const text::ChatTemplate& tmpl,
                                   const nlohmann::ordered_json& messages, const nlohmann::ordered_json& vars) {
  const text::Tokenizer& tok = model.require_tokenizer("chat");
  std::string prompt = tmpl.render(messages, true, vars);
  // Templates that write the BOS token themselves must not get a second one.
  bool has_bos = false;
  if (tok.bos_id() >= 0) {
    std::string bos = tok.tokens({tok.bos_id()})[0];
    has_bos = !bos.empty() && prompt.compare(0, bos.size(), bos) == 0;
  }
  return tok.encode(prompt, !has_bos);
}

ChatReply complete_chat(ChatModel& model, const text::ChatTemplate& tmpl, const nlohmann::json& messages,
                        const std::vector<at::Tensor>& image_features, const GenerateOptions& opts,
                        const std::vector<std::string>& stop, const std::function<void(const std::string&)>& on_text,
                        const std::function<bool()>& interrupted) {
  return complete_ids(model, tokenize_chat(model, tmpl, messages), image_features, opts, stop, on_text, interrupted);
}

ChatReply complete_ids(ChatModel& model, const std::vector<int64_t>& ids, const std::vector<at::Tensor>& image_features,
                       const GenerateOptions& opts, const std::vector<std::string>& stop,
                       const std::function<void(const std::string&)>& on_text,
                       const std::function<bool()>& interrupted) {
  return complete_prompt(model, model.build_prompt(ids, image_features), opts, stop, on_text, interrupted);
}

ChatReply complete_prompt(ChatModel& model, const ChatPrompt& prompt, const GenerateOptions& opts,
                          const std::vector<std::string>& stop, const std::function<void(const std::string&)>& on_text,
                          const std::function<bool()>& interrupted) {
  TextStream stream(model.require_tokenizer("chat"), stop);
  bool was_interrupted = false;
  GenerateOptions o = opts;
  o.on_token = [&](size_t, int64_t id) {
    std::string piece = stream.push(id);
    if (on_text && !piece.empty()) on_text(piece);
    if (interrupted && interrupted()) {
      was_interrupted = true;
      return false;
    }
    return !stream.stopped();
  };
  Generation g = model.generate(prompt, o);
  std::string tail = stream.finish();
  if (on_text && !tail.empty()) on_text(tail);

  ChatReply r;
  r.text = stream.text();
  r.finish_reason = was_interrupted ? "interrupted" : g.finish_reason[0] == "callback" ? "stop" : g.finish_reason[0];
  r.prompt_tokens = static_cast<int64_t>(prompt.ids.size());
  r.generated_tokens = static_cast<int64_t>(g.tokens[0].size());
  return r;
}

}  // namespace argus::tasks
