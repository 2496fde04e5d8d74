#include "models/llava_next/llava_next_load.h"

#include "io/checkpoint.h"
#include "models/llava/llava_load.h"
#include "nn/inference.h"
#include "nn/load.h"
#include "nn/uninitialized.h"
#include "util/error.h"

namespace argus::models::llava_next {

std::string llava_next_key_name(const std::string& key) {
  if (key == "model.image_newline") return "image_newline";
  return llava::llava_key_name(key);
}

LlavaNextForConditionalGeneration load_llava_next(const io::Checkpoint& ck, at::ScalarType lm_dtype) {
  if (lm_dtype != at::kFloat && lm_dtype != at::kBFloat16)
    fail("llava_next: the decoder dtype must be float32 or bfloat16");
  if (!ck.has_config()) fail("{}: no config.json", ck.dir());
  LlavaNextConfig c = parse_llava_next_config(ck.config());
  llava::check_projector_widths(ck, c.llava);

  LlavaNextForConditionalGeneration m{nullptr};
  {
    nn::SkipInitGuard no_init;  // every weight comes from the checkpoint
    m = LlavaNextForConditionalGeneration(c);
  }
  // As in LLaVA: only the decoder may be kept in bfloat16, retyped before loading.
  if (lm_dtype != at::kFloat) nn::retype_parameters(*m->language_model, lm_dtype);
  nn::LoadOptions opts;
  opts.rename = llava_next_key_name;
  opts.ignore_suffixes = {"rotary_emb.inv_freq", "embeddings.position_ids"};
  if (c.llava.text.tie_word_embeddings) opts.ignore_suffixes.push_back("lm_head.weight");
  nn::load_weights(*m, ck, opts);
  if (lm_dtype != at::kFloat) m->language_model->to(lm_dtype);  // its buffers
  nn::prepare_for_inference(*m);
  return m;
}

}  // namespace argus::models::llava_next
