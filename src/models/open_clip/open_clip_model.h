// OpenAI's CLIP (clip/model.py) as open_clip builds it from open_clip_config.json: a
// ModifiedResNet or ViT image tower under `visual.`, the causal text transformer at the
// top level, `text_projection` and `logit_scale`. Features come out unnormalised, as
// encode_image / encode_text return them.
#pragma once
#include <string>

#include <torch/nn/module.h>
#include <torch/nn/modules/embedding.h>

#include "models/open_clip/modified_resnet.h"
#include "models/open_clip/open_clip_config.h"
#include "models/open_clip/open_clip_transformer.h"

namespace argus::models::open_clip {

struct ImageStages {
  ResNetStages resnet;  // ResNet tower
  VitStages vit;        // ViT tower
};

struct OpenClipModelImpl : torch::nn::Module {
  explicit OpenClipModelImpl(const OpenClipConfig& c);
  at::Tensor encode_image(const at::Tensor& pixel_values, ImageStages* stages = nullptr);
  // input_ids [B, L <= context_length]; the pooled token is each row's highest id (EOT).
  // `ln_final` (optional) receives ln_final's output at every position.
  at::Tensor encode_text(const at::Tensor& input_ids, at::Tensor* ln_final = nullptr);
  // exp(logit_scale) * normalize(image) @ normalize(text).T
  at::Tensor logits_per_image(const at::Tensor& image_features, const at::Tensor& text_features);

  OpenClipConfig cfg;
  ModifiedResNet resnet{nullptr};   // one of the two is the "visual" submodule
  VisionTransformer vit{nullptr};
  torch::nn::Embedding token_embedding{nullptr};
  at::Tensor positional_embedding, text_projection, logit_scale;
  Transformer transformer{nullptr};
  torch::nn::LayerNorm ln_final{nullptr};
};
TORCH_MODULE(OpenClipModel);

}  // namespace argus::models::open_clip
