// LlavaNextForConditionalGeneration: LLaVA's CLIP vision tower, projector and
// Llama-shaped decoder, with anyres image features: the base view's features, then the
// tiles' features re-assembled into the image's grid, trimmed to its aspect ratio and
// closed by image_newline on every row. Submodule names follow the llava-hf checkpoints
// (vision_tower.*, multi_modal_projector.*, language_model.*, image_newline); other key
// layouts are renamed onto these on load (llava_next_load.cpp).
#pragma once
#include <torch/nn/module.h>

#include "models/clip/clip_model.h"
#include "models/llama/llama_model.h"
#include "models/llava/llava_model.h"
#include "models/llava_next/llava_next_config.h"

namespace argus::models::llava_next {

struct LlavaNextForConditionalGenerationImpl : torch::nn::Module {
  explicit LlavaNextForConditionalGenerationImpl(const LlavaNextConfig& c);

  // One image's views [1 + tiles, 3, tile, tile] (llava_next_pixel_values) and its
  // original size -> its packed features [layout(size).tokens, text hidden], in the
  // decoder's dtype. Views that do not match the size's layout are argus::Error.
  at::Tensor image_features(const at::Tensor& pixel_values, Resolution image_size);

  // transformers' forward: input_ids [1, L], pixel_values [images, views, 3, tile, tile]
  // (each image's views first, the rest padding), image_sizes [images, 2] (height, width)
  // -> logits [1, L, vocab].
  at::Tensor forward(const at::Tensor& input_ids, const at::Tensor& pixel_values, const at::Tensor& image_sizes);

  LlavaNextConfig cfg;
  clip::ClipVisionTransformer vision_tower{nullptr};
  llava::LlavaMultiModalProjector multi_modal_projector{nullptr};
  llama::LlamaForCausalLM language_model{nullptr};
  at::Tensor image_newline;  // [text hidden]
};
TORCH_MODULE(LlavaNextForConditionalGeneration);

}  // namespace argus::models::llava_next
