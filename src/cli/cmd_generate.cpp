// `argus generate`: token ids in, token ids (and text) out, for plain decoders and
// LLaVA. The low-level entry point that parity checks and scripts use.
#include <chrono>
#include <cstdio>

#include "cli/commands.h"
#include "hub/pull.h"
#include "image/decode.h"
#include "nn/tensor_io.h"
#include "tasks/chat/chat_limits.h"
#include "tasks/chat/chat_model.h"
#include "tasks/chat/generation_settings.h"
#include "tasks/chat/text_stream.h"
#include "util/error.h"

namespace argus::cli {

void add_generation_flags(CLI::App* cmd, tasks::GenerationSettings& s) {
  cmd->add_option("--max-tokens", s.max_tokens, "most new tokens to generate")->capture_default_str();
  cmd->add_flag("--greedy", s.greedy, "greedy decoding (the default unless --temperature is set)");
  cmd->add_option("--temperature", s.sampling.temperature, "sampling temperature (0: greedy)");
  cmd->add_option("--top-k", s.sampling.top_k, "keep the k most likely tokens (0: off)");
  cmd->add_option("--top-p", s.sampling.top_p, "nucleus sampling: keep tokens up to this probability mass");
  cmd->add_option("--min-p", s.sampling.min_p, "drop tokens below min-p times the top probability");
  cmd->add_option("--repetition-penalty", s.sampling.repetition_penalty, "penalise tokens already seen (>1)");
  cmd->add_option_function<std::string>(
      "--seed", [&s](const std::string& v) { s.sampling.seed = tasks::parse_seed(v); },
      "random seed for sampling (an integer in 0..2^64-1)");
  cmd->add_option("--stop", s.stop, "stop when the text contains this string (repeatable)");
  cmd->add_option("--dtype", s.dtype,
                  "decoder weights: auto (bfloat16 for a 16-bit checkpoint, else float32), float32 or bfloat16")
      ->check(CLI::IsMember({"auto", "float32", "bfloat16"}));
  cmd->add_option("--json-schema", s.json_schema_file,
                  "constrain the output to JSON valid against this JSON Schema file (see README)")
      ->check(CLI::ExistingFile);
}

namespace {

std::vector<int64_t> parse_ids(const std::string& s) {
  std::vector<int64_t> ids;
  size_t pos = 0;
  while (pos <= s.size()) {
    size_t comma = s.find(',', pos);
    std::string item = s.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    size_t b = item.find_first_not_of(" \t"), e = item.find_last_not_of(" \t");
    item = b == std::string::npos ? "" : item.substr(b, e - b + 1);
    size_t used = 0;
    long long v = 0;
    try {
      v = std::stoll(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (item.empty() || used != item.size()) fail("--prompt-ids: \"{}\" is not an integer token id", item);
    ids.push_back(v);
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return ids;
}

}  // namespace

void add_generate(CLI::App& app) {
  auto* cmd = app.add_subcommand("generate", "Generate tokens from prompt token ids (LLMs and LLaVA)");
  struct Opts {
    std::string model, lora, prompt_ids, logits_out;
    std::vector<std::string> images;
    bool json = false, pad_square = false;
    tasks::GenerationSettings gen;
  };
  auto o = std::make_shared<Opts>();
  o->gen.max_tokens = 32;
  cmd->add_option("--model", o->model, "llama / mistral / qwen2 / llava / llava_next checkpoint directory, llama.cpp .gguf file, or org/name[@rev]")->required();
  cmd->add_option("--lora", o->lora, "PEFT LoRA adapter directory, folded into the weights at load");
  cmd->add_option("--image", o->images, "image for the prompt's image tokens, in order (repeatable)");
  cmd->add_option("--prompt-ids", o->prompt_ids,
                  "comma-separated prompt ids; an image is one image-token id or as many as it has features")
      ->required();
  cmd->add_option("--logits-out", o->logits_out, "write the prompt's logits [L, vocab] to this safetensors file");
  cmd->add_flag("--pad-square", o->pad_square, "pad images to a square with the mean colour (LLaVA's 'pad')");
  cmd->add_flag("--json", o->json, "print JSON: prompt_ids (image tokens expanded), ids (new only), text, finish_reason, timings");
  add_generation_flags(cmd, o->gen);
  cmd->callback([o] {
    std::vector<int64_t> ids = parse_ids(o->prompt_ids);
    tasks::check_image_count(o->images.size());
    o->model = hub::resolve_model(o->model);
    using clock = std::chrono::steady_clock;
    auto seconds = [](clock::time_point a, clock::time_point b) { return std::chrono::duration<double>(b - a).count(); };
    const auto t_open = clock::now();
    auto model = tasks::ChatModel::open(o->model, o->gen.dtype, o->lora);
    const auto t_loaded = clock::now();
    tasks::GenerateOptions gopts = tasks::generate_options(o->gen, *model);
    if (o->pad_square) model->pad_to_square = true;
    std::vector<at::Tensor> feats;
    if (!o->images.empty() && !model->has_vision())
      fail("{}: model_type \"{}\" is text-only and takes no images ({} given)", o->model, model->model_type(),
           o->images.size());
    for (const auto& path : o->images) feats.push_back(model->encode_image(image::load_image(path)));
    const auto t_images = clock::now();
    tasks::ChatPrompt prompt = model->build_prompt(ids, feats);
    if (!o->logits_out.empty()) nn::save_safetensors(o->logits_out, {{"logits", model->prompt_logits(prompt)}});

    std::unique_ptr<tasks::TextStream> stream;
    if (model->tokenizer()) stream = std::make_unique<tasks::TextStream>(*model->tokenizer(), o->gen.stop);
    std::string text;
    clock::time_point t_first{};
    size_t emitted = 0;
    gopts.on_token = [&](size_t, int64_t id) {
      if (emitted++ == 0) t_first = clock::now();
      if (!stream) return true;
      std::string piece = stream->push(id);
      if (!o->json) std::fputs(piece.c_str(), stdout), std::fflush(stdout);
      return !stream->stopped();
    };
    const auto t_start = clock::now();
    tasks::Generation g = model->generate(prompt, gopts);
    const auto t_end = clock::now();
    std::string reason = g.finish_reason[0] == "callback" ? "stop" : g.finish_reason[0];
    if (stream) {
      std::string tail = stream->finish();
      if (!o->json) std::fputs(tail.c_str(), stdout);
      text = stream->text();
    }
    if (o->json) {
      // As llama.cpp reports them: the prompt's forward pass ends with the first token;
      // every later token is one decode step.
      const size_t steps = emitted > 0 ? emitted - 1 : 0;
      const double prefill = emitted > 0 ? seconds(t_start, t_first) : seconds(t_start, t_end);
      const double decode = emitted > 0 ? seconds(t_first, t_end) : 0.0;
      nlohmann::json timings = {{"load_s", seconds(t_open, t_loaded)},
                                {"image_encode_s", seconds(t_loaded, t_images)},
                                {"prompt_tokens", prompt.ids.size()},
                                {"prefill_s", prefill},
                                {"prefill_tokens_per_s", prefill > 0 ? prompt.ids.size() / prefill : 0.0},
                                {"decode_tokens", steps},
                                {"decode_s", decode},
                                {"decode_tokens_per_s", decode > 0 ? steps / decode : 0.0}};
      return print_json({{"prompt_ids", prompt.ids},
                         {"ids", g.tokens[0]},
                         {"text", text},
                         {"finish_reason", reason},
                         {"timings", timings}});
    }
    if (!stream)  // no tokenizer: the ids are the output
      for (size_t i = 0; i < g.tokens[0].size(); ++i) std::printf(i ? ",%lld" : "%lld", (long long)g.tokens[0][i]);
    std::printf("\n");
  });
}

}  // namespace argus::cli
