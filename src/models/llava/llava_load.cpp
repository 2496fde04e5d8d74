#include "models/llava/llava_load.h"

#include <utility>
#include <vector>

#include "io/checkpoint.h"
#include "nn/inference.h"
#include "nn/load.h"
#include "nn/uninitialized.h"
#include "util/error.h"
#include "util/strings.h"

namespace argus::models::llava {

namespace {

// Ordered prefix substitutions; every rule is tried once, in order, so the
// transformers-5 rules hand their output on to the vision_model rule.
const std::vector<std::pair<std::string, std::string>>& rename_rules() {
  static const std::vector<std::pair<std::string, std::string>> rules = {
      {"model.language_model.", "language_model.model."},
      {"lm_head.", "language_model.lm_head."},
      {"model.vision_tower.", "vision_tower."},
      {"model.multi_modal_projector.", "multi_modal_projector."},
      {"vision_tower.vision_model.", "vision_tower."},
  };
  return rules;
}

const io::TensorEntry* find_renamed(const io::Checkpoint& ck, const std::string& name) {
  for (const auto& [key, ref] : ck.tensors())
    if (llava_key_name(key) == name) return ref.entry;
  return nullptr;
}

}  // namespace

std::string llava_key_name(const std::string& key) {
  std::string k = key;
  for (const auto& [from, to] : rename_rules())
    if (starts_with(k, from)) k = to + k.substr(from.size());
  return k;
}

void check_projector_widths(const io::Checkpoint& ck, const LlavaConfig& c) {
  const io::TensorEntry* l1 = find_renamed(ck, "multi_modal_projector.linear_1.weight");
  if (!l1) fail("{}: no multi_modal_projector.linear_1.weight: not a LLaVA checkpoint", ck.dir());
  if (l1->shape.size() != 2) fail("{}: multi_modal_projector.linear_1.weight is not a matrix", ck.dir());
  if (l1->shape[1] != c.projector_in_features())
    fail("llava: multi_modal_projector.linear_1 takes {} features but the vision tower gives {} ({} hidden x {} "
         "feature layer(s))",
         l1->shape[1], c.projector_in_features(), c.vision.enc.hidden, c.vision_feature_layers.size());
  const io::TensorEntry* last = c.projector_type == "linear" ? l1 : find_renamed(ck, "multi_modal_projector.linear_2.weight");
  if (last && !last->shape.empty() && last->shape[0] != c.text.hidden_size)
    fail("llava: the projector outputs {} features but the language model's hidden_size is {}", last->shape[0],
         c.text.hidden_size);
}

LlavaForConditionalGeneration load_llava(const io::Checkpoint& ck, at::ScalarType lm_dtype) {
  if (lm_dtype != at::kFloat && lm_dtype != at::kBFloat16) fail("llava: the decoder dtype must be float32 or bfloat16");
  if (!ck.has_config()) fail("{}: no config.json", ck.dir());
  LlavaConfig c = parse_llava_config(ck.config());
  // hub configs do not say which projector they carry: the checkpoint does.
  if (!ck.config().contains("mm_projector_type"))
    c.projector_type = find_renamed(ck, "multi_modal_projector.linear_2.weight") ? "mlp2x_gelu" : "linear";
  check_projector_widths(ck, c);

  LlavaForConditionalGeneration m{nullptr};
  {
    nn::SkipInitGuard no_init;  // every weight comes from the checkpoint
    m = LlavaForConditionalGeneration(c);
  }
  // The decoder (most of the weights) may be kept in bfloat16; the vision tower and
  // projector stay float32. Retyped before loading: no float32 copy is ever held.
  if (lm_dtype != at::kFloat) nn::retype_parameters(*m->language_model, lm_dtype);
  nn::LoadOptions opts;
  opts.rename = llava_key_name;
  // Buffers that older exports saved and the reference ignores.
  opts.ignore_suffixes = {"rotary_emb.inv_freq", "embeddings.position_ids"};
  if (c.text.tie_word_embeddings) opts.ignore_suffixes.push_back("lm_head.weight");
  nn::load_weights(*m, ck, opts);
  if (lm_dtype != at::kFloat) m->language_model->to(lm_dtype);  // its buffers
  nn::prepare_for_inference(*m);
  return m;
}

}  // namespace argus::models::llava
