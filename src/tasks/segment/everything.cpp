#include "tasks/segment/everything.h"

#include <algorithm>
#include <cmath>

#include "image/geometry.h"
#include "tasks/segment/mask_regions.h"
#include "util/error.h"

namespace argus::tasks::segment {

void check_everything_options(const EverythingOptions& o) {
  if (o.points_per_side < 1 || o.points_per_side > kMaxPointsPerSide)
    fail("segment everything: points_per_side must be 1..{}, got {}", kMaxPointsPerSide, o.points_per_side);
  if (o.points_per_batch < 1) fail("segment everything: points_per_batch must be positive");
  if (o.crop_n_layers < 0 || o.crop_n_layers > 4) fail("segment everything: crop layers must be 0..4");
  if (o.crop_n_points_downscale_factor < 1) fail("segment everything: the points downscale factor must be >= 1");
  if (o.stability_score_offset < 0) fail("segment everything: the stability score offset must be >= 0");
  for (double t : {o.box_nms_thresh, o.crop_nms_thresh})
    if (!(t >= 0 && t <= 1)) fail("segment everything: NMS thresholds must be in [0, 1], got {}", t);
  // Predicted IoUs and stability scores are compared as they are (a threshold above
  // every score keeps nothing, which is an answer), but NaN compares false to all.
  if (!std::isfinite(o.pred_iou_thresh)) fail("segment everything: pred_iou_thresh {} is not a finite number", o.pred_iou_thresh);
  if (!std::isfinite(o.stability_score_thresh))
    fail("segment everything: stability_thresh {} is not a finite number", o.stability_score_thresh);
  if (!std::isfinite(o.mask_threshold)) fail("segment everything: mask_threshold {} is not a finite number", o.mask_threshold);
  if (o.min_mask_region_area < 0) fail("segment everything: min_area must be >= 0, got {}", o.min_mask_region_area);
}

namespace {

// SAM's is_box_near_crop_edge: a box (inclusive corners, image coordinates) that
// ends within 20 px of a crop edge that is not also the image edge was cut by the crop.
bool near_crop_edge(const std::array<double, 4>& box, const std::array<int64_t, 4>& crop, int h, int w) {
  const double image_box[4] = {0, 0, static_cast<double>(w), static_cast<double>(h)};
  for (int i = 0; i < 4; ++i) {
    const bool at_crop = std::abs(box[i] - static_cast<double>(crop[i])) <= 20;
    const bool at_image = std::abs(box[i] - image_box[i]) <= 20;
    if (at_crop && !at_image) return true;
  }
  return false;
}

// One crop: all grid points through the decoder, filtered, NMS within the crop.
std::vector<MaskRecord> process_crop(Segmenter& s, const image::Image& img, const std::array<int64_t, 4>& crop,
                                     int points_per_side, const EverythingOptions& o) {
  const int cx0 = static_cast<int>(crop[0]), cy0 = static_cast<int>(crop[1]);
  const int cw = static_cast<int>(crop[2] - crop[0]), ch = static_cast<int>(crop[3] - crop[1]);
  const bool whole = cx0 == 0 && cy0 == 0 && cw == img.width && ch == img.height;
  image::Image cropped;
  if (!whole) cropped = image::crop(img, cx0, cy0, cw, ch);
  auto emb = s.embed(whole ? img : cropped);

  std::vector<std::array<double, 2>> grid = point_grid(points_per_side);
  std::vector<MaskRecord> found;
  std::vector<uint8_t> full(static_cast<size_t>(img.width) * img.height);
  at::NoGradGuard ng;
  for (size_t start = 0; start < grid.size(); start += static_cast<size_t>(o.points_per_batch)) {
    const size_t end = std::min(grid.size(), start + static_cast<size_t>(o.points_per_batch));
    std::vector<Prompt> prompts;
    for (size_t i = start; i < end; ++i)
      prompts.push_back({{Point{grid[i][0] * cw, grid[i][1] * ch, 1}}, std::nullopt, at::Tensor()});
    std::vector<Prediction> preds = s.predict(*emb, prompts, /*multimask=*/true);

    // The cheap filter first (predicted IoU), so only survivors are upscaled.
    for (size_t k = 0; k < preds.size(); ++k) {
      const Prediction& p = preds[k];
      std::vector<int64_t> keep;
      for (int64_t m = 0; m < p.iou_pred.size(0); ++m)
        if (p.iou_pred[m].item<double>() > o.pred_iou_thresh) keep.push_back(m);
      if (keep.empty()) continue;
      // Mask logits at the crop's size, one at a time to bound memory on big images.
      for (int64_t m : keep) {
        at::Tensor logits = models::sam::post_process_masks(p.low_res[m], emb->geometry,
                                                            s.model()->cfg.vision.image_size, 0.0, false);
        const int64_t inter = (logits > o.mask_threshold + o.stability_score_offset).sum().item<int64_t>();
        const int64_t uni = (logits > o.mask_threshold - o.stability_score_offset).sum().item<int64_t>();
        const double stability = uni > 0 ? static_cast<double>(inter) / static_cast<double>(uni) : 0.0;
        if (stability < o.stability_score_thresh) continue;
        at::Tensor bin = (logits > o.mask_threshold).to(at::kByte).contiguous();
        const uint8_t* src = bin.data_ptr<uint8_t>();
        const uint8_t* mask = src;
        if (!whole) {
          std::fill(full.begin(), full.end(), 0);
          for (int y = 0; y < ch; ++y)
            std::copy(src + static_cast<size_t>(y) * cw, src + static_cast<size_t>(y + 1) * cw,
                      full.begin() + (static_cast<size_t>(y + cy0) * img.width + cx0));
          mask = full.data();
        }
        MaskRecord r = summarize_mask(mask, img.height, img.width);
        if (r.area == 0 || near_crop_edge(bbox_corners(r), crop, img.height, img.width)) continue;
        r.iou_pred = p.iou_pred[m].item<float>();
        r.stability_score = static_cast<float>(stability);
        r.point = {grid[start + k][0] * cw + cx0, grid[start + k][1] * ch + cy0};
        r.crop_box = crop;
        found.push_back(std::move(r));
      }
    }
  }
  std::vector<std::array<double, 4>> boxes;
  std::vector<double> scores;
  for (const auto& r : found) boxes.push_back(bbox_corners(r)), scores.push_back(r.iou_pred);
  std::vector<MaskRecord> kept;
  for (size_t i : box_nms(boxes, scores, o.box_nms_thresh)) kept.push_back(std::move(found[i]));
  return kept;
}

// SAM's postprocess_small_regions: fill small holes, drop small islands, then NMS
// that prefers masks the cleanup left alone.
std::vector<MaskRecord> clean_small_regions(std::vector<MaskRecord> masks, int h, int w, const EverythingOptions& o) {
  std::vector<std::array<double, 4>> boxes;
  std::vector<double> scores;
  std::vector<MaskRecord> updated;
  for (const auto& r : masks) {
    std::vector<uint8_t> m = image::rle_decode(r.rle);
    const bool holes = remove_small_regions(m, h, w, o.min_mask_region_area, RegionMode::Holes);
    const bool islands = remove_small_regions(m, h, w, o.min_mask_region_area, RegionMode::Islands);
    MaskRecord u = r;
    if (holes || islands) {
      MaskRecord s = summarize_mask(m.data(), h, w);
      u.rle = s.rle, u.area = s.area, u.bbox = s.bbox;
    }
    boxes.push_back(bbox_corners(u));
    scores.push_back(holes || islands ? 0.0 : 1.0);
    updated.push_back(std::move(u));
  }
  std::vector<MaskRecord> kept;
  for (size_t i : box_nms(boxes, scores, o.box_nms_thresh))
    if (updated[i].area > 0) kept.push_back(std::move(updated[i]));
  return kept;
}

}  // namespace

std::vector<std::array<int64_t, 4>> crop_boxes(int height, int width, int n_layers, double overlap_ratio,
                                               std::vector<int>* layer) {
  std::vector<std::array<int64_t, 4>> boxes{{0, 0, width, height}};
  if (layer) layer->assign(1, 0);
  const int short_side = std::min(height, width);
  auto crop_len = [](int orig, int n, int overlap) {
    return static_cast<int64_t>(std::ceil(static_cast<double>(overlap * (n - 1) + orig) / n));
  };
  for (int i = 0; i < n_layers; ++i) {
    const int n = 1 << (i + 1);
    const int overlap = static_cast<int>(overlap_ratio * short_side * (2.0 / n));
    const int64_t cw = crop_len(width, n, overlap), ch = crop_len(height, n, overlap);
    // x outer, y inner: the order SAM's itertools.product gives.
    for (int xi = 0; xi < n; ++xi)
      for (int yi = 0; yi < n; ++yi) {
        const int64_t x0 = (cw - overlap) * xi, y0 = (ch - overlap) * yi;
        boxes.push_back({x0, y0, std::min<int64_t>(x0 + cw, width), std::min<int64_t>(y0 + ch, height)});
        if (layer) layer->push_back(i + 1);
      }
  }
  return boxes;
}

std::vector<std::array<double, 2>> point_grid(int n) {
  if (n < 1) fail("point grid needs at least one point per side");
  const double offset = 1.0 / (2 * n);
  std::vector<std::array<double, 2>> pts;
  for (int y = 0; y < n; ++y)
    for (int x = 0; x < n; ++x) {
      // linspace(offset, 1 - offset, n)
      auto at = [&](int i) { return n == 1 ? offset : offset + (1 - 2 * offset) * i / (n - 1); };
      pts.push_back({at(x), at(y)});
    }
  return pts;
}

std::vector<MaskRecord> segment_everything(Segmenter& s, const image::Image& img, const EverythingOptions& o) {
  check_everything_options(o);
  std::vector<int> layers;
  auto crops = crop_boxes(img.height, img.width, o.crop_n_layers, o.crop_overlap_ratio, &layers);
  std::vector<MaskRecord> all;
  for (size_t c = 0; c < crops.size(); ++c) {
    const int per_side = std::max(
        1, static_cast<int>(o.points_per_side / std::pow(o.crop_n_points_downscale_factor, layers[c])));
    auto masks = process_crop(s, img, crops[c], per_side, o);
    for (auto& m : masks) all.push_back(std::move(m));
  }
  if (crops.size() > 1) {
    // Duplicates across crops: prefer the mask from the smaller (more zoomed-in) crop.
    std::vector<std::array<double, 4>> boxes;
    std::vector<double> scores;
    for (const auto& r : all) {
      boxes.push_back(bbox_corners(r));
      const auto& cb = r.crop_box;
      scores.push_back(1.0 / static_cast<double>((cb[2] - cb[0]) * (cb[3] - cb[1])));
    }
    std::vector<MaskRecord> kept;
    for (size_t i : box_nms(boxes, scores, o.crop_nms_thresh)) kept.push_back(std::move(all[i]));
    all = std::move(kept);
  }
  if (o.min_mask_region_area > 0) all = clean_small_regions(std::move(all), img.height, img.width, o);
  std::stable_sort(all.begin(), all.end(),
                   [](const MaskRecord& a, const MaskRecord& b) { return a.iou_pred > b.iou_pred; });
  return all;
}

}  // namespace argus::tasks::segment
