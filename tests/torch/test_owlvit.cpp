#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include "io/checkpoint.h"
#include "models/owlvit/owlvit_model.h"
#include "models/owlvit/owlvit_postprocess.h"
#include "parity.h"
#include "util/error.h"

using namespace argus;
using namespace argus::models::owlvit;

namespace {

double report(const char* family, const char* name, const at::Tensor& a, const at::Tensor& b) {
  double d = test::max_abs_diff(a, b);
  std::printf("[parity] %s %s max abs diff %.3g\n", family, name, d);
  return d;
}

// Plain-loop IoU of two corner boxes.
double iou(const float* a, const float* b) {
  double iw = std::max(0.0, std::min<double>(a[2], b[2]) - std::max<double>(a[0], b[0]));
  double ih = std::max(0.0, std::min<double>(a[3], b[3]) - std::max<double>(a[1], b[1]));
  double inter = iw * ih;
  double ua = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  return inter / ua;
}

}  // namespace

TEST(OwlViTParity, LogitsBoxesAndEmbedsMatchTransformers) {
  auto ck = io::Checkpoint::open(test::fixture("owlvit"));
  OwlViTForObjectDetection m = load_owlvit_model(ck);
  auto ref = test::reference("owlvit");
  at::NoGradGuard ng;
  auto out = m->forward(ref["pixel_values"], ref["input_ids"], ref["attention_mask"]);
  EXPECT_LE(report("owlvit", "logits", out.logits, ref["logits"]), 1e-4);
  EXPECT_LE(report("owlvit", "pred_boxes", out.pred_boxes, ref["pred_boxes"]), 1e-4);
  EXPECT_LE(report("owlvit", "class_embeds", out.class_embeds, ref["class_embeds"]), 1e-4);
  EXPECT_LE(report("owlvit", "text_embeds", out.text_embeds, ref["text_embeds"]), 1e-4);
  EXPECT_FALSE(out.objectness_logits.defined());
  EXPECT_EQ(out.image_embeds.sizes(), (std::vector<int64_t>{1, 24, 24, 48}));
}

TEST(Owlv2Parity, LogitsBoxesAndObjectnessMatchTransformers) {
  auto ck = io::Checkpoint::open(test::fixture("owlv2"));
  OwlViTForObjectDetection m = load_owlvit_model(ck);
  ASSERT_TRUE(m->cfg.objectness);
  auto ref = test::reference("owlv2");
  at::NoGradGuard ng;
  auto out = m->forward(ref["pixel_values"], ref["input_ids"], ref["attention_mask"]);
  EXPECT_LE(report("owlv2", "logits", out.logits, ref["logits"]), 1e-4);
  // Needs box_bias rounded through the checkpoint's float16, as transformers builds it
  // (1.2e-4 without that rounding, 2e-7 with it).
  EXPECT_LE(report("owlv2", "pred_boxes", out.pred_boxes, ref["pred_boxes"]), 1e-4);
  EXPECT_LE(report("owlv2", "objectness_logits", out.objectness_logits, ref["objectness_logits"]), 1e-4);
}

TEST(OwlBoxBias, MatchesTheGridFormula) {
  at::Tensor bias = compute_box_bias(2, 3);
  ASSERT_EQ(bias.sizes(), (std::vector<int64_t>{6, 4}));
  auto logit = [](double v) { return std::log(v + 1e-4) - std::log1p(-v + 1e-4); };
  for (int y = 0; y < 2; ++y)
    for (int x = 0; x < 3; ++x) {
      at::Tensor row = bias[y * 3 + x];
      // float32 like transformers: log1p(-1 + 1e-4) at the last row/column is ~2e-4 off exact.
      EXPECT_NEAR(row[0].item<double>(), logit((x + 1) / 3.0), 1e-3);
      EXPECT_NEAR(row[1].item<double>(), logit((y + 1) / 2.0), 1e-3);
      EXPECT_NEAR(row[2].item<double>(), logit(1 / 3.0), 1e-5);
      EXPECT_NEAR(row[3].item<double>(), logit(1 / 2.0), 1e-5);
    }
}

