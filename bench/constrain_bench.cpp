// Constrained decoding's cost: decode tokens/s of a Llama-shaped decoder with random
// weights (by default the LLM benchmark's Llama 3.2 1B shape, 32k vocabulary), greedy,
// with and without a JSON-schema mask, plus the mask's own time per token. The bench
// decoder has no tokenizer, so the vocabulary is a synthetic one of the same size with a
// real vocabulary's make-up: the 256 single bytes, then word pieces with and without a
// leading space, digits and JSON punctuation runs (seeded). Results go to bench/README.md.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "engine/runtime.h"
#include "models/llama/llama_model.h"
#include "nn/inference.h"
#include "tasks/generate/generate.h"
#include "text/constrain/vocab_trie.h"

using namespace argus;

namespace {

double now_ms() {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::vector<std::string> synthetic_vocab(int64_t n) {
  std::mt19937 rng(42);
  std::vector<std::string> v(static_cast<size_t>(n));
  // 0..2: special (<unk>, <s>, </s>): never allowed by a grammar.
  for (int b = 0; b < 256 && 3 + b < n; ++b) v[static_cast<size_t>(3 + b)] = std::string(1, static_cast<char>(b));
  const std::string letters = "etaoinshrdlcumwfgypbvkjxqz", punct = "{}[]\":,.-_ ";
  for (int64_t id = 259; id < n; ++id) {
    std::string s;
    const unsigned kind = rng() % 10;
    if (kind < 6) {  // a word piece, often with a leading space
      if (rng() % 2) s += ' ';
      const int len = 2 + static_cast<int>(rng() % 7);
      for (int i = 0; i < len; ++i) s += letters[std::min<size_t>(rng() % letters.size(), rng() % letters.size())];
    } else if (kind < 8) {  // digits
      const int len = 1 + static_cast<int>(rng() % 3);
      for (int i = 0; i < len; ++i) s += static_cast<char>('0' + rng() % 10);
    } else {  // punctuation runs, as code and JSON produce them
      const int len = 2 + static_cast<int>(rng() % 3);
      for (int i = 0; i < len; ++i) s += punct[rng() % punct.size()];
    }
    v[static_cast<size_t>(id)] = s;
  }
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"argus constrained-decoding benchmark"};
  std::string config_path;
  int tokens = 48, threads = 0, prompt = 32;
  app.add_option("--config", config_path, "decoder config.json (default: the LLM benchmark's 1B shape)");
  app.add_option("--tokens", tokens, "tokens to generate per run");
  app.add_option("--prompt", prompt, "prompt tokens");
  app.add_option("--threads", threads);
  CLI11_PARSE(app, argc, argv);
  engine::init_runtime(threads);
  at::manual_seed(0);
  nlohmann::json cfg_json = {{"model_type", "llama"}, {"vocab_size", 32000}, {"hidden_size", 2048},
                             {"intermediate_size", 8192}, {"num_hidden_layers", 16}, {"num_attention_heads", 32},
                             {"num_key_value_heads", 8}, {"max_position_embeddings", 4096}, {"rms_norm_eps", 1e-5},
                             {"rope_theta", 500000.0}, {"tie_word_embeddings", true}};
  if (!config_path.empty()) std::ifstream(config_path) >> cfg_json;
  auto cfg = models::llama::parse_llama_config(cfg_json);
  models::llama::LlamaForCausalLM model(cfg);
  model->eval();
  nn::prepare_for_inference(*model, nn::InferenceOptions{});

  auto trie = std::make_shared<const text::constrain::VocabTrie>(synthetic_vocab(cfg.vocab_size));
  // A string-heavy object: inside the string nearly every token is allowed, so the mask
  // walks most of the trie (its worst case).
  auto grammar = text::constrain::JsonGrammar::compile(nlohmann::ordered_json::parse(
      R"({"type": "object", "properties": {"text": {"type": "string", "minLength": 100, "maxLength": 128},
          "n": {"type": "integer"}}, "required": ["text", "n"]})"));
  double mask_ms = 0;
  int masks = 0;
  struct Timed : text::constrain::TokenConstraint {
    text::constrain::JsonTokenConstraint inner;
    double* ms;
    int* count;
    Timed(std::shared_ptr<const text::constrain::JsonGrammar> g, std::shared_ptr<const text::constrain::VocabTrie> t,
          double* m, int* c)
        : inner(std::move(g), std::move(t)), ms(m), count(c) {}
    void next_allowed(std::vector<uint8_t>& allowed, bool& may_end) override {
      const double t0 = now_ms();
      inner.next_allowed(allowed, may_end);
      *ms += now_ms() - t0;
      ++*count;
    }
    void accept(int64_t id) override { inner.accept(id); }
  };

  at::Tensor ids = at::randint(259, cfg.vocab_size, {1, prompt}, at::kLong);
  auto run = [&](bool constrained) {
    tasks::GenerateOptions o;
    o.max_new_tokens = tokens;
    o.eos_ids = {2};
    if (constrained) o.make_constraint = [&] { return std::make_shared<Timed>(grammar, trie, &mask_ms, &masks); };
    const double t0 = now_ms();
    auto g = tasks::generate(*model, ids, {}, o);
    return std::make_pair(now_ms() - t0, g.tokens[0].size());
  };
  run(false);  // warm-up
  auto [plain_ms, plain_n] = run(false);
  mask_ms = 0;
  masks = 0;
  auto [masked_ms, masked_n] = run(true);
  nlohmann::json out = {{"vocab_size", cfg.vocab_size},
                        {"threads", at::get_num_threads()},
                        {"prompt", prompt},
                        {"unmasked_tokens", plain_n},
                        {"unmasked_tok_s", 1000.0 * static_cast<double>(plain_n) / plain_ms},
                        {"masked_tokens", masked_n},
                        {"masked_tok_s", 1000.0 * static_cast<double>(masked_n) / masked_ms},
                        {"mask_ms_per_token", masks ? mask_ms / masks : 0.0}};
  std::printf("%s\n", out.dump().c_str());
  return 0;
}
