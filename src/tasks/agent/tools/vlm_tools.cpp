// caption and ask: the configured VLM (LLaVA) looks at one image or crop.
#include "tasks/agent/tools/tool_args.h"
#include "tasks/agent/tools/tools.h"
#include "tasks/chat/chat_completion.h"
#include "tasks/chat/generation_settings.h"
#include "tasks/ground/phrases.h"

namespace argus::tasks::agent {

namespace {

ToolResult ask_vlm(const image::Image& img, const std::string& question, ToolContext& ctx) {
  ChatModel& vlm = ctx.experts.vlm();
  const auto& tmpl = ctx.experts.vlm_template();
  nlohmann::json messages = nlohmann::json::array(
      {{{"role", "user"}, {"content", {{{"type", "image"}}, {{"type", "text"}, {"text", question}}}}}});
  GenerationSettings settings;
  settings.max_tokens = 64;  // an expert's answer is a phrase or a sentence
  auto reply = complete_chat(vlm, tmpl, messages, {vlm.encode_image(img)}, generate_options(settings, vlm), {});
  ToolResult out;
  out.text = trim_space(reply.text);  // without the space a tokenizer leaves in front
  out.data = {{"answer", out.text}};
  return out;
}

}  // namespace

Tool caption_tool() {
  Tool t;
  t.name = "caption";
  t.description = "A vision-language model describes the image in a sentence.";
  t.parameters = object_schema({{"image", image_param()}}, {"image"});
  t.needs = {Expert::Vlm};
  t.run = [](const nlohmann::json& args, ToolContext& ctx) {
    return ask_vlm(image_arg(args, ctx), "Describe the image.", ctx);
  };
  return t;
}

Tool ask_tool() {
  Tool t;
  t.name = "ask";
  t.description = "A vision-language model answers a question about the image (or a crop of it).";
  t.parameters = object_schema(
      {{"image", image_param()},
       {"question", {{"type", "string"}, {"description", "the question"}, {"minLength", 1}, {"maxLength", 500}}}},
      {"image", "question"});
  t.needs = {Expert::Vlm};
  t.run = [](const nlohmann::json& args, ToolContext& ctx) {
    return ask_vlm(image_arg(args, ctx), args.at("question").get<std::string>(), ctx);
  };
  return t;
}

}  // namespace argus::tasks::agent