TEST(OwlPostProcess, MatchesAnIndependentComputationOnTheReferenceOutputs) {
  auto ref = test::reference("owlvit");
  at::Tensor logits = ref["logits"], boxes = ref["pred_boxes"];
  const int64_t W = 640, H = 480;  // any original size: boxes scale by it
  // A threshold at the median score keeps about half of the patches.
  // (midway between two scores that are well apart, so rounding cannot flip a patch).
  at::Tensor sorted = std::get<0>(at::sigmoid(std::get<0>(logits[0].max(-1))).sort());
  int64_t k = sorted.size(0) / 2;
  while (k + 2 < sorted.size(0) && (sorted[k + 1] - sorted[k]).item<float>() < 1e-5f) ++k;
  const float thr = 0.5f * (sorted[k].item<float>() + sorted[k + 1].item<float>());
  for (bool square : {false, true}) {
    DetectionOptions opts;
    opts.threshold = thr;
    opts.square_padded = square;
    auto res = post_process_detection(logits, boxes, {{W, H}}, opts);
    ASSERT_EQ(res.size(), 1u);
    // Independent: loop over patches.
    struct Det { float score; int64_t label; float box[4]; };
    std::vector<Det> expect;
    auto lg = logits[0].contiguous();
    auto bx = boxes[0].contiguous();
    auto la = lg.accessor<float, 2>();
    auto ba = bx.accessor<float, 2>();
    double sx = square ? std::max(W, H) : W, sy = square ? std::max(W, H) : H;
    for (int64_t p = 0; p < lg.size(0); ++p) {
      int64_t best = 0;
      for (int64_t q = 1; q < lg.size(1); ++q)
        if (la[p][q] > la[p][best]) best = q;
      float score = 1.f / (1.f + std::exp(-la[p][best]));
      if (!(score > thr)) continue;
      float cx = ba[p][0], cy = ba[p][1], w = ba[p][2], h = ba[p][3];
      expect.push_back({score, best,
                        {float((cx - w / 2) * sx), float((cy - h / 2) * sy), float((cx + w / 2) * sx),
                         float((cy + h / 2) * sy)}});
    }
    std::stable_sort(expect.begin(), expect.end(), [](const Det& a, const Det& b) { return a.score > b.score; });
    ASSERT_GT(expect.size(), 0u) << "threshold leaves nothing to compare";
    ASSERT_LT(expect.size(), static_cast<size_t>(lg.size(0))) << "threshold removes nothing";
    ASSERT_EQ(res[0].scores.size(0), static_cast<int64_t>(expect.size()));
    for (size_t i = 0; i < expect.size(); ++i) {
      EXPECT_NEAR(res[0].scores[i].item<float>(), expect[i].score, 1e-6);
      EXPECT_EQ(res[0].labels[i].item<int64_t>(), expect[i].label);
      for (int k = 0; k < 4; ++k) EXPECT_NEAR(res[0].boxes[i][k].item<float>(), expect[i].box[k], 1e-3);
    }
    // top-k keeps the best k.
    opts.top_k = 3;
    auto top = post_process_detection(logits, boxes, {{W, H}}, opts);
    ASSERT_EQ(top[0].scores.size(0), std::min<int64_t>(3, expect.size()));
    for (int64_t i = 0; i < top[0].scores.size(0); ++i) EXPECT_NEAR(top[0].scores[i].item<float>(), expect[i].score, 1e-6);
  }
}

