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
#include "train/train_loop.h"

namespace argus::train {

struct CaptionedImages {
  std::vector<image::Image> images;
  std::vector<std::vector<std::string>> captions;  // one or more per image
};

struct ClipRecipe {
  models::clip::ClipConfig arch;  // text vocab and special ids are set from the tokenizer
  int64_t batch_size = 128;       // global, split across ranks
  uint64_t seed = 0;
  TrainOptions train;
};

// A small CLIP for 96-pixel images (the generated world's default).
models::clip::ClipConfig small_clip_config();

// The image processor config the recipe trains and serves with: a plain resize to the
// model's square input (no crop, so objects near the border stay in view) and CLIP's
// normalisation.
nlohmann::json clip_processor_config(int64_t image_size);

// Trains on `data` and writes the model to `out_dir` (rank 0). `vocabulary` is every word
// the texts use: the tokenizer is trained on it first. Checkpoints go to
// `out_dir/checkpoint` unless the recipe names another directory.
TrainResult train_clip(const CaptionedImages& data, const std::vector<std::string>& vocabulary, ClipRecipe recipe,
                       const std::string& out_dir, const std::shared_ptr<Distributed>& dist);

}  // namespace argus::train
