// What CLIP's contrastive recipe needs of a model, whichever its image tower: the ViT
// CLIP saved in the Hugging Face CLIPModel layout, or the CLIP paper's ModifiedResNet
// saved in open_clip's layout. The recipe (clip_trainer.cpp) is written once against it.
#pragma once
#include <map>
#include <memory>
#include <string>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>
#include <torch/nn/module.h>

#include "train/clip_trainer.h"

namespace argus::text {
struct ClipBpeFiles;
class Tokenizer;
}  // namespace argus::text

namespace argus::models::open_clip {
struct ModifiedResNetImpl;
}

namespace argus::train {

class ClipTowers {
 public:
  virtual ~ClipTowers() = default;
  virtual torch::nn::Module& module() = 0;
  virtual nlohmann::json arch() const = 0;  // identifies the architecture to checkpoints
  virtual int64_t text_context() const = 0;
  // Every image as the tower's input, preprocessed as the saved model will preprocess it.
  virtual at::Tensor pixels(const CaptionedImages& data) const = 0;
  // Token labelling (see ClipRecipe): adds a per-patch class head; false where the tower
  // has no patch tokens.
  virtual bool add_token_head(int64_t classes) = 0;
  // L2-normalised image embeddings; with `token_logits`, also the head's per-patch class
  // logits [N, P, classes].
  virtual at::Tensor image_embeds(const at::Tensor& pixel_values, at::Tensor* token_logits) = 0;
  // ids padded with the end-of-text id; mask 1 on real tokens.
  virtual at::Tensor text_embeds(const at::Tensor& ids, const at::Tensor& mask) = 0;
  virtual at::Tensor logit_scale() = 0;
  // Writes the trained model (without training-only heads) with its tokenizer to `dir`.
  virtual void save(const std::string& dir, const nlohmann::json& recipe, const text::ClipBpeFiles& tok) = 0;
};

// OpenAI's initialisation of a ModifiedResNet trained from scratch (clip_towers.cpp says
// which gains start at zero and why the stem's do not).
void init_resnet_tower(models::open_clip::ModifiedResNetImpl& visual);

// Builds the recipe's tower (initialised from recipe.seed's generator) with the text
// vocabulary and special ids of `tok`.
std::unique_ptr<ClipTowers> make_clip_towers(ClipRecipe& recipe, const text::Tokenizer& tok);

}  // namespace argus::train
