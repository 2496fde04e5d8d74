// argus side of the LLM benchmark: a real-size Llama-shaped decoder with random
// weights, prefill of a prompt then cached single-token decode, timed in-process.
// bench/run_llm_bench.py runs the PyTorch eager reference (reference_llama.py)
// with the same config in the same script and writes the ratios to bench/README.md.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <fstream>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "engine/runtime.h"
#include "models/llama/llama_model.h"
#include "models/llava/llava_config.h"
#include "models/llava/llava_model.h"
#include "nn/inference.h"
#include "nn/tensor_io.h"
#include "tasks/chat/chat_model.h"

using namespace argus;

namespace {

double now_ms() {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// A /proc/self/status memory line ("VmHWM:" peak, "VmRSS:" current) in MiB.
double status_mib(const std::string& field) {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind(field, 0) == 0) return std::stod(line.substr(field.size())) / 1024.0;
  return 0;
}
double peak_rss_mib() { return status_mib("VmHWM:"); }
double rss_mib() { return status_mib("VmRSS:"); }

// Writes the decoder with random weights as a float16 checkpoint directory.
void write_fp16_checkpoint(const nlohmann::json& cfg_json, const std::string& dir) {
  auto cfg = models::llama::parse_llama_config(cfg_json);
  models::llama::LlamaForCausalLM model(cfg);
  std::map<std::string, at::Tensor> tensors;
  for (const auto& p : model->named_parameters()) tensors[p.key()] = p.value().detach().to(at::kHalf);
  std::filesystem::create_directories(dir);
  nn::save_safetensors(dir + "/model.safetensors", tensors);
  nlohmann::json c = cfg_json;
  c["torch_dtype"] = "float16";
  std::ofstream(dir + "/config.json") << c.dump(1);
}

// Memory of a float16 checkpoint loaded the normal way (dtype auto), after a prefill
// and a decode step, against the checkpoint's size on disk.
nlohmann::json checkpoint_memory(const std::string& dir) {
  auto model = tasks::ChatModel::open(dir, "auto");
  at::NoGradGuard ng;
  auto& lm = model->decoder();
  auto cache = lm.new_cache();
  at::Tensor ids = at::randint(1, lm.cfg.vocab_size, {1, 32}, at::kLong);
  at::Tensor next = lm.forward(ids, &cache, {}, 1).argmax(-1);
  lm.forward(next, &cache, {}, 1);
  const double file_mib = static_cast<double>(std::filesystem::file_size(dir + "/model.safetensors")) / (1 << 20);
  return {{"checkpoint_mib", file_mib}, {"rss_mib", rss_mib()}, {"peak_rss_mib", peak_rss_mib()},
          {"weights_dtype", at::toString(lm.model->embed_tokens->weight.scalar_type())}};
}

// LLaVA's time to first token for one image and `text` tokens: vision tower,
// projector, merge, prefill, first token. bf16 here packs bf16 copies of the linear
// layers (activations stay float32), argus's bf16 inference mode.
nlohmann::json llava_ttft(const nlohmann::json& cfg_json, bool bf16, int text, int iters) {
  auto cfg = models::llava::parse_llava_config(cfg_json);
  models::llava::LlavaForConditionalGeneration model(cfg);
  model->eval();
  nn::InferenceOptions opts;
  opts.bf16 = bf16;
  nn::prepare_for_inference(*model, opts);
  at::NoGradGuard ng;
  const int64_t side = cfg.vision.image_size;
  at::Tensor px = at::randn({1, 3, side, side});
  at::Tensor ids = at::randint(1, cfg.text.vocab_size, {1, text + 1}, at::kLong);
  ids[0][0] = cfg.image_token_index;  // one image slot, expanded by the features
  auto run = [&] {
    at::Tensor feats = model->image_features(px)[0];
    std::vector<int64_t> expanded(static_cast<size_t>(feats.size(0)), cfg.image_token_index);
    for (int64_t i = 1; i < ids.size(1); ++i) expanded.push_back(ids[0][i].item<int64_t>());
    at::Tensor embeds = model->merge_embeddings(at::tensor(expanded, at::kLong).unsqueeze(0), feats);
    auto cache = model->language_model->new_cache();
    return model->language_model->forward_embeds(embeds, &cache, {}, 1).argmax(-1);
  };
  run();  // warm-up
  double best = 1e30;
  for (int i = 0; i < iters; ++i) {
    double t0 = now_ms();
    run();
    best = std::min(best, now_ms() - t0);
  }
  return {{"dtype", bf16 ? "bf16" : "f32"}, {"threads", at::get_num_threads()}, {"ttft_image_ms", best},
          {"peak_rss_mib", peak_rss_mib()}};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"argus LLM benchmark"};
  std::string config_path, dtype = "f32";
  int prompt = 128, decode = 16, threads = 0;
  app.add_option("--config", config_path, "config.json of the decoder");
  app.add_option("--prompt", prompt);
  app.add_option("--decode", decode);
  app.add_option("--threads", threads);
  app.add_option("--dtype", dtype)->check(CLI::IsMember({"f32", "bf16"}));
  bool llava = false;
  int iters = 3;
  app.add_flag("--llava", llava, "--config is a llava config: time to first token with one image");
  app.add_option("--iters", iters, "--llava: timed runs (best is reported)");
  std::string write_fp16, load_dir;
  app.add_option("--write-fp16", write_fp16, "write the --config decoder with random weights as a float16 checkpoint");
  app.add_option("--load", load_dir, "load a checkpoint directory (dtype auto) and report its memory");
  CLI11_PARSE(app, argc, argv);
  engine::init_runtime(threads);
  at::manual_seed(0);