TEST(OwlPostProcess, NmsPerQueryAndClassAgnostic) {
  // Four patches, two queries. Boxes (cx, cy, w, h) in [0, 1] of a 100x100 image.
  at::Tensor boxes = at::tensor({0.30f, 0.30f, 0.20f, 0.20f,    // A
                                 0.31f, 0.30f, 0.20f, 0.20f,    // B: overlaps A (IoU ~0.9)
                                 0.305f, 0.30f, 0.20f, 0.20f,   // C: overlaps A and B, other label
                                 0.80f, 0.80f, 0.10f, 0.10f})   // D: alone
                         .view({1, 4, 4});
  // Best query per patch: A q0 (3.0), B q0 (2.0), C q1 (1.0), D q1 (0.5).
  at::Tensor logits = at::tensor({3.f, -5.f, 2.f, -5.f, -5.f, 1.f, -5.f, 0.5f}).view({1, 4, 2});
  DetectionOptions opts;
  opts.threshold = 0.0;
  auto none = post_process_detection(logits, boxes, {{100, 100}}, opts);
  EXPECT_EQ(none[0].scores.size(0), 4);

  opts.nms_iou = 0.5;
  auto per_query = post_process_detection(logits, boxes, {{100, 100}}, opts);
  // B is suppressed by A (same query); C survives (other query); D survives.
  ASSERT_EQ(per_query[0].scores.size(0), 3);
  EXPECT_EQ(per_query[0].labels[0].item<int64_t>(), 0);
  EXPECT_EQ(per_query[0].labels[1].item<int64_t>(), 1);
  EXPECT_EQ(per_query[0].labels[2].item<int64_t>(), 1);
  EXPECT_NEAR(per_query[0].scores[1].item<float>(), 1.f / (1.f + std::exp(-1.f)), 1e-6);
  EXPECT_NEAR(per_query[0].boxes[0][0].item<float>(), 20.f, 1e-4);
  EXPECT_NEAR(per_query[0].boxes[0][3].item<float>(), 40.f, 1e-4);

  opts.class_agnostic = true;
  auto agnostic = post_process_detection(logits, boxes, {{100, 100}}, opts);
  // A suppresses B and C whatever their query; D survives.
  ASSERT_EQ(agnostic[0].scores.size(0), 2);
  EXPECT_NEAR(agnostic[0].boxes[1][0].item<float>(), 75.f, 1e-4);

  opts.top_k = 1;
  EXPECT_EQ(post_process_detection(logits, boxes, {{100, 100}}, opts)[0].scores.size(0), 1);

  // The helpers themselves.
  at::Tensor c = center_to_corners(boxes[0]);
  auto ca = c.contiguous();
  EXPECT_NEAR(box_iou(c.slice(0, 0, 1), c.slice(0, 1, 2)).item<float>(),
              iou(ca[0].data_ptr<float>(), ca[1].data_ptr<float>()), 1e-6);
  EXPECT_LT(generalized_box_iou(c.slice(0, 0, 1), c.slice(0, 3, 4)).item<float>(), 0.f);
}

