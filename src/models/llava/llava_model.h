// LlavaForConditionalGeneration: CLIP vision tower -> multi_modal_projector -> a
// Llama-shaped decoder whose prompt carries image-token slots that the projected
// image features replace. Submodule names follow the llava-hf checkpoints
// (vision_tower.*, multi_modal_projector.linear_{1,2}, language_model.{model,lm_head});
// other key layouts are renamed onto these on load (see llava_load.cpp).
#pragma once
#include <vector>

#include <torch/nn/module.h>

#include "models/clip/clip_model.h"
#include "models/llama/llama_model.h"
#include "models/llava/llava_config.h"
#include "nn/activation.h"
#include "nn/dense.h"

namespace argus::models::llava {

struct LlavaMultiModalProjectorImpl : torch::nn::Module {
  explicit LlavaMultiModalProjectorImpl(const LlavaConfig& c);
  at::Tensor forward(const at::Tensor& x);
  nn::Activation act;
  nn::Dense linear_1{nullptr}, linear_2{nullptr};  // linear_2 null for the "linear" projector
};
TORCH_MODULE(LlavaMultiModalProjector);

// The vision tower's hidden states at `c`'s feature layers (concatenated), with the CLS
// feature dropped by the "default" strategy: [N, features, vision hidden * layers].
// With autograd unless the caller disables it. Shared by LLaVA and LLaVA-NeXT.
at::Tensor select_tower_features(clip::ClipVisionTransformerImpl& tower, const LlavaConfig& c,
                                 const at::Tensor& pixel_values);

// input_ids [1, L] whose image-token slots (`image_token`) number exactly the rows of
// `features` [S, hidden] -> inputs_embeds [1, L, hidden] with the slots filled in order.
// A count mismatch or an id outside the vocabulary is argus::Error.
at::Tensor merge_image_features(llama::LlamaForCausalLMImpl& lm, int64_t image_token, const at::Tensor& input_ids,
                                const at::Tensor& features);

struct LlavaForConditionalGenerationImpl : torch::nn::Module {
  explicit LlavaForConditionalGenerationImpl(const LlavaConfig& c);

  // pixel_values [N, 3, H, W] -> projected features [N, features_per_image, text hidden].
  at::Tensor image_features(const at::Tensor& pixel_values);
  // The vision tower's selected hidden states, before the projector [N, features, vision
  // hidden]; with autograd unless the caller disables it (training may tune the tower).
  at::Tensor tower_features(const at::Tensor& pixel_values);

  // input_ids [1, L] whose image-token slots (config image_token_index) number exactly
  // the rows of `features` [S, hidden] -> inputs_embeds [1, L, hidden] with the slots
  // filled in order. A count mismatch or an id outside the vocabulary is argus::Error.
  at::Tensor merge_embeddings(const at::Tensor& input_ids, const at::Tensor& features);

  // Full-prompt logits [1, L, vocab] (transformers' forward with pixel_values).
  at::Tensor forward(const at::Tensor& input_ids, const at::Tensor& pixel_values);

  LlavaConfig cfg;
  clip::ClipVisionTransformer vision_tower{nullptr};
  LlavaMultiModalProjector multi_modal_projector{nullptr};
  llama::LlamaForCausalLM language_model{nullptr};
};
TORCH_MODULE(LlavaForConditionalGeneration);

}  // namespace argus::models::llava
