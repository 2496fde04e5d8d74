#include <gtest/gtest.h>

#include <cstdio>

#include "io/checkpoint.h"
#include "models/sam/sam_model.h"
#include "models/sam/sam_postprocess.h"
#include "parity.h"

using namespace argus;
using namespace argus::models::sam;

namespace {

struct SamFixture {
  SamModel model{nullptr};
  std::map<std::string, at::Tensor> ref;
  ImageGeometry geometry;
};

SamFixture& fixture() {
  static SamFixture f = [] {
    SamFixture s;
    s.model = load_sam_model(io::Checkpoint::open(test::fixture("sam")));
    s.ref = test::reference("sam");
    at::Tensor orig = s.ref["original_sizes"], resized = s.ref["reshaped_input_sizes"];
    s.geometry = {orig[0][0].item<int64_t>(), orig[0][1].item<int64_t>(), resized[0][0].item<int64_t>(),
                  resized[0][1].item<int64_t>()};
    return s;
  }();
  return f;
}

double report(const char* what, const at::Tensor& a, const at::Tensor& b) {
  double d = test::max_abs_diff(a, b);
  std::printf("[sam parity] %-28s max abs diff %.3g\n", what, d);
  return d;
}

double agreement(const at::Tensor& a, const at::Tensor& b) {
  EXPECT_EQ(a.sizes(), b.sizes());
  if (a.sizes() != b.sizes()) return 0.0;
  return (a.to(at::kBool) == b.to(at::kBool)).to(at::kDouble).mean().item<double>();
}

// One prompt case on the reference image embeddings: iou_scores, low-res logits,
// and the binarised full-size masks from our own post-processing.
void check_case(const std::string& name, const at::Tensor& points, const at::Tensor& labels, const at::Tensor& boxes) {
  auto& f = fixture();
  at::NoGradGuard ng;
  SamPrediction p = f.model->predict(f.ref["image_embeddings"], points, labels, boxes, at::Tensor(), true);
  EXPECT_LE(report((name + ".iou_scores").c_str(), p.iou_scores, f.ref[name + ".iou_scores"]), 1e-3);
  EXPECT_LE(report((name + ".pred_masks").c_str(), p.low_res_masks, f.ref[name + ".pred_masks"]), 1e-3);
  at::Tensor full = post_process_masks(p.low_res_masks[0], f.geometry);  // [P, 3, H, W]
  double agree = agreement(full, f.ref[name + ".masks_full"]);
  std::printf("[sam parity] %-28s pixel agreement %.6f\n", (name + ".masks_full").c_str(), agree);
  EXPECT_GE(agree, 0.999) << name;
}

}  // namespace

TEST(SamParity, ImageEmbeddingsMatchTransformers) {
  auto& f = fixture();
  at::NoGradGuard ng;
  at::Tensor emb = f.model->image_embeddings(f.ref["pixel_values"]);
  EXPECT_LE(report("image_embeddings", emb, f.ref["image_embeddings"]), 1e-4);
}

TEST(SamParity, SinglePoint) {
  auto& f = fixture();
  check_case("point", f.ref["point.input_points"], at::Tensor(), at::Tensor());
}

TEST(SamParity, PositiveAndNegativePoints) {
  auto& f = fixture();
  check_case("two_points", f.ref["two_points.input_points"], f.ref["two_points.input_labels"], at::Tensor());
}

TEST(SamParity, Box) {
  auto& f = fixture();
  check_case("box", at::Tensor(), at::Tensor(), f.ref["box.input_boxes"]);
}

TEST(SamParity, EndToEndFromPixelValues) {
  // Our own embeddings feeding the decoder: the whole graph against the reference.
  auto& f = fixture();
  at::NoGradGuard ng;
  at::Tensor emb = f.model->image_embeddings(f.ref["pixel_values"]);
  SamPrediction p = f.model->predict(emb, f.ref["two_points.input_points"], f.ref["two_points.input_labels"],
                                     at::Tensor());
  EXPECT_LE(report("e2e two_points.iou_scores", p.iou_scores, f.ref["two_points.iou_scores"]), 1e-3);
  EXPECT_LE(report("e2e two_points.pred_masks", p.low_res_masks, f.ref["two_points.pred_masks"]), 1e-3);
  EXPECT_GE(agreement(post_process_masks(p.low_res_masks[0], f.geometry), f.ref["two_points.masks_full"]), 0.999);
}

TEST(SamParity, PointsGivenAsBatchByPointsByTwo) {
  // [B, N, 2] points (no point-batch dim) give the same answer as [B, 1, N, 2].
  auto& f = fixture();
  at::NoGradGuard ng;
  at::Tensor pts = f.ref["two_points.input_points"], lab = f.ref["two_points.input_labels"];
  SamPrediction a = f.model->predict(f.ref["image_embeddings"], pts.squeeze(1), lab.squeeze(1), at::Tensor());
  SamPrediction b = f.model->predict(f.ref["image_embeddings"], pts, lab, at::Tensor());
  EXPECT_CLOSE(a.low_res_masks, b.low_res_masks, 0.0);
  EXPECT_CLOSE(a.iou_scores, b.iou_scores, 0.0);
}

TEST(SamParity, SingleMaskOutputAndMaskInput) {
  auto& f = fixture();
  at::NoGradGuard ng;
  at::Tensor emb = f.ref["image_embeddings"];
  SamPrediction one = f.model->predict(emb, f.ref["point.input_points"], at::Tensor(), at::Tensor(), at::Tensor(), false);
  EXPECT_EQ(one.low_res_masks.sizes(), (std::vector<int64_t>{1, 1, 1, 256, 256}));
  EXPECT_EQ(one.iou_scores.sizes(), (std::vector<int64_t>{1, 1, 1}));
  // A previous low-res mask as dense prompt goes through mask_embed and changes the answer.
  at::Tensor prev = f.ref["point.pred_masks"].select(2, 0);  // [1, 1, 256, 256]
  SamPrediction refined = f.model->predict(emb, f.ref["point.input_points"], at::Tensor(), at::Tensor(), prev, true);
  EXPECT_EQ(refined.low_res_masks.sizes(), f.ref["point.pred_masks"].sizes());
  EXPECT_GT(test::max_abs_diff(refined.low_res_masks, f.ref["point.pred_masks"]), 1e-3);
}
