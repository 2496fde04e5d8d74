// `argus world eval`: the generated world's benchmarks, measured on the served model
// directories (loaded exactly as `argus serve` loads them) for each evaluation split.
// A metric whose model is absent is reported as null, never as a number.
#pragma once
#include <array>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "world/load.h"

namespace argus::eval {

struct WorldEvalOptions {
  std::string models_dir;  // holds clip/, llava/, sam/, owl/ (each optional)
  std::string data_dir;    // a generated world
  std::vector<std::string> splits = {"heldout", "openset"};
  int64_t max_images = 0;  // 0: every image of a split
};

// {"splits":{"heldout":{"zero_shot_acc":…,"retrieval_r1":…,"vqa_acc":…,"vqa_by_type":{…},
//  "pope_acc":…,"det_ap50":…,"point_miou":…,"refer_iou":…,"counts":{…}}, "openset":{…}}}
nlohmann::json evaluate_world(const WorldEvalOptions& o);

// The CLIP metrics of one split: zero-shot (colour, shape) classification of the
// single-object scenes and text->image retrieval R@1, over its first `max_images` (0: all).
nlohmann::json evaluate_clip(const std::string& model_dir, const world::WorldSplit& split, int64_t max_images = 0);

// The LLaVA metrics of one split: VQA exact match (overall and by question type) and
// POPE yes/no accuracy, asked with LLaVA-1.5's short-answer instruction, greedy decoding.
nlohmann::json evaluate_llava(const std::string& model_dir, const world::WorldSplit& split, int64_t max_images = 0);

// The first `max_images` images of a split (0: all): what every evaluator asks about.
std::vector<const world::ImageRecord*> evaluated_images(const world::WorldSplit& split, int64_t max_images);
// "heldout", "openset": the split's directory name, for progress lines.
std::string split_name(const world::WorldSplit& split);

// The SAM metric of one split: mean IoU of the mask a single foreground point selects
// (the highest-scoring of the three, as SAM's users take it) over every object of at
// least 20 visible pixels, the point at the visible part's most interior pixel.
nlohmann::json evaluate_sam(const std::string& model_dir, const world::WorldSplit& split, int64_t max_images = 0);

// The OWL metrics of one split: detection AP50 over the shape categories (COCO's
// 101-point AP, the shape names as queries) and, for each referring expression, the IoU
// of the detector's top box for it (the sentence as the query) with its target's box:
// refer_iou is their mean, refer_acc50 the share at IoU >= 0.5.
nlohmann::json evaluate_owl(const std::string& model_dir, const world::WorldSplit& split, int64_t max_images = 0);

// The most interior pixel of a 0/1 mask (largest chessboard distance to the background
// or the border), as {x, y}; the first such in row-major order.
std::array<int, 2> interior_point(const std::vector<uint8_t>& mask, int height, int width);

}  // namespace argus::eval
