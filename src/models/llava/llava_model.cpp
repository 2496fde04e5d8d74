#include "models/llava/llava_model.h"

#include <algorithm>

#include "util/error.h"

namespace argus::models::llava {

LlavaMultiModalProjectorImpl::LlavaMultiModalProjectorImpl(const LlavaConfig& c) {
  int64_t out = c.text.hidden_size;
  linear_1 = register_module("linear_1", nn::dense(c.projector_in_features(), out, c.projector_bias));
  if (c.projector_type == "mlp2x_gelu") {
    act = nn::activation(c.projector_hidden_act);
    linear_2 = register_module("linear_2", nn::dense(out, out, c.projector_bias));
  }
}

at::Tensor LlavaMultiModalProjectorImpl::forward(const at::Tensor& x) {
  at::Tensor h = linear_1(x);
  return linear_2.is_empty() ? h : linear_2(act(h));
}

LlavaForConditionalGenerationImpl::LlavaForConditionalGenerationImpl(const LlavaConfig& c) : cfg(c) {
  vision_tower = register_module("vision_tower", clip::ClipVisionTransformer(c.vision));
  multi_modal_projector = register_module("multi_modal_projector", LlavaMultiModalProjector(c));
  language_model = register_module("language_model", llama::LlamaForCausalLM(c.text));
}

at::Tensor LlavaForConditionalGenerationImpl::image_features(const at::Tensor& pixel_values) {
  at::NoGradGuard no_grad;
  at::Tensor projected = multi_modal_projector(tower_features(pixel_values));
  return projected.to(language_model->model->embed_tokens->weight.scalar_type());
}

at::Tensor select_tower_features(clip::ClipVisionTransformerImpl& tower, const LlavaConfig& c,
                                 const at::Tensor& pixel_values) {
  if (pixel_values.dim() != 4 || pixel_values.size(1) != c.vision.num_channels)
    fail("llava: pixel_values must be [N, {}, H, W]", c.vision.num_channels);
  std::vector<int64_t> layers = c.resolved_feature_layers();
  // Only the layers up to the deepest one read are run (-2 skips the last layer).
  int64_t deepest = *std::max_element(layers.begin(), layers.end());
  clip::TowerOutput out = tower.forward(pixel_values.to(at::kFloat), true, deepest);
  std::vector<at::Tensor> picked;
  for (int64_t l : layers) picked.push_back(out.hidden_states.at(l));
  at::Tensor feats = picked.size() == 1 ? picked[0] : at::cat(picked, -1);
  if (c.vision_feature_select_strategy == "default") feats = feats.slice(1, 1);  // drop CLS
  return feats;
}

at::Tensor merge_image_features(llama::LlamaForCausalLMImpl& lm, int64_t image_token, const at::Tensor& input_ids,
                                const at::Tensor& features) {
  if (input_ids.dim() != 2 || input_ids.size(0) != 1) fail("llava: input_ids must be [1, length]");
  at::Tensor ids = input_ids.to(at::kLong);
  at::Tensor slots = (ids[0] == image_token).nonzero().squeeze(1);
  int64_t need = slots.size(0), have = features.defined() ? features.size(0) : 0;
  if (need != have)
    fail("llava: the prompt has {} image-token slots but the images give {} features", need, have);
  // Slots may use an id past the text vocabulary (added after training): embed them as 0,
  // their rows are overwritten below anyway.
  at::Tensor embeds = lm.model->embed(ids.masked_fill(ids == image_token, 0));
  if (need == 0) return embeds;
  if (features.dim() != 2 || features.size(1) != embeds.size(2))
    fail("llava: image features must be [slots, {}]", embeds.size(2));
  embeds = embeds.clone();
  embeds[0].index_copy_(0, slots, features.to(embeds.scalar_type()));
  return embeds;
}

at::Tensor LlavaForConditionalGenerationImpl::tower_features(const at::Tensor& pixel_values) {
  return select_tower_features(*vision_tower, cfg, pixel_values);
}

at::Tensor LlavaForConditionalGenerationImpl::merge_embeddings(const at::Tensor& input_ids,
                                                               const at::Tensor& features) {
  return merge_image_features(*language_model, cfg.image_token_index, input_ids, features);
}

at::Tensor LlavaForConditionalGenerationImpl::forward(const at::Tensor& input_ids, const at::Tensor& pixel_values) {
  at::NoGradGuard no_grad;
  at::Tensor feats;
  if (pixel_values.defined() && pixel_values.numel() > 0) feats = image_features(pixel_values).flatten(0, 1);
  return language_model->forward_embeds(merge_embeddings(input_ids, feats));
}

}  // namespace argus::models::llava
