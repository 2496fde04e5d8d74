// Autoregressive generation with any causal decoder (nn::CausalLm: OPT, and the
// Llama-shaped decoders through an adapter): one prefill pass over the (left-padded)
// prompts, then one cached decode step per token.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <ATen/ATen.h>

#include "models/llama/llama_model.h"
#include "nn/causal_lm.h"
#include "tasks/generate/sampling.h"
#include "text/constrain/token_constraint.h"

namespace argus::io { class Checkpoint; }

namespace argus::tasks {

struct GenerateOptions {
  SamplingParams sampling;
  int64_t max_new_tokens = 64;
  std::vector<int64_t> eos_ids;   // end a sequence (see read_eos_ids)
  std::vector<int64_t> stop_ids;  // more ids that end a sequence
  int64_t pad_id = 0;             // fed for finished rows and used for left padding
  // Called for every generated token (stop tokens excluded) as it is chosen;
  // returning false ends that row (finish reason "callback").
  std::function<bool(size_t row, int64_t token)> on_token;
  // Constrained decoding (one prompt at a time): tokens the constraint does not allow are
  // masked out before sampling, and end-of-sequence is allowed only where it says the
  // output may end. When it allows nothing at a step, generation stops with finish
  // reason "grammar" (or "stop" where the output was complete).
  // A fresh constraint per generate() call (they hold the output's state).
  std::function<std::shared_ptr<text::constrain::TokenConstraint>()> make_constraint;
};

struct Generation {
  TokenLists tokens;                      // the new tokens of each prompt, stop token excluded
  std::vector<std::string> finish_reason;  // "stop" (eos/stop id), "length", "callback" or "grammar"
  std::vector<int64_t> stop_token;         // the id that stopped each row, or -1
};

// Prompts of any lengths (left-padded internally). Generation stops at
// max_new_tokens or at max_position_embeddings ("length").
Generation generate(models::llama::LlamaForCausalLMImpl& model, const TokenLists& prompts,
                    const GenerateOptions& opts);

// Already batched input_ids [B, L] with a 0/1 attention_mask [B, L] (left padding;
// undefined = none). `inputs_embeds` [B, L, hidden], when given, replaces the
// prompt's token embeddings (multimodal prompts); input_ids still feed the penalties.
Generation generate(models::llama::LlamaForCausalLMImpl& model, const at::Tensor& input_ids,
                    const at::Tensor& attention_mask, const GenerateOptions& opts,
                    const at::Tensor& inputs_embeds = {});
Generation generate(nn::CausalLm& model, const at::Tensor& input_ids, const at::Tensor& attention_mask,
                    const GenerateOptions& opts, const at::Tensor& inputs_embeds = {});

// End-of-sequence ids: the union of config.json's and generation_config.json's
// eos_token_id (an int or a list; a composite model's text_config too).
std::vector<int64_t> read_eos_ids(const io::Checkpoint& ck);

}  // namespace argus::tasks
