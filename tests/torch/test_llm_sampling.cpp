#include <gtest/gtest.h>

#include <cmath>

#include "io/checkpoint.h"
#include "llm_helpers.h"
#include "models/llama/llama_model.h"
#include "parity.h"
#include "tasks/generate/generate.h"
#include "tasks/generate/sampling.h"
#include "util/error.h"

using namespace argus;
using namespace argus::tasks;

namespace {

at::Tensor row(std::vector<float> v) { return at::tensor(v, at::kFloat).view({1, -1}); }

// logits whose softmax is exactly `probs`.
at::Tensor from_probs(std::vector<double> probs) {
  std::vector<float> l;
  for (double p : probs) l.push_back(static_cast<float>(std::log(p)));
  return row(l);
}

void expect_probs(const at::Tensor& got, std::vector<double> want, double tol = 1e-6) {
  ASSERT_EQ(got.size(-1), static_cast<int64_t>(want.size()));
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got[0][i].item<double>(), want[i], tol) << "token " << i;
}

}  // namespace

TEST(LlmSampling, PenaltiesFollowTheirDefinitions) {
  at::Tensor logits = row({2.0f, -1.0f, 0.5f, 3.0f, -2.0f});
  SamplingParams p;
  p.repetition_penalty = 2.0;
  p.frequency_penalty = 0.5;
  p.presence_penalty = 0.25;
  TokenLists context{{0, 1, 1, 3}}, generated{{1, 1, 3}};
  at::Tensor out = apply_penalties(logits, context, generated, p);
  // token 0: in context, positive -> 2 / 2; token 1: negative -> -1 * 2, then two
  // generated -> -2 - 0.5*2 - 0.25; token 2 untouched; token 3: 3 / 2 - 0.5 - 0.25; token 4 untouched.
  expect_probs(out, {1.0, -3.25, 0.5, 0.75, -2.0});

  SamplingParams only_rep;
  only_rep.repetition_penalty = 1.5;
  expect_probs(apply_penalties(logits, {{4, 4, 0}}, {}, only_rep), {2.0 / 1.5, -1.0, 0.5, 3.0, -3.0});
  // Frequency/presence count only generated tokens, not the prompt.
  SamplingParams only_freq;
  only_freq.frequency_penalty = 1.0;
  expect_probs(apply_penalties(logits, {{0, 0, 0}}, {{2}}, only_freq), {2.0, -1.0, -0.5, 3.0, -2.0});
}

TEST(LlmSampling, TemperatureTopKTopPMinP) {
  at::Tensor l = row({1.0f, 2.0f, 0.0f, -1.0f});
  SamplingParams p;
  p.temperature = 0.5;
  double z = std::exp(2.0) + std::exp(4.0) + 1 + std::exp(-2.0);
  expect_probs(next_token_probs(l, {}, {}, p), {std::exp(2.0) / z, std::exp(4.0) / z, 1 / z, std::exp(-2.0) / z});

  p.temperature = 1.0;
  p.top_k = 2;
  double z2 = std::exp(1.0) + std::exp(2.0);
  expect_probs(next_token_probs(l, {}, {}, p), {std::exp(1.0) / z2, std::exp(2.0) / z2, 0, 0});

  at::Tensor q = from_probs({0.3, 0.5, 0.15, 0.05});
  SamplingParams tp;
  tp.temperature = 1.0;
  tp.top_p = 0.7;  // 0.5 < 0.7, 0.5 + 0.3 >= 0.7: keep two
  expect_probs(next_token_probs(q, {}, {}, tp), {0.375, 0.625, 0, 0});
  tp.top_p = 0.5;  // the best token alone reaches 0.5
  expect_probs(next_token_probs(q, {}, {}, tp), {0, 1, 0, 0});
  tp.top_p = 0.9;  // 0.5 + 0.3 + 0.15 >= 0.9
  expect_probs(next_token_probs(q, {}, {}, tp), {0.3 / 0.95, 0.5 / 0.95, 0.15 / 0.95, 0});

  SamplingParams mp;
  mp.temperature = 1.0;
  mp.min_p = 0.5;  // keeps p >= 0.25
  expect_probs(next_token_probs(q, {}, {}, mp), {0.375, 0.625, 0, 0});
  mp.min_p = 0.2;  // keeps p >= 0.1
  expect_probs(next_token_probs(q, {}, {}, mp), {0.3 / 0.95, 0.5 / 0.95, 0.15 / 0.95, 0});
}

