#include "cli/chat_args.h"

#include "cli/commands.h"
#include "cli/default_models.h"
#include "tasks/chat/chat_limits.h"

namespace argus::cli {

void add_chat_flags(CLI::App* cmd, ChatArgs& a, const char* image_help) {
  cmd->add_option("--model", a.model, "llava / llava_next / blip-2 / llama / mistral / qwen2 checkpoint directory, llama.cpp .gguf file, or org/name[@rev] (default: the world LLaVA)");
  cmd->add_option("--lora", a.lora, "PEFT LoRA adapter directory, folded into the model's weights at load");
  cmd->add_option("--image", a.images, image_help);
  cmd->add_option("--chat-template", a.chat_template, "built-in template name or a Jinja file (default: the model's)");
  cmd->add_flag("--pad-square", a.pad_square, "pad images to a square with the mean colour (LLaVA's 'pad')");
  add_generation_flags(cmd, a.gen);
}

OpenChat open_chat(const ChatArgs& a, const char* what) {
  tasks::check_image_count(a.images.size());
  tasks::check_stop_strings(a.gen.stop);
  OpenChat c;
  const std::string dir = model_or_default(a.model, "llava");
  c.model = tasks::ChatModel::open(dir, a.gen.dtype, a.lora);
  if (a.pad_square) c.model->pad_to_square = true;
  c.model->require_tokenizer(what);  // before the template, whose error would be less to the point
  c.session = std::make_unique<tasks::ChatSession>(*c.model, text::ChatTemplate::for_model(dir, a.chat_template),
                                                   tasks::generate_options(a.gen, *c.model), a.gen.stop);
  for (const auto& path : a.images) c.session->add_image(path);
  return c;
}

}  // namespace argus::cli
