#include "tasks/generate/sampling.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>

#include <cmath>
#include <limits>
#include <map>
#include <set>

#include "util/error.h"

namespace argus::tasks {

void validate(const SamplingParams& p) {
  if (!(p.temperature >= 0) || !std::isfinite(p.temperature))
    fail("sampling: temperature must be >= 0, got {}", p.temperature);
  if (p.top_k < 0) fail("sampling: top_k must be >= 0, got {}", p.top_k);
  if (!(p.top_p > 0 && p.top_p <= 1)) fail("sampling: top_p must be in (0, 1], got {}", p.top_p);
  if (!(p.min_p >= 0 && p.min_p <= 1)) fail("sampling: min_p must be in [0, 1], got {}", p.min_p);
  if (!(p.repetition_penalty > 0) || !std::isfinite(p.repetition_penalty))
    fail("sampling: repetition_penalty must be > 0, got {}", p.repetition_penalty);
  // OpenAI's range: beyond it a penalty only pushes logits towards +-inf.
  if (!(p.frequency_penalty >= -2 && p.frequency_penalty <= 2))
    fail("sampling: frequency_penalty must be in [-2, 2], got {}", p.frequency_penalty);
  if (!(p.presence_penalty >= -2 && p.presence_penalty <= 2))
    fail("sampling: presence_penalty must be in [-2, 2], got {}", p.presence_penalty);
}

uint64_t parse_seed(const std::string& text) {
  const bool digits = !text.empty() && text.size() <= 20 &&
                      std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
  errno = 0;
  const unsigned long long v = digits ? std::strtoull(text.c_str(), nullptr, 10) : 0;
  if (!digits || errno == ERANGE)
    fail("sampling: seed {} must be an integer in 0..18446744073709551615", text.substr(0, 40));
  return static_cast<uint64_t>(v);
}

namespace {

at::Tensor as_rows(const at::Tensor& logits) {
  if (logits.dim() != 2) fail("sampling: logits must be [batch, vocab], got {} dims", logits.dim());
  return logits.to(at::kFloat).contiguous().clone();
}

}  // namespace

at::Tensor apply_penalties(const at::Tensor& logits, const TokenLists& context, const TokenLists& generated,
                           const SamplingParams& p) {
  at::Tensor out = as_rows(logits);
  int64_t rows = out.size(0), vocab = out.size(1);
  float* data = out.data_ptr<float>();
  for (int64_t b = 0; b < rows; ++b) {
    float* row = data + b * vocab;
    if (p.repetition_penalty != 1.0 && b < static_cast<int64_t>(context.size())) {
      std::set<int64_t> seen(context[b].begin(), context[b].end());
      for (int64_t t : seen) {
        if (t < 0 || t >= vocab) continue;
        row[t] = row[t] > 0 ? static_cast<float>(row[t] / p.repetition_penalty)
                            : static_cast<float>(row[t] * p.repetition_penalty);
      }
    }
    if ((p.frequency_penalty != 0 || p.presence_penalty != 0) && b < static_cast<int64_t>(generated.size())) {
      std::map<int64_t, int64_t> counts;
      for (int64_t t : generated[b]) ++counts[t];
      for (const auto& [t, n] : counts) {
        if (t < 0 || t >= vocab) continue;
        row[t] = static_cast<float>(row[t] - p.frequency_penalty * n - p.presence_penalty);
      }
    }
  }
  return out;
}

at::Tensor warp_logits(const at::Tensor& logits, const SamplingParams& p) {
  at::Tensor x = as_rows(logits);
  if (p.temperature == 0) return x;
  const float ninf = -std::numeric_limits<float>::infinity();
  x.div_(p.temperature);
  int64_t vocab = x.size(1);
  if (p.top_k > 0 && p.top_k < vocab) {
    at::Tensor kth = std::get<0>(x.topk(p.top_k, -1)).select(-1, p.top_k - 1).unsqueeze(-1);
    x.masked_fill_(x < kth, ninf);
  }
  if (p.top_p < 1.0) {
    auto [sorted, idx] = x.sort(-1, true);
    at::Tensor probs = sorted.softmax(-1).to(at::kDouble);
    at::Tensor before = probs.cumsum(-1) - probs;  // probability mass of the better tokens
    at::Tensor drop = before >= p.top_p;
    drop.select(-1, 0).fill_(false);
    x.scatter_(-1, idx, sorted.masked_fill(drop, ninf));
  }
  if (p.min_p > 0) {
    at::Tensor probs = x.softmax(-1);
    at::Tensor top = std::get<0>(probs.max(-1, true));
    x.masked_fill_(probs < top * p.min_p, ninf);
  }
  return x;
}

at::Tensor next_token_probs(const at::Tensor& logits, const TokenLists& context, const TokenLists& generated,
                            const SamplingParams& p) {
  return warp_logits(apply_penalties(logits, context, generated, p), p).softmax(-1);
}

Sampler::Sampler(const SamplingParams& p) : p_(p), rng_(p.seed) { validate(p); }

std::vector<int64_t> Sampler::next(const at::Tensor& logits, const TokenLists& context, const TokenLists& generated) {
  at::Tensor scores = apply_penalties(logits, context, generated, p_);
  int64_t rows = scores.size(0), vocab = scores.size(1);
  std::vector<int64_t> out(rows);
  if (p_.temperature == 0) {
    at::Tensor best = scores.argmax(-1);
    for (int64_t b = 0; b < rows; ++b) out[b] = best[b].item<int64_t>();
    return out;
  }
  at::Tensor probs = warp_logits(scores, p_).softmax(-1).to(at::kDouble).contiguous();
  const double* data = probs.data_ptr<double>();
  for (int64_t b = 0; b < rows; ++b) {
    const double* row = data + b * vocab;
    // A uniform double in [0, 1) from 53 random bits: the same on every platform.
    double u = static_cast<double>(rng_() >> 11) * (1.0 / 9007199254740992.0);
    double total = 0;
    for (int64_t t = 0; t < vocab; ++t) total += row[t];
    double target = u * total, cum = 0;
    int64_t pick = -1;
    for (int64_t t = 0; t < vocab; ++t) {
      if (row[t] <= 0) continue;
      cum += row[t];
      pick = t;
      if (cum > target) break;
    }
    if (pick < 0) fail("sampling: no token left to sample (all probabilities are zero)");
    out[b] = pick;
  }
  return out;
}

}  // namespace argus::tasks
