// Blip2ForConditionalGeneration with an OPT decoder. Submodule names are the
// checkpoint's: vision_model.*, query_tokens, qformer.*, language_projection.*,
// language_model.model.decoder.* (language_model.lm_head is the tied embedding).
// The image becomes num_query_tokens embeddings: the learned queries read the ViT's
// features through the Q-Former, and language_projection maps them to the decoder's
// width. They fill the prompt's image-token slots (transformers >= 4.47 configs with
// image_token_index) or go before the prompt (older configs without one).
#pragma once
#include <torch/nn/module.h>

#include "models/blip2/blip2_config.h"
#include "models/blip2/blip2_qformer.h"
#include "models/blip2/blip2_vision.h"
#include "models/blip2/opt_model.h"
#include "nn/dense.h"

namespace argus::models::blip2 {

struct Blip2Outputs {
  at::Tensor image_embeds;               // the ViT's last_hidden_state [B, 1 + patches, vision hidden]
  at::Tensor qformer_last_hidden_state;  // [B, num_query_tokens, qformer hidden]
  at::Tensor language_model_inputs;      // after language_projection [B, num_query_tokens, text hidden]
};

struct Blip2ForConditionalGenerationImpl : torch::nn::Module {
  explicit Blip2ForConditionalGenerationImpl(const Blip2Config& c);

  // pixel_values [B, 3, image_size, image_size] -> the image's stages.
  Blip2Outputs encode_image(const at::Tensor& pixel_values);

  // The decoder's input embeddings for input_ids [1, L] and one image's projected
  // queries [num_query_tokens, hidden] (undefined: no image): written into the
  // image-token slots, or, without image_token_index, put before the prompt.
  // A slot count other than num_query_tokens is argus::Error.
  at::Tensor prompt_embeds(const at::Tensor& input_ids, const at::Tensor& image_queries);

  // transformers' forward: input_ids [1, L], pixel_values [1, 3, H, W] -> logits [1, L', vocab].
  at::Tensor forward(const at::Tensor& input_ids, const at::Tensor& pixel_values);

  Blip2Config cfg;
  Blip2VisionModel vision_model{nullptr};
  at::Tensor query_tokens;  // [1, num_query_tokens, qformer hidden]
  Blip2QFormerModel qformer{nullptr};
  nn::Dense language_projection{nullptr};
  OptForCausalLM language_model{nullptr};
};
TORCH_MODULE(Blip2ForConditionalGeneration);

}  // namespace argus::models::blip2
