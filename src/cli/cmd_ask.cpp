// `argus ask`: one question (with images) to a chat model, the answer streamed to stdout.
#include <cstdio>

#include "cli/commands.h"
#include "tasks/chat/chat_session.h"
#include "tasks/chat/generation_settings.h"

namespace argus::cli {

void add_ask(CLI::App& app) {
  auto* cmd = app.add_subcommand("ask", "Ask a chat model (LLaVA or an LLM) one question; the answer streams out");
  struct Opts {
    std::string model, question, chat_template;
    std::vector<std::string> images;
    bool pad_square = false;
    tasks::GenerationSettings gen;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--model", o->model, "llava / llama / mistral / qwen2 checkpoint directory")->required();
  cmd->add_option("--image", o->images, "image to ask about (repeatable)");
  cmd->add_option("--chat-template", o->chat_template, "built-in template name or a Jinja file (default: the model's)");
  cmd->add_flag("--pad-square", o->pad_square, "pad images to a square with the mean colour (LLaVA's 'pad')");
  cmd->add_option("question", o->question, "the question")->required();
  add_generation_flags(cmd, o->gen);
  cmd->callback([o] {
    auto model = tasks::ChatModel::open(o->model, o->gen.dtype);
    if (o->pad_square) model->pad_to_square = true;
    model->require_tokenizer("ask");  // before the template, whose error would be less to the point
    tasks::ChatSession session(*model, text::ChatTemplate::for_model(o->model, o->chat_template),
                               tasks::generate_options(o->gen, *model), o->gen.stop);
    for (const auto& path : o->images) session.add_image(path);
    session.ask(o->question, [](const std::string& piece) {
      std::fwrite(piece.data(), 1, piece.size(), stdout);
      std::fflush(stdout);
    });
    std::fputc('\n', stdout);
  });
}

}  // namespace argus::cli
