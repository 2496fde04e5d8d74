// What `ask` and `chat` share: the model, template and image flags, and starting a
// session on the model.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "tasks/chat/chat_session.h"
#include "tasks/chat/generation_settings.h"

namespace argus::cli {

struct ChatArgs {
  std::string model, lora, chat_template;
  std::vector<std::string> images;
  bool pad_square = false;
  tasks::GenerationSettings gen;
};

// --model, --lora, --image (described by `image_help`), --chat-template, --pad-square and the
// generation flags.
void add_chat_flags(CLI::App* cmd, ChatArgs& a, const char* image_help);

// The model and a session on it with the --image files attached. `what` names the
// command in the error for a checkpoint without a tokenizer.
struct OpenChat {
  std::unique_ptr<tasks::ChatModel> model;
  std::unique_ptr<tasks::ChatSession> session;
};
OpenChat open_chat(const ChatArgs& a, const char* what);

}  // namespace argus::cli