  if (!load_dir.empty()) {
    std::printf("%s\n", checkpoint_memory(load_dir).dump().c_str());
    return 0;
  }
  if (config_path.empty()) {
    std::fprintf(stderr, "--config is required\n");
    return 1;
  }
  nlohmann::json cfg_json;
  std::ifstream(config_path) >> cfg_json;
  if (!write_fp16.empty()) {
    write_fp16_checkpoint(cfg_json, write_fp16);
    return 0;
  }
  if (llava) {
    std::printf("%s\n", llava_ttft(cfg_json, dtype == "bf16", prompt, iters).dump().c_str());
    return 0;
  }
  auto cfg = models::llama::parse_llama_config(cfg_json);
  models::llama::LlamaForCausalLM model(cfg);
  model->eval();
  const bool bf16 = dtype == "bf16";
  if (bf16) model->to(at::kBFloat16);
  nn::InferenceOptions opts;
  opts.onednn = !bf16;
  nn::prepare_for_inference(*model, opts);
  at::NoGradGuard ng;

  // Bytes a decode step streams: every weight except the embedding table (one row
  // is read), plus the lm_head, which is the embedding table when tied.
  double weight_bytes = 0;
  for (const auto& p : model->named_parameters())
    if (p.key().find("embed_tokens") == std::string::npos) weight_bytes += p.value().numel() * p.value().element_size();
  if (cfg.tie_word_embeddings) weight_bytes += model->model->embed_tokens->weight.nbytes();

  at::Tensor ids = at::randint(1, cfg.vocab_size, {1, prompt}, at::kLong);
  // Warm-up: a short prompt and a few steps (primitive creation, page faults).
  {
    auto cache = model->new_cache();
    at::Tensor l = model->forward(ids.slice(1, 0, 8), &cache, {}, 1);
    for (int i = 0; i < 2; ++i) l = model->forward(l.argmax(-1), &cache, {}, 1);
  }
  auto cache = model->new_cache();
  double t0 = now_ms();
  at::Tensor logits = model->forward(ids, &cache, {}, 1);
  at::Tensor next = logits.argmax(-1);
  double prefill_ms = now_ms() - t0;
  t0 = now_ms();
  for (int i = 0; i < decode; ++i) next = model->forward(next, &cache, {}, 1).argmax(-1);
  double decode_ms = (now_ms() - t0) / decode;

  nlohmann::json out = {{"dtype", dtype},
                        {"threads", at::get_num_threads()},
                        {"prefill_tok_s", 1000.0 * prompt / prefill_ms},
                        {"ttft_ms", prefill_ms},
                        {"decode_tok_s", 1000.0 / decode_ms},
                        {"decode_gb_s", weight_bytes / (decode_ms / 1000.0) / 1e9},
                        {"weight_gb", weight_bytes / 1e9},
                        {"peak_rss_mib", peak_rss_mib()}};
  std::printf("%s\n", out.dump().c_str());
  return 0;
}
