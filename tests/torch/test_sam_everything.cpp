// Segment-everything on the fixture SAM (a tiny random model, so the paper's
// thresholds are lowered to get masks at all) and its building blocks.
#include <gtest/gtest.h>

#include <set>

#include "image/decode.h"
#include "image/resample.h"
#include "parity.h"
#include "tasks/segment/everything.h"
#include "tasks/segment/mask_regions.h"
#include "util/error.h"

using namespace argus;
using namespace argus::tasks::segment;

namespace {

Segmenter& segmenter() {
  static auto s = Segmenter::open(test::fixture("sam"), 8);
  return *s;
}

const image::Image& truck() {
  static image::Image img = image::load_image(test::asset("images/truck.jpg"));
  return img;
}

// The fixture is a random model: its predicted IoUs are not calibrated, so the
// threshold is the median prediction over the grid (half the masks pass it).
double median_iou(int points_per_side) {
  ImageEmbedding e = *segmenter().embed(truck());
  std::vector<Prompt> prompts;
  for (auto& p : point_grid(points_per_side)) prompts.push_back({{{p[0] * 1800, p[1] * 1200, 1}}, std::nullopt, {}});
  std::vector<float> all;
  for (auto& pr : segmenter().predict(e, prompts, true))
    for (int64_t m = 0; m < 3; ++m) all.push_back(pr.iou_pred[m].item<float>());
  std::nth_element(all.begin(), all.begin() + all.size() / 2, all.end());
  return all[all.size() / 2];
}

EverythingOptions test_options() {
  static double thresh = median_iou(8);
  EverythingOptions o;
  o.points_per_side = 8;
  o.points_per_batch = 24;  // several batches, the last one partial
  o.pred_iou_thresh = thresh;
  // The random model's logits are mostly within the +-1 offset band, so stability
  // scores are low: the threshold is 0 here and tightened relative to the data below.
  o.stability_score_thresh = 0.0;
  return o;
}

std::vector<uint8_t> decode(const MaskRecord& m) { return image::rle_decode(m.rle); }

double box_iou(const std::array<double, 4>& a, const std::array<double, 4>& b) {
  const double iw = std::min(a[2], b[2]) - std::max(a[0], b[0]), ih = std::min(a[3], b[3]) - std::max(a[1], b[1]);
  if (iw <= 0 || ih <= 0) return 0;
  auto area = [](const std::array<double, 4>& x) { return (x[2] - x[0]) * (x[3] - x[1]); };
  return iw * ih / (area(a) + area(b) - iw * ih);
}

}  // namespace

TEST(SamEverything, PointGridAndCropBoxesFollowSam) {
  auto g = point_grid(2);
  ASSERT_EQ(g.size(), 4u);
  EXPECT_EQ(g[0], (std::array<double, 2>{0.25, 0.25}));
  EXPECT_EQ(g[1], (std::array<double, 2>{0.75, 0.25}));  // row by row: x varies first
  EXPECT_EQ(g[2], (std::array<double, 2>{0.25, 0.75}));
  EXPECT_DOUBLE_EQ(point_grid(32)[0][0], 1.0 / 64);
  EXPECT_DOUBLE_EQ(point_grid(32)[31][0], 1.0 - 1.0 / 64);
  // One crop layer on 1200x1800: overlap int(512/1500 * 1200) = 409, crops
  // ceil((409 + 1800) / 2) = 1105 wide and ceil((409 + 1200) / 2) = 805 high.
  std::vector<int> layer;
  auto boxes = crop_boxes(1200, 1800, 1, 512.0 / 1500.0, &layer);
  ASSERT_EQ(boxes.size(), 5u);
  EXPECT_EQ(boxes[0], (std::array<int64_t, 4>{0, 0, 1800, 1200}));
  EXPECT_EQ(boxes[1], (std::array<int64_t, 4>{0, 0, 1105, 805}));
  EXPECT_EQ(boxes[2], (std::array<int64_t, 4>{0, 396, 1105, 1200}));
  EXPECT_EQ(boxes[3], (std::array<int64_t, 4>{696, 0, 1800, 805}));
  EXPECT_EQ(boxes[4], (std::array<int64_t, 4>{696, 396, 1800, 1200}));
  EXPECT_EQ(layer, (std::vector<int>{0, 1, 1, 1, 1}));
  EXPECT_EQ(crop_boxes(1200, 1800, 2, 512.0 / 1500.0).size(), 21u);
}

