// SAM-style promptable-mask training (Kirillov et al. 2023) from scratch: a small ViT
// image encoder, the prompt encoder and the two-way mask decoder learn together from
// point and box prompts on objects with exact masks. As SAM does, a point prompt yields
// three masks and only the best one (focal 20 : dice 1) is penalised, so an ambiguous
// point may mean a part or the whole, while a box trains the single-mask output; the IoU
// head learns each mask's actual IoU. The
// result is saved in the Hugging Face SamModel layout with its image processor, so
// `argus segment` and `serve` load it like a downloaded SAM.
#pragma once
#include <array>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "image/image.h"
#include "models/sam/sam_config.h"
#include "train/train_loop.h"

namespace argus::train {

struct ObjectMask {
  std::vector<uint8_t> mask;      // [height, width] of its image, 0/1
  std::array<double, 4> box{};    // x0, y0, x1, y1 of the mask, pixels
};

struct MaskedImages {
  std::vector<image::Image> images;
  std::vector<std::vector<ObjectMask>> objects;  // per image; images without objects are skipped
};

struct SamRecipe {
  models::sam::SamConfig arch;
  int64_t batch_size = 32;  // global, split across ranks; half point prompts, half boxes
  uint64_t seed = 0;
  TrainOptions train;
};

// A small SAM for the generated world: 128-pixel input in 8-pixel patches (a 16x16
// embedding, 64x64 low-res masks), a 4-layer encoder of width 128, decoder width 64.
models::sam::SamConfig small_sam_config();

// SamImageProcessor for a `size`-pixel model: longest edge to size, ImageNet
// normalisation, zero padding bottom/right to size x size.
nlohmann::json sam_processor_config(int64_t size);

// Trains on `data` and writes the model to `out_dir` (rank 0); checkpoints in
// out_dir/checkpoint unless the recipe names another directory.
TrainResult train_sam(const MaskedImages& data, SamRecipe recipe, const std::string& out_dir,
                      const std::shared_ptr<Distributed>& dist);

}  // namespace argus::train
