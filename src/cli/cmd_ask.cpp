// `argus ask`: one question (with images) to a chat model, the answer streamed to stdout.
#include <cstdio>

#include "cli/chat_args.h"
#include "cli/commands.h"

namespace argus::cli {

void add_ask(CLI::App& app) {
  auto* cmd = app.add_subcommand("ask", "Ask a chat model (LLaVA or an LLM) one question; the answer streams out");
  struct Opts {
    ChatArgs chat;
    std::string question;
  };
  auto o = std::make_shared<Opts>();
  add_chat_flags(cmd, o->chat, "image to ask about (repeatable)");
  cmd->add_option("question", o->question, "the question")->required();
  cmd->callback([o] {
    auto c = open_chat(o->chat, "ask");
    c.session->ask(o->question, [](const std::string& piece) {
      std::fwrite(piece.data(), 1, piece.size(), stdout);
      std::fflush(stdout);
    });
    std::fputc('\n', stdout);
  });
}

}  // namespace argus::cli
