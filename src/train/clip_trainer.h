// CLIP contrastive pre-training from scratch (Radford et al. 2021): a symmetric
// cross-entropy over the batch's image-text similarities with a learnable temperature,
// the features of every rank gathered so data-parallel runs see the same global batch.
// The result is saved in the Hugging Face CLIPModel layout with its tokenizer and image
// processor, so every argus command loads it like a downloaded checkpoint.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "image/image.h"
#include "models/clip/clip_config.h"
#include "models/open_clip/open_clip_config.h"
#include "train/train_loop.h"

namespace argus::train {

struct CaptionedImages {
  std::vector<image::Image> images;
  std::vector<std::vector<std::string>> captions;  // one or more per image
  // Optional, for token labelling: per image, each pixel's class (0 background, 1..K the
  // class of the object seen there), at the image's size.
  std::vector<image::GrayImage> label_maps;
  int64_t label_classes = 0;  // K + 1
  // Optional, for hard negatives: per caption, a minimal edit of it that is false of its
  // image ("" where there is none), in the same layout as `captions`.
  std::vector<std::vector<std::string>> hard_negatives;
};

// The image tower. A ViT trained from scratch at CPU scale names colours but not shapes
// (tools/world_shape_probe.py: it lacks a convolution's translation and scale
// invariance); the CLIP paper's ModifiedResNet has them built in.
enum class ClipTower { Vit, ResNet };

struct ClipRecipe {
  ClipTower tower = ClipTower::Vit;
  models::clip::ClipConfig arch;                  // Vit: saved as a transformers CLIPModel
  models::open_clip::OpenClipConfig resnet_arch;  // ResNet: saved in open_clip's layout
  // (For both, the text vocabulary and special ids are set from the tokenizer.)
  int64_t batch_size = 128;       // global, split across ranks
  uint64_t seed = 0;
  // Token labelling (Jiang et al. 2021, "All Tokens Matter"): an auxiliary cross-entropy
  // that makes every patch token of the image tower name the class under it, from the
  // data's label maps. A ViT trained from scratch on little compute learns local structure
  // (here: the objects' outlines) far sooner with a label per token than from one caption
  // per image. The linear head is dropped when the model is saved. 0: plain CLIP.
  double token_label_weight = 0;
  // Hard negative captions (Yuksekgonul et al. 2023, NegCLIP): each image is contrasted
  // with the batch's captions and also with their false edits, so what the edit changed
  // (here the shape words, which colours and counts otherwise let the batch ignore) must
  // show in both towers. Used when the data has them.
  bool hard_negatives = true;
  TrainOptions train;
};

// A small CLIP for 96-pixel images (the generated world's default).
models::clip::ClipConfig small_clip_config();

// A small ResNet CLIP for the world's 96-pixel images: a 3x3 attention-pool grid, the
// same text tower as small_clip_config, squashed (not cropped) inputs.
models::open_clip::OpenClipConfig small_resnet_clip_config();

// The image processor config the recipe trains and serves with: a plain resize to the
// model's square input (no crop, so objects near the border stay in view) and CLIP's
// normalisation.
nlohmann::json clip_processor_config(int64_t image_size);

// The class of each patch of a `image_size`-square input cut into `patch`-pixel patches,
// from a label map that the input stretches to that square: the class most of the patch's
// pixels show, background (0) on ties. Row-major, (image_size / patch)^2 entries.
std::vector<int64_t> patch_majority_labels(const image::GrayImage& map, int64_t image_size, int64_t patch,
                                           int64_t classes);

// Trains on `data` and writes the model to `out_dir` (rank 0). `vocabulary` is every word
// the texts use: the tokenizer is trained on it first. Checkpoints go to
// `out_dir/checkpoint` unless the recipe names another directory.
TrainResult train_clip(const CaptionedImages& data, const std::vector<std::string>& vocabulary, ClipRecipe recipe,
                       const std::string& out_dir, const std::shared_ptr<Distributed>& dist);

}  // namespace argus::train