TEST(SamEverything, BoxNmsKeepsTheBestOfOverlappingBoxes) {
  std::vector<std::array<double, 4>> boxes{{0, 0, 10, 10}, {1, 1, 10, 10}, {20, 20, 30, 30}, {0, 0, 10, 12}};
  std::vector<double> scores{0.5, 0.9, 0.7, 0.6};
  // 1 (best) suppresses 0 (IoU 0.81) and 3 (IoU 0.675 <= 0.7 stays); 2 is apart.
  EXPECT_EQ(box_nms(boxes, scores, 0.7), (std::vector<size_t>{1, 2, 3}));
  EXPECT_EQ(box_nms(boxes, scores, 0.5), (std::vector<size_t>{1, 2}));
  EXPECT_EQ(box_nms(boxes, scores, 1.0).size(), 4u);
}

TEST(SamEverything, SmallRegionsAreFilledOrDropped) {
  // 6x6: a 4x4 square with a one-pixel hole, plus a lone pixel far away.
  std::vector<uint8_t> m(36, 0);
  for (int y = 0; y < 4; ++y)
    for (int x = 0; x < 4; ++x) m[y * 6 + x] = 1;
  m[1 * 6 + 1] = 0;  // the hole
  m[5 * 6 + 5] = 1;  // the island
  std::vector<uint8_t> holes = m;
  EXPECT_TRUE(remove_small_regions(holes, 6, 6, 2, RegionMode::Holes));
  EXPECT_EQ(holes[1 * 6 + 1], 1);
  EXPECT_EQ(holes[5 * 6 + 4], 0);  // the big background region stays background
  std::vector<uint8_t> islands = m;
  EXPECT_TRUE(remove_small_regions(islands, 6, 6, 2, RegionMode::Islands));
  EXPECT_EQ(islands[5 * 6 + 5], 0);
  EXPECT_EQ(islands[0], 1);
  // Nothing small: unchanged and says so.
  std::vector<uint8_t> same = islands;
  EXPECT_FALSE(remove_small_regions(same, 6, 6, 2, RegionMode::Islands));
  EXPECT_EQ(same, islands);
  // Every island small: the largest survives.
  std::vector<uint8_t> all_small = m;
  remove_small_regions(all_small, 6, 6, 100, RegionMode::Islands);
  EXPECT_EQ(all_small[0], 1);
  EXPECT_EQ(all_small[5 * 6 + 5], 0);
  // Diagonal neighbours connect (8-connectivity): two diagonal pixels are one region of 2.
  std::vector<uint8_t> diag(9, 0);
  diag[0] = diag[4] = 1;
  EXPECT_FALSE(remove_small_regions(diag, 3, 3, 2, RegionMode::Islands));
}

TEST(SamEverything, EveryMaskPassesTheFiltersAndReproducesItsPrompt) {
  EverythingOptions o = test_options();
  auto masks = segment_everything(segmenter(), truck(), o);
  std::printf("[sam everything] %zu masks, iou threshold %.4f\n", masks.size(), o.pred_iou_thresh);
  // The random model's masks are large and overlap, so NMS leaves few (measured: 1 of 95).
  ASSERT_GT(masks.size(), 0u);
  ImageEmbedding e = *segmenter().embed(truck());
  for (size_t i = 0; i < masks.size(); ++i) {
    const MaskRecord& m = masks[i];
    EXPECT_GT(m.iou_pred, o.pred_iou_thresh);
    EXPECT_GE(m.stability_score, o.stability_score_thresh);
    EXPECT_LE(m.stability_score, 1.0f);
    ASSERT_EQ(m.rle.height, 1200);
    ASSERT_EQ(m.rle.width, 1800);
    if (i) EXPECT_GE(masks[i - 1].iou_pred, m.iou_pred);  // sorted by score
    std::vector<uint8_t> px = decode(m);
    EXPECT_EQ(m.area, std::count(px.begin(), px.end(), 1));
    // The mask is one of SAM's three answers to its own grid point.
    auto pred = segmenter().predict(e, {Prompt{{{m.point[0], m.point[1], 1}}, std::nullopt, {}}}, true)[0];
    at::Tensor full = segmenter().full_masks(e, pred).to(at::kByte);
    at::Tensor got = at::from_blob(px.data(), {1200, 1800}, at::kByte);
    bool found = false;
    for (int64_t k = 0; k < 3; ++k)
      if (std::abs(pred.iou_pred[k].item<float>() - m.iou_pred) < 1e-6f && at::equal(full[k], got)) found = true;
    EXPECT_TRUE(found) << "mask " << i << " is not the prediction for its point";
  }
  // No two survivors overlap beyond the NMS threshold.
  for (size_t i = 0; i < masks.size(); ++i)
    for (size_t j = i + 1; j < masks.size(); ++j)
      EXPECT_LE(box_iou(bbox_corners(masks[i]), bbox_corners(masks[j])), o.box_nms_thresh) << i << " " << j;
  // Deterministic.
  auto again = segment_everything(segmenter(), truck(), o);
  ASSERT_EQ(again.size(), masks.size());
  for (size_t i = 0; i < masks.size(); ++i) EXPECT_EQ(again[i].rle.counts, masks[i].rle.counts);
}

