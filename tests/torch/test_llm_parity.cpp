#include <gtest/gtest.h>

#include "io/checkpoint.h"
#include "llm_helpers.h"
#include "models/llama/llama_model.h"
#include "nn/dense.h"
#include "nn/uninitialized.h"
#include "parity.h"
#include "tasks/chat/chat_model.h"
#include "tasks/generate/generate.h"
#include "util/error.h"

using namespace argus;
using namespace argus::models::llama;

namespace {

void check_family(const std::string& family) {
  SCOPED_TRACE(family);
  auto ck = io::Checkpoint::open(test::fixture(family));
  LlamaForCausalLM m = load_llama(ck);
  auto ref = test::reference(family);
  at::NoGradGuard ng;
  at::Tensor ids = ref["input_ids"];
  at::Tensor greedy = ref["greedy_ids"];
  int64_t prompt = ids.size(1), steps = greedy.size(1) - prompt;

  // 1. Logits of the no-cache forward.
  at::Tensor logits = m->forward(ids);
  double diff = test::max_abs_diff(logits, ref["logits"]);
  std::printf("[%s] logits max abs diff %.3g\n", family.c_str(), diff);
  EXPECT_LE(diff, 1e-4);

  // 2. Prefill through a cache gives the very same logits.
  nn::KvCache cache = m->new_cache();
  at::Tensor prefill = m->forward(ids, &cache);
  EXPECT_TRUE(at::equal(prefill, logits));
  EXPECT_EQ(cache.length(), prompt);

  // 3. Greedy generation through the KV cache reproduces greedy_ids.
  tasks::GenerateOptions opts;
  opts.max_new_tokens = steps;
  opts.eos_ids = tasks::read_eos_ids(ck);
  auto gen = tasks::generate(*m, {test::row_ids(ids, 0)}, opts);
  ASSERT_EQ(gen.tokens.size(), 1u);
  EXPECT_EQ(gen.tokens[0], test::row_ids(greedy, 0, prompt)) << "greedy ids differ";
  EXPECT_EQ(gen.finish_reason[0], "length");

  // 4. Step-by-step decode logits match the full forward over the same tokens.
  at::Tensor seq = greedy.slice(1, 0, greedy.size(1) - 1);
  at::Tensor full = m->forward(seq);
  nn::KvCache c2 = m->new_cache();
  std::vector<at::Tensor> parts{m->forward(seq.slice(1, 0, prompt), &c2)};
  for (int64_t t = prompt; t < seq.size(1); ++t) parts.push_back(m->forward(seq.slice(1, t, t + 1), &c2));
  double step_diff = test::max_abs_diff(at::cat(parts, 1), full);
  std::printf("[%s] cached decode vs full forward max abs diff %.3g\n", family.c_str(), step_diff);
  EXPECT_LE(step_diff, 1e-4);
  EXPECT_EQ(at::cat(parts, 1).argmax(-1).slice(1, prompt - 1).squeeze(0).equal(greedy[0].slice(0, prompt)), true);

  // 5. A batch with a left-padded shorter prompt: each row as if alone.
  std::vector<int64_t> shorter = test::row_ids(ids, 1, 0, prompt - 5);
  opts.max_new_tokens = 8;
  auto batch = tasks::generate(*m, {test::row_ids(ids, 0), shorter}, opts);
  auto alone0 = tasks::generate(*m, {test::row_ids(ids, 0)}, opts);
  auto alone1 = tasks::generate(*m, {shorter}, opts);
  EXPECT_EQ(batch.tokens[0], alone0.tokens[0]);
  EXPECT_EQ(batch.tokens[1], alone1.tokens[0]);
  at::Tensor padded = at::cat({at::zeros({1, 5}, at::kLong), ids.slice(0, 1, 2).slice(1, 0, prompt - 5)}, 1);
  at::Tensor mask = at::cat({at::zeros({1, 5}, at::kLong), at::ones({1, prompt - 5}, at::kLong)}, 1);
  at::Tensor lp = m->forward(padded, nullptr, mask).slice(1, 5);
  at::Tensor lu = m->forward(ids.slice(0, 1, 2).slice(1, 0, prompt - 5));
  EXPECT_LE(test::max_abs_diff(lp, lu), 1e-4);
}

}  // namespace

TEST(LlmParity, LlamaLogitsAndGreedyMatchTransformers) { check_family("llama"); }
TEST(LlmParity, Qwen2LogitsAndGreedyMatchTransformers) { check_family("qwen2"); }
TEST(LlmParity, MistralSlidingWindowLogitsAndGreedyMatchTransformers) { check_family("mistral"); }

