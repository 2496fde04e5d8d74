// Next-token selection for the decoders: penalties, then temperature, top-k,
// top-p and min-p filtering, then greedy argmax or a seeded draw.
//
// Semantics (applied in this order, per row of logits [B, V]):
//  * repetition_penalty r (transformers / CTRL): for every distinct token of the
//    context (prompt + generated so far), logit / r if logit > 0, else logit * r.
//  * frequency_penalty f, presence_penalty p (OpenAI): for every token generated
//    so far (prompt not counted), logit -= f * count + p * (count > 0).
//  * temperature t: logits / t. t == 0 means greedy (argmax after the penalties).
//  * top_k k > 0: keeps tokens whose logit >= the k-th largest (ties kept).
//  * top_p < 1: keeps the most probable tokens until their cumulative
//    probability reaches top_p (at least one).
//  * min_p > 0: keeps tokens with probability >= min_p * the top probability.
#pragma once
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <ATen/ATen.h>

namespace argus::tasks {

struct SamplingParams {
  double temperature = 0.0;  // 0: greedy
  int64_t top_k = 0;         // 0: off
  double top_p = 1.0;        // 1: off
  double min_p = 0.0;        // 0: off
  double repetition_penalty = 1.0, frequency_penalty = 0.0, presence_penalty = 0.0;
  uint64_t seed = 0;
};

// argus::Error for out-of-range values (negative temperature, top_p outside (0, 1],
// frequency/presence penalties outside OpenAI's documented [-2, 2], ...).
void validate(const SamplingParams& p);

// A seed as written by the user ("42", or a JSON number's text): a decimal integer in
// 0..2^64-1. "-1", "1.5" and "1e23" are errors naming the value, never wrapped or
// rounded into some other seed.
uint64_t parse_seed(const std::string& text);

using TokenLists = std::vector<std::vector<int64_t>>;

// logits [B, V] -> float32 logits with the penalties applied. `context[b]`
// (prompt + generated) drives the repetition penalty, `generated[b]` the
// frequency/presence penalties; either may be empty (no penalty from it).
at::Tensor apply_penalties(const at::Tensor& logits, const TokenLists& context, const TokenLists& generated,
                           const SamplingParams& p);

// Temperature, top-k, top-p, min-p: float32 logits with removed tokens at -inf.
// With temperature 0 the logits are returned unscaled (greedy needs no filtering).
at::Tensor warp_logits(const at::Tensor& logits, const SamplingParams& p);

// The distribution a sampling step draws from: softmax(warp(penalties(logits))).
at::Tensor next_token_probs(const at::Tensor& logits, const TokenLists& context, const TokenLists& generated,
                            const SamplingParams& p);

// Holds the random state: the same seed and inputs give the same tokens.
class Sampler {
 public:
  explicit Sampler(const SamplingParams& p);
  // One token per row of logits [B, V].
  std::vector<int64_t> next(const at::Tensor& logits, const TokenLists& context, const TokenLists& generated);
  const SamplingParams& params() const { return p_; }

 private:
  SamplingParams p_;
  std::mt19937_64 rng_;
};

}  // namespace argus::tasks