TEST(SamEverything, NmsRemovesOnlyDuplicatesOfBetterMasks) {
  EverythingOptions o = test_options();
  EverythingOptions no_nms = o;
  no_nms.box_nms_thresh = 1.0;
  auto kept = segment_everything(segmenter(), truck(), o);
  auto all = segment_everything(segmenter(), truck(), no_nms);
  std::printf("[sam everything] %zu masks before NMS, %zu after\n", all.size(), kept.size());
  ASSERT_GT(all.size(), kept.size());  // the grid finds the same objects more than once
  std::set<std::string> kept_rles;
  for (const auto& k : kept) kept_rles.insert(k.rle.counts);
  for (const auto& m : all) {
    if (kept_rles.count(m.rle.counts)) continue;
    bool covered = false;
    for (const auto& k : kept)
      covered |= k.iou_pred >= m.iou_pred && box_iou(bbox_corners(k), bbox_corners(m)) > o.box_nms_thresh;
    EXPECT_TRUE(covered) << "a dropped mask has no better overlapping survivor";
  }
  // Stricter thresholds keep a subset.
  std::vector<float> stab;
  for (const auto& k : kept) stab.push_back(k.stability_score);
  std::sort(stab.begin(), stab.end());
  EverythingOptions strict = o;
  strict.stability_score_thresh = stab[stab.size() / 2];
  auto fewer = segment_everything(segmenter(), truck(), strict);
  EXPECT_LT(fewer.size(), all.size());
  for (const auto& m : fewer) EXPECT_GE(m.stability_score, strict.stability_score_thresh);
}

TEST(SamEverything, CropLayersGiveMasksInsideTheirCrops) {
  image::Image small = image::resize(truck(), 360, 240, image::Filter::Bilinear);
  EverythingOptions o = test_options();
  o.points_per_side = 4;
  o.crop_n_layers = 1;
  o.pred_iou_thresh = -1e9;
  auto masks = segment_everything(segmenter(), small, o);
  auto crops = crop_boxes(240, 360, 1, o.crop_overlap_ratio);
  ASSERT_GT(masks.size(), 0u);
  bool from_a_crop = false;
  for (const auto& m : masks) {
    EXPECT_EQ(m.rle.height, 240);
    EXPECT_EQ(m.rle.width, 360);
    EXPECT_NE(std::find(crops.begin(), crops.end(), m.crop_box), crops.end());
    const auto& c = m.crop_box;
    from_a_crop |= c != crops[0];
    // The prompt point and the mask lie inside the crop that produced them.
    EXPECT_GE(m.point[0], c[0]);
    EXPECT_LT(m.point[0], c[2]);
    EXPECT_GE(m.bbox[0], c[0]);
    EXPECT_LE(m.bbox[0] + m.bbox[2], c[2]);
    EXPECT_GE(m.bbox[1], c[1]);
    EXPECT_LE(m.bbox[1] + m.bbox[3], c[3]);
  }
  // The random model's crop masks run into the crop edges and are dropped (SAM's
  // is_box_near_crop_edge), so whether one survives is not asserted.
  std::printf("[sam everything] crops: %zu masks, one from a crop: %d\n", masks.size(), from_a_crop);
}

TEST(SamEverything, MinAreaCleanupLeavesNoSmallRegions) {
  EverythingOptions o = test_options();
  o.min_mask_region_area = 4000;
  auto masks = segment_everything(segmenter(), truck(), o);
  ASSERT_GT(masks.size(), 0u);
  for (const auto& m : masks) {
    std::vector<uint8_t> px = decode(m), again = px;
    remove_small_regions(again, 1200, 1800, o.min_mask_region_area, RegionMode::Holes);
    remove_small_regions(again, 1200, 1800, o.min_mask_region_area, RegionMode::Islands);
    EXPECT_EQ(again, px) << "cleanup is not idempotent: a small region survived";
  }
}

TEST(SamEverything, BadOptionsAreErrors) {
  EverythingOptions o;
  o.points_per_side = 0;
  EXPECT_THROW(segment_everything(segmenter(), truck(), o), Error);
  o = {};
  o.points_per_batch = 0;
  EXPECT_THROW(segment_everything(segmenter(), truck(), o), Error);
  o = {};
  o.box_nms_thresh = 1.5;
  EXPECT_THROW(segment_everything(segmenter(), truck(), o), Error);
}
