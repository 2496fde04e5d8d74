#include "tasks/generate/generate.h"

#include <algorithm>
#include <limits>

#include "io/checkpoint.h"
#include "util/error.h"

namespace argus::tasks {

using models::llama::LlamaForCausalLMImpl;

namespace {

// The Llama-shaped decoders seen through nn::CausalLm.
class LlamaCausalLm : public nn::CausalLm {
 public:
  explicit LlamaCausalLm(LlamaForCausalLMImpl& m) : m_(m) {}
  at::Tensor forward_ids(const at::Tensor& ids, nn::KvCache* cache, const at::Tensor& mask, int64_t keep) override {
    return m_.forward(ids, cache, mask, keep);
  }
  at::Tensor forward_inputs_embeds(const at::Tensor& embeds, nn::KvCache* cache, const at::Tensor& mask,
                                   int64_t keep) override {
    return m_.forward_embeds(embeds, cache, mask, keep);
  }
  nn::KvCache make_cache() const override { return m_.new_cache(); }
  int64_t position_limit() const override {
    return m_.cfg.rope.type == "dynamic" ? -1 : m_.cfg.max_position_embeddings;
  }

 private:
  LlamaForCausalLMImpl& m_;
};

}  // namespace

Generation generate(LlamaForCausalLMImpl& model, const TokenLists& prompts, const GenerateOptions& opts) {
  if (prompts.empty()) return {};
  size_t len = 0;
  for (const auto& p : prompts) {
    if (p.empty()) fail("generate: a prompt is empty");
    len = std::max(len, p.size());
  }
  int64_t b = static_cast<int64_t>(prompts.size()), l = static_cast<int64_t>(len);
  at::Tensor ids = at::full({b, l}, opts.pad_id, at::kLong);
  at::Tensor mask = at::zeros({b, l}, at::kLong);
  bool padded = false;
  for (int64_t i = 0; i < b; ++i) {
    int64_t n = static_cast<int64_t>(prompts[i].size());
    ids[i].slice(0, l - n).copy_(at::tensor(prompts[i], at::kLong));
    mask[i].slice(0, l - n).fill_(1);
    padded |= n < l;
  }
  return generate(model, ids, padded ? mask : at::Tensor(), opts);
}

Generation generate(LlamaForCausalLMImpl& model, const at::Tensor& input_ids, const at::Tensor& attention_mask,
                    const GenerateOptions& opts, const at::Tensor& inputs_embeds) {
  LlamaCausalLm lm(model);
  return generate(lm, input_ids, attention_mask, opts, inputs_embeds);
}

Generation generate(nn::CausalLm& model, const at::Tensor& input_ids, const at::Tensor& attention_mask,
                    const GenerateOptions& opts, const at::Tensor& inputs_embeds) {
  if (input_ids.dim() != 2) fail("generate: input_ids must be [batch, length]");
  if (opts.max_new_tokens < 0) fail("generate: max_new_tokens must be >= 0, got {}", opts.max_new_tokens);
  at::NoGradGuard no_grad;
  Sampler sampler(opts.sampling);
  int64_t b = input_ids.size(0), l = input_ids.size(1);
  at::Tensor ids = input_ids.to(at::kLong).contiguous();
  at::Tensor mask = attention_mask.defined() ? attention_mask.to(at::kLong).contiguous() : at::ones({b, l}, at::kLong);
  if (mask.sizes() != ids.sizes()) fail("generate: attention_mask must have the shape of input_ids");

  Generation out;
  out.tokens.assign(b, {});
  out.finish_reason.assign(b, "length");
  out.stop_token.assign(b, -1);
  TokenLists context(b);
  auto ia = ids.accessor<int64_t, 2>();
  auto ma = mask.accessor<int64_t, 2>();
  for (int64_t i = 0; i < b; ++i)
    for (int64_t j = 0; j < l; ++j)
      if (ma[i][j]) context[i].push_back(ia[i][j]);

  const int64_t limit = model.position_limit();
  int64_t budget = std::min(opts.max_new_tokens, limit < 0 ? opts.max_new_tokens : limit - l + 1);
  if (budget <= 0) {
    if (l > limit)
      fail("prompt of {} tokens is longer than the model's max_position_embeddings ({})", l, limit);
    return out;
  }
  std::shared_ptr<text::constrain::TokenConstraint> constraint;
  if (opts.make_constraint) {
    if (b != 1) fail("generate: constrained decoding takes one prompt at a time, got {}", b);
    constraint = opts.make_constraint();
  }
  std::vector<uint8_t> allowed;
  nn::KvCache cache = model.make_cache();
  cache.reserve(l + budget);
  std::vector<bool> done(b, false);
  auto is_stop = [&](int64_t t) {
    return std::find(opts.eos_ids.begin(), opts.eos_ids.end(), t) != opts.eos_ids.end() ||
           std::find(opts.stop_ids.begin(), opts.stop_ids.end(), t) != opts.stop_ids.end();
  };

  at::Tensor logits = inputs_embeds.defined() ? model.forward_inputs_embeds(inputs_embeds, &cache, mask, 1)
                                              : model.forward_ids(ids, &cache, mask, 1);
  for (int64_t step = 0; step < budget; ++step) {
    at::Tensor step_logits = logits.select(1, -1);
    if (constraint) {
      const int64_t v = step_logits.size(-1);
      allowed.assign(static_cast<size_t>(v), 0);
      bool may_end = false;
      constraint->next_allowed(allowed, may_end);
      allowed.resize(static_cast<size_t>(v));
      if (may_end)
        for (int64_t e : opts.eos_ids)
          if (e >= 0 && e < v) allowed[static_cast<size_t>(e)] = 1;
      if (std::none_of(allowed.begin(), allowed.end(), [](uint8_t a) { return a != 0; })) {
        // Nothing can follow: a complete output ends (also when the model has no eos),
        // an incomplete one is a dead end of the grammar on this vocabulary.
        out.finish_reason[0] = may_end ? "stop" : "grammar";
        break;
      }
      at::Tensor keep = at::from_blob(allowed.data(), {1, v}, at::kByte).to(at::kBool);
      step_logits = step_logits.to(at::kFloat).masked_fill(keep.logical_not(), -std::numeric_limits<float>::infinity());
    }
    std::vector<int64_t> next = sampler.next(step_logits, context, out.tokens);
    bool all_done = true;
    for (int64_t i = 0; i < b; ++i) {
      if (done[i]) {
        next[i] = opts.pad_id;
        continue;
      }
      int64_t t = next[i];
      if (is_stop(t)) {
        done[i] = true;
        out.finish_reason[i] = "stop";
        out.stop_token[i] = t;
        continue;
      }
      out.tokens[i].push_back(t);
      context[i].push_back(t);
      if (constraint) constraint->accept(t);
      if (opts.on_token && !opts.on_token(static_cast<size_t>(i), t)) {
        done[i] = true;
        out.finish_reason[i] = "callback";
        continue;
      }
      all_done = false;
    }
    if (all_done || step + 1 == budget) break;
    at::Tensor step_ids = at::tensor(next, at::kLong).view({b, 1});
    logits = model.forward_ids(step_ids, &cache, at::ones({b, 1}, at::kLong), 0);
  }
  return out;
}

std::vector<int64_t> read_eos_ids(const io::Checkpoint& ck) {
  std::vector<int64_t> ids;
  auto add = [&](const nlohmann::json& j) {
    for (int64_t t : models::llama::parse_token_ids(j, "eos_token_id"))
      if (std::find(ids.begin(), ids.end(), t) == ids.end()) ids.push_back(t);
  };
  add(ck.config());
  if (ck.config().is_object() && ck.config().contains("text_config")) add(ck.config()["text_config"]);
  add(ck.side_json("generation_config.json"));
  return ids;
}

}  // namespace argus::tasks
