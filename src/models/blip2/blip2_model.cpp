#include "models/blip2/blip2_model.h"

#include "nn/load.h"
#include "util/error.h"

namespace argus::models::blip2 {

Blip2ForConditionalGenerationImpl::Blip2ForConditionalGenerationImpl(const Blip2Config& c) : cfg(c) {
  vision_model = register_module("vision_model", Blip2VisionModel(c.vision));
  query_tokens = register_parameter("query_tokens", at::zeros({1, c.num_query_tokens, c.qformer.hidden_size}));
  qformer = register_module("qformer", Blip2QFormerModel(c.qformer));
  language_projection = register_module("language_projection", nn::dense(c.qformer.hidden_size, c.text.hidden_size));
  language_model = register_module("language_model", OptForCausalLM(c.text));
}

Blip2Outputs Blip2ForConditionalGenerationImpl::encode_image(const at::Tensor& pixel_values) {
  at::NoGradGuard no_grad;
  const int64_t side = cfg.vision.image_size;
  if (pixel_values.dim() != 4 || pixel_values.size(1) != 3 || pixel_values.size(2) != side ||
      pixel_values.size(3) != side)
    fail("blip-2: pixel_values must be [batch, 3, {}, {}], got {}", side, side, nn::shape_str(pixel_values.sizes()));
  Blip2Outputs o;
  o.image_embeds = vision_model(pixel_values.to(at::kFloat));
  o.qformer_last_hidden_state = qformer(query_tokens.expand({pixel_values.size(0), -1, -1}), o.image_embeds);
  o.language_model_inputs = language_projection(o.qformer_last_hidden_state);
  return o;
}

at::Tensor Blip2ForConditionalGenerationImpl::prompt_embeds(const at::Tensor& input_ids,
                                                            const at::Tensor& image_queries) {
  if (input_ids.dim() != 2 || input_ids.size(0) != 1)
    fail("blip-2: input_ids must be [1, length], got {}", nn::shape_str(input_ids.sizes()));
  at::Tensor embeds = language_model->embed(input_ids);
  if (!image_queries.defined()) return embeds;
  at::Tensor q = image_queries.to(embeds.scalar_type()).view({1, cfg.num_query_tokens, -1});
  if (cfg.image_token_index < 0) return at::cat({q, embeds}, 1);
  at::Tensor slots = (input_ids[0] == cfg.image_token_index).nonzero().view(-1);
  if (slots.size(0) != cfg.num_query_tokens)
    fail("blip-2: the prompt has {} image-token slots (id {}), the image fills {}", slots.size(0),
         cfg.image_token_index, cfg.num_query_tokens);
  embeds = embeds.clone();
  embeds[0].index_copy_(0, slots, q[0]);
  return embeds;
}

at::Tensor Blip2ForConditionalGenerationImpl::forward(const at::Tensor& input_ids, const at::Tensor& pixel_values) {
  at::NoGradGuard no_grad;
  if (pixel_values.defined() && pixel_values.size(0) != 1)
    fail("blip-2: one image per prompt, got pixel_values for {}", pixel_values.size(0));
  at::Tensor queries = pixel_values.defined() ? encode_image(pixel_values).language_model_inputs[0] : at::Tensor();
  return language_model->forward_inputs_embeds(prompt_embeds(input_ids, queries), nullptr, at::Tensor(), 0);
}

}  // namespace argus::models::blip2
