#include "models/blip2/blip2_load.h"

#include "io/checkpoint.h"
#include "nn/inference.h"
#include "nn/load.h"
#include "nn/uninitialized.h"
#include "util/error.h"

namespace argus::models::blip2 {

Blip2ForConditionalGeneration load_blip2(const io::Checkpoint& ck, at::ScalarType lm_dtype) {
  if (lm_dtype != at::kFloat && lm_dtype != at::kBFloat16) fail("blip-2: the decoder dtype must be float32 or bfloat16");
  if (!ck.has_config()) fail("{}: no config.json", ck.dir());
  Blip2Config c = parse_blip2_config(ck.config());
  c.vision.separate_qkv_bias = ck.find("vision_model.encoder.layers.0.self_attn.q_bias") != nullptr;

  Blip2ForConditionalGeneration m{nullptr};
  {
    nn::SkipInitGuard no_init;  // every weight comes from the checkpoint
    m = Blip2ForConditionalGeneration(c);
  }
  if (lm_dtype != at::kFloat) nn::retype_parameters(*m->language_model, lm_dtype);
  nn::LoadOptions opts;
  // The tied lm_head is the embedding matrix; checkpoints may still carry the copy.
  opts.ignore_suffixes = {"language_model.lm_head.weight", "embeddings.position_ids"};
  nn::load_weights(*m, ck, opts);
  nn::prepare_for_inference(*m);
  return m;
}

}  // namespace argus::models::blip2
