// Point-prompt mask mIoU of a SAM on a generated world's split.
#include <algorithm>
#include <filesystem>

#include "eval/world_eval.h"
#include "image/decode.h"
#include "tasks/segment/segmenter.h"
#include "util/error.h"
#include "util/progress.h"

namespace argus::eval {

std::array<int, 2> interior_point(const std::vector<uint8_t>& mask, int height, int width) {
  if (mask.size() != static_cast<size_t>(height) * static_cast<size_t>(width)) fail("interior_point: mask size");
  // Two-pass chessboard distance transform: distance to the nearest background pixel,
  // counting outside the image as background.
  std::vector<int> d(mask.size());
  auto at = [&](int y, int x) -> int& { return d[static_cast<size_t>(y) * static_cast<size_t>(width) + static_cast<size_t>(x)]; };
  auto get = [&](int y, int x) { return (y < 0 || x < 0 || y >= height || x >= width) ? 0 : at(y, x); };
  const int big = height + width;
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x) {
      if (!mask[static_cast<size_t>(y) * static_cast<size_t>(width) + static_cast<size_t>(x)]) {
        at(y, x) = 0;
        continue;
      }
      int v = big;
      for (auto [dy, dx] : {std::pair{-1, -1}, {-1, 0}, {-1, 1}, {0, -1}}) v = std::min(v, get(y + dy, x + dx) + 1);
      at(y, x) = v;
    }
  std::array<int, 2> best{-1, -1};
  int best_d = 0;
  for (int y = height - 1; y >= 0; --y)
    for (int x = width - 1; x >= 0; --x) {
      if (at(y, x) == 0) continue;
      int v = at(y, x);
      for (auto [dy, dx] : {std::pair{1, 1}, {1, 0}, {1, -1}, {0, 1}}) v = std::min(v, get(y + dy, x + dx) + 1);
      at(y, x) = v;
    }
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x)
      if (at(y, x) > best_d) best_d = at(y, x), best = {x, y};
  if (best_d == 0) fail("interior_point: the mask is empty");
  return best;
}

nlohmann::json evaluate_sam(const std::string& model_dir, const world::WorldSplit& split, int64_t max_images) {
  auto segmenter = tasks::segment::Segmenter::open(model_dir, 1);
  constexpr int64_t kMinArea = 20;
  auto images = evaluated_images(split, max_images);
  Progress progress("segmenting " + split_name(split), static_cast<int64_t>(images.size()));
  double iou_sum = 0;
  int64_t objects = 0;
  for (const auto* im : images) {
    auto e = segmenter->embed(image::load_image(split.image_path(*im)));
    for (const auto* a : split.annotations_of(im->id)) {
      if (a->area < kMinArea) continue;
      std::vector<uint8_t> truth = image::rle_decode(a->segmentation);
      auto [x, y] = interior_point(truth, im->height, im->width);
      tasks::segment::Prompt prompt;
      prompt.points.push_back({x + 0.5, y + 0.5, 1});
      auto pred = segmenter->predict(*e, {prompt}, true).at(0);
      at::Tensor masks = segmenter->full_masks(*e, pred);  // [3, H, W] bool
      at::Tensor mask = masks[pred.iou_pred.argmax().item<int64_t>()];
      at::Tensor t = at::from_blob(truth.data(), {im->height, im->width}, at::kByte).to(at::kBool);
      double inter = (mask & t).sum().item<double>(), uni = (mask | t).sum().item<double>();
      iou_sum += uni > 0 ? inter / uni : 0.0;
      ++objects;
    }
    progress.step();
  }
  progress.finish();
  return {{"point_miou", objects > 0 ? nlohmann::json(iou_sum / double(objects)) : nlohmann::json()},
          {"counts", {{"point_prompts", objects}}}};
}

}  // namespace argus::eval