TEST(OwlImageGuided, PicksTheExemplarPatchAsTransformersDoes) {
  auto ck = io::Checkpoint::open(test::fixture("owlvit"));
  OwlViTForObjectDetection m = load_owlvit_model(ck);
  auto ref = test::reference("owlvit");
  at::NoGradGuard ng;
  at::Tensor px = ref["pixel_values"];
  at::Tensor feats = m->image_features(px);
  at::Tensor class_embeds = m->class_head->embed(feats)[0];  // [P, E] unnormalised
  at::Tensor pred = m->box_predictor(feats)[0];              // [P, 4]
  at::Tensor corners = center_to_corners(pred).contiguous();
  int64_t P = corners.size(0);

  // Independent selection: IoU by loops, 80 % of the best, least similar to the mean.
  auto expected_index = [&](const std::vector<float>& box) {
    std::vector<double> ious(P);
    double best = 0;
    for (int64_t p = 0; p < P; ++p) best = std::max(best, ious[p] = iou(box.data(), corners[p].data_ptr<float>()));
    at::Tensor mean = class_embeds.mean(0);
    int64_t pick = -1;
    double pick_sim = 0;
    for (int64_t p = 0; p < P; ++p) {
      if (ious[p] < best * 0.8) continue;
      double sim = at::dot(class_embeds[p], mean).item<double>();
      if (pick < 0 || sim < pick_sim) pick = p, pick_sim = sim;
    }
    return pick;
  };

  // Default exemplar: the whole query image ([0, 0, 1, 1]), as transformers does.
  auto out = m->image_guided_detection(px, px);
  ASSERT_EQ(out.logits.sizes(), (std::vector<int64_t>{1, P, 1}));
  int64_t idx = out.query_box_indices[0][0].item<int64_t>();
  EXPECT_EQ(idx, expected_index({0.f, 0.f, 1.f, 1.f}));
  EXPECT_CLOSE(out.query_embeds[0][0], class_embeds[idx], 1e-6);
  // The logits are the class head against that embedding; boxes are the target's.
  auto cls = m->class_head(feats, class_embeds[idx].view({1, 1, -1}), at::Tensor());
  EXPECT_CLOSE(out.logits, cls.logits, 1e-5);
  EXPECT_CLOSE(out.pred_boxes, m->box_predictor(feats), 1e-6);

  // Explicit exemplars: one predicted patch box and a quadrant, on the same image.
  auto c7 = corners[7];
  std::vector<float> b1 = {std::clamp(c7[0].item<float>(), 0.f, 1.f), std::clamp(c7[1].item<float>(), 0.f, 1.f),
                           std::clamp(c7[2].item<float>(), 0.f, 1.f), std::clamp(c7[3].item<float>(), 0.f, 1.f)};
  std::vector<float> b2 = {0.5f, 0.5f, 1.f, 1.f};
  at::Tensor qb = at::tensor({b1[0], b1[1], b1[2], b1[3], b2[0], b2[1], b2[2], b2[3]}).view({2, 4});
  auto two = m->image_guided_detection(px, px, qb);
  ASSERT_EQ(two.logits.sizes(), (std::vector<int64_t>{1, P, 2}));
  EXPECT_EQ(two.query_box_indices[0][0].item<int64_t>(), expected_index(b1));
  EXPECT_EQ(two.query_box_indices[0][1].item<int64_t>(), expected_index(b2));
}

TEST(OwlBadInput, NoQueriesAndBadExemplarBoxesAreClearErrors) {
  auto ck = io::Checkpoint::open(test::fixture("owlvit"));
  OwlViTForObjectDetection m = load_owlvit_model(ck);
  auto ref = test::reference("owlvit");
  at::NoGradGuard ng;
  at::Tensor px = ref["pixel_values"];
  EXPECT_THROW(m->forward(px, at::zeros({0, 16}, at::kLong)), Error);
  EXPECT_THROW(m->forward(px, at::Tensor()), Error);
  EXPECT_THROW(m->forward(px, ref["input_ids"].slice(0, 0, 2).repeat({1, 1}), ref["attention_mask"]), Error);
  EXPECT_THROW(m->forward(at::zeros({1, 3, 224, 224}), ref["input_ids"]), Error);
  EXPECT_THROW(m->image_guided_detection(px, px, at::tensor({-0.1f, 0.f, 0.5f, 0.5f}).view({1, 4})), Error);
  EXPECT_THROW(m->image_guided_detection(px, px, at::tensor({0.2f, 0.2f, 1.5f, 0.5f}).view({1, 4})), Error);
  EXPECT_THROW(m->image_guided_detection(px, px, at::tensor({0.5f, 0.5f, 0.5f, 0.9f}).view({1, 4})), Error);
  EXPECT_THROW(m->image_guided_detection(px, px, at::zeros({0, 4})), Error);
  EXPECT_THROW(m->image_guided_detection(px, at::Tensor()), Error);
  EXPECT_THROW(post_process_detection(ref["logits"].slice(2, 0, 0), ref["pred_boxes"], {{640, 480}}), Error);
  EXPECT_THROW(post_process_detection(ref["logits"], ref["pred_boxes"], {}), Error);
  try {
    m->image_guided_detection(px, px, at::tensor({0.2f, 0.2f, 1.5f, 0.5f}).view({1, 4}));
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("outside"), std::string::npos) << e.what();
  }
}