TEST(LlmParity, Bfloat16WeightsStayCloseToFloat32) {
  auto ck = io::Checkpoint::open(test::fixture("llama"));
  LlamaLoadOptions opts;
  opts.dtype = at::kBFloat16;
  LlamaForCausalLM m = load_llama(ck, opts);
  EXPECT_EQ(m->model->embed_tokens->weight.scalar_type(), at::kBFloat16);
  auto ref = test::reference("llama");
  at::NoGradGuard ng;
  at::Tensor logits = m->forward(ref["input_ids"]);
  EXPECT_EQ(logits.scalar_type(), at::kFloat);
  double diff = test::max_abs_diff(logits, ref["logits"]);
  double scale = ref["logits"].abs().max().item<double>();
  std::printf("[llama bf16] logits max abs diff %.3g (max |logit| %.3g)\n", diff, scale);
  EXPECT_LE(diff, 0.05 * scale);
}

TEST(LlmLoadDtype, SixteenBitCheckpointsKeepSixteenBitWeights) {
  // The llama fixture stored in float16 and in bfloat16.
  auto weights = test::fixture_weights("llama");
  std::map<std::string, at::Tensor> f16, b16;
  for (const auto& [k, t] : weights) {
    f16[k] = t.to(at::kHalf);
    b16[k] = t.to(at::kBFloat16);
  }
  test::ScratchCheckpoint half("llama_f16", test::fixture_config("llama"), f16);
  test::ScratchCheckpoint bf("llama_bf16", test::fixture_config("llama"), b16);
  auto ref = test::reference("llama");
  at::NoGradGuard ng;

  // auto: bfloat16 weights for either 16-bit storage, close to the float32 reference.
  for (const auto* sc : {&half, &bf}) {
    auto m = tasks::ChatModel::open(sc->dir(), "auto");
    EXPECT_EQ(m->decoder().model->embed_tokens->weight.scalar_type(), at::kBFloat16);
    EXPECT_EQ(m->decoder().model->layers[0]->as<LlamaDecoderLayer>()->mlp->down_proj->weight.scalar_type(),
              at::kBFloat16);
    at::Tensor logits = m->decoder().forward(ref["input_ids"]);
    EXPECT_LE(test::max_abs_diff(logits, ref["logits"]), 0.05 * ref["logits"].abs().max().item<double>());
  }
  // A bfloat16 checkpoint loaded into bfloat16 parameters is bit-exact.
  auto exact = tasks::ChatModel::open(bf.dir(), "bfloat16");
  EXPECT_TRUE(at::equal(exact->decoder().model->embed_tokens->weight, b16.at("model.embed_tokens.weight")));
  // float32 on request, and for float32 checkpoints under auto (reference parity).
  EXPECT_EQ(tasks::ChatModel::open(half.dir(), "float32")->decoder().model->embed_tokens->weight.scalar_type(),
            at::kFloat);
  EXPECT_EQ(tasks::ChatModel::open(test::fixture("llama"), "auto")->decoder().model->embed_tokens->weight.scalar_type(),
            at::kFloat);
  EXPECT_THROW(tasks::ChatModel::open(half.dir(), "float8"), Error);
}

TEST(LlmLoadDtype, UninitialisedConstructionLeavesWeightsToTheCheckpoint) {
  // Under SkipInitGuard a Dense is not initialised (its memory is never touched);
  // retype_parameters gives fresh storage of the kept dtype.
  nn::Dense d{nullptr};
  {
    nn::SkipInitGuard g;
    EXPECT_TRUE(nn::skip_init());
    d = nn::dense(8, 4);
  }
  EXPECT_FALSE(nn::skip_init());
  nn::retype_parameters(*d, at::kBFloat16);
  EXPECT_EQ(d->weight.scalar_type(), at::kBFloat16);
  EXPECT_EQ(d->bias.scalar_type(), at::kBFloat16);
  EXPECT_EQ(d->weight.sizes(), (std::vector<int64_t>{4, 8}));
  // Outside the guard layers are initialised as nn.Linear is (bounded, not all equal).
  nn::Dense init = nn::dense(64, 64);
  EXPECT_LE(init->weight.abs().max().item<double>(), 1.0 / 8.0 + 1e-6);
  EXPECT_GT(init->weight.std().item<double>(), 0.0);
}
