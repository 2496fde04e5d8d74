// OWL-ViT-style open-vocabulary detection training (Minderer et al. 2022) on a trained
// CLIP: the towers are kept, the image tower's pooling is dropped and every patch token
// gets a class head (its embedding scored against the text embeddings of the queries)
// and a box head. Training is DETR's set prediction: each ground-truth object is matched
// to one patch by the Hungarian method on a class + L1 + generalised-IoU cost, the
// matched patches learn the object's box, and every patch × query pair learns "does
// this query describe this patch's object" through a sigmoid focal loss. Queries are a
// fixed list of class phrases plus, per image, referring expressions whose positive is
// their one target, so the head also grounds phrases. The towers are tuned end to end.
// The result is saved in the Hugging Face OwlViTForObjectDetection layout with the
// CLIP's tokenizer, so `argus detect` and `serve` load it like a downloaded OWL-ViT.
#pragma once
#include <array>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "image/image.h"
#include "train/train_loop.h"

namespace argus::train {

struct DetectionObject {
  std::array<double, 4> box{};   // x0, y0, x1, y1 in its image's pixels
  std::vector<int64_t> queries;  // indices of the class queries that describe it
};

struct DetectionPhrase {
  std::string text;    // "the small red circle left of the star"
  int64_t object = 0;  // index into its image's objects
};

struct DetectionData {
  std::vector<image::Image> images;
  std::vector<std::string> class_queries;           // shared by every image
  std::vector<std::vector<DetectionObject>> objects;  // per image (may be empty)
  std::vector<std::vector<DetectionPhrase>> phrases;  // per image (may be empty, or absent altogether)
};

struct OwlRecipe {
  int64_t batch_size = 32;        // global, split across ranks
  int64_t phrases_per_image = 2;  // referring expressions drawn per image and step
  uint64_t seed = 0;
  TrainOptions train;
};

// Trains on `data` starting from the CLIP checkpoint in `clip_dir` (argus' CLIP layout:
// the world CLIP or any CLIPModel with a CLIP BPE tokenizer) and writes the detector to
// `out_dir` (rank 0); checkpoints in out_dir/checkpoint unless the recipe names another.
TrainResult train_owl(const DetectionData& data, const std::string& clip_dir, OwlRecipe recipe,
                      const std::string& out_dir, const std::shared_ptr<Distributed>& dist);

}  // namespace argus::train