TEST(LlmSampling, SeededDrawsAreReproducibleAndFollowTheDistribution) {
  at::Tensor q = from_probs({0.3, 0.5, 0.15, 0.05});
  SamplingParams p;
  p.temperature = 1.0;
  p.seed = 1234;
  Sampler a(p), b(p);
  std::vector<int64_t> counts(4, 0), first;
  const int n = 4000;
  for (int i = 0; i < n; ++i) {
    int64_t x = a.next(q, {}, {})[0];
    EXPECT_EQ(x, b.next(q, {}, {})[0]);
    ++counts[x];
    if (i < 64) first.push_back(x);
  }
  std::vector<double> want{0.3, 0.5, 0.15, 0.05};
  for (int t = 0; t < 4; ++t) EXPECT_NEAR(counts[t] / double(n), want[t], 0.03) << t;
  p.seed = 99;
  Sampler c(p);
  std::vector<int64_t> other;
  for (int i = 0; i < 64; ++i) other.push_back(c.next(q, {}, {})[0]);
  EXPECT_NE(first, other);
}

TEST(LlmSampling, InvalidParametersAreErrors) {
  SamplingParams p;
  p.temperature = -1;
  EXPECT_THROW(Sampler{p}, Error);
  p = {};
  p.top_p = 0;
  EXPECT_THROW(Sampler{p}, Error);
  p = {};
  p.repetition_penalty = 0;
  EXPECT_THROW(Sampler{p}, Error);
}

TEST(LlmSampling, GenerationWithSamplingStopIdsAndLimits) {
  auto ck = io::Checkpoint::open(test::fixture("llama"));
  auto m = models::llama::load_llama(ck);
  auto ref = test::reference("llama");
  auto prompt = test::row_ids(ref["input_ids"], 0);
  auto greedy = test::row_ids(ref["greedy_ids"], 0, 24);

  // top-k = 1 sampling is greedy, whatever the temperature and seed.
  GenerateOptions opts;
  opts.max_new_tokens = 20;
  opts.sampling.temperature = 1.7;
  opts.sampling.top_k = 1;
  opts.sampling.seed = 7;
  EXPECT_EQ(generate(*m, {prompt}, opts).tokens[0], greedy);

  // Seeded sampling: the same seed, the same tokens.
  GenerateOptions s;
  s.max_new_tokens = 16;
  s.sampling.temperature = 1.0;
  s.sampling.top_p = 0.95;
  s.sampling.seed = 42;
  auto g1 = generate(*m, {prompt, test::row_ids(ref["input_ids"], 1)}, s);
  auto g2 = generate(*m, {prompt, test::row_ids(ref["input_ids"], 1)}, s);
  EXPECT_EQ(g1.tokens, g2.tokens);
  EXPECT_EQ(g1.tokens[0].size(), 16u);

  // A stop id ends the row before it (the stop token is not part of the output).
  GenerateOptions st;
  st.max_new_tokens = 20;
  st.stop_ids = {greedy[5]};
  auto gs = generate(*m, {prompt}, st);
  size_t first = std::find(greedy.begin(), greedy.end(), greedy[5]) - greedy.begin();
  EXPECT_EQ(gs.tokens[0], std::vector<int64_t>(greedy.begin(), greedy.begin() + first));
  EXPECT_EQ(gs.finish_reason[0], "stop");
  EXPECT_EQ(gs.stop_token[0], greedy[5]);

  // EOS ids work the same way; max_new_tokens caps the length.
  GenerateOptions eo;
  eo.max_new_tokens = 20;
  eo.eos_ids = {greedy[0]};
  auto ge = generate(*m, {prompt}, eo);
  EXPECT_TRUE(ge.tokens[0].empty());
  EXPECT_EQ(ge.finish_reason[0], "stop");
  GenerateOptions mx;
  mx.max_new_tokens = 3;
  std::vector<int64_t> streamed;
  mx.on_token = [&](size_t, int64_t t) {
    streamed.push_back(t);
    return true;
  };
  auto gm = generate(*m, {prompt}, mx);
  EXPECT_EQ(gm.tokens[0], std::vector<int64_t>(greedy.begin(), greedy.begin() + 3));
  EXPECT_EQ(streamed, gm.tokens[0]);
  EXPECT_EQ(gm.finish_reason[0], "length");

  // A repetition penalty steers greedy decoding away from the repeating loop.
  GenerateOptions rp;
  rp.max_new_tokens = 20;
  rp.sampling.repetition_penalty = 5.0;
  auto gr = generate(*m, {prompt}, rp);
  EXPECT_NE(gr.tokens[0], greedy);
}
