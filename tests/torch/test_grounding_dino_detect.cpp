// Grounding DINO behind the Detector interface: queries packed into '.'-separated
// prompts within max_text_len, detections labelled by the query of their best phrase,
// scores and boxes as the raw model and the reference post-processing give them.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "grounding_dino_checkpoint.h"
#include "image/decode.h"
#include "models/grounding_dino/grounding_dino_postprocess.h"
#include "parity.h"
#include "tasks/detect/grounding_dino_detector.h"
#include "text/tokenizer.h"
#include "util/error.h"

using namespace argus;
using namespace argus::tasks;

namespace {

GroundingDinoDetector& gdino() {
  static auto d = GroundingDinoDetector::open(test::grounding_dino_checkpoint());
  return *d;
}

image::Image dog() { return image::load_image(test::asset("images/dog.jpg")); }

int64_t word(const std::string& w) {
  auto it = std::find(test::kGroundingDinoWords.begin(), test::kGroundingDinoWords.end(), w);
  return 200 + (it - test::kGroundingDinoWords.begin());
}

}  // namespace

TEST(GroundingDinoDetect, OpenPicksGroundingDinoFromTheConfig) {
  auto d = Detector::open(test::grounding_dino_checkpoint());
  EXPECT_NE(dynamic_cast<GroundingDinoDetector*>(d.get()), nullptr);
}

TEST(GroundingDinoDetect, QueriesBecomeOnePeriodSeparatedPrompt) {
  auto p = gdino().prompts({"a cat", "remote control."}, nullptr);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].ids, (std::vector<int64_t>{101, word("a"), word("cat"), 12, word("remote"), word("control"), 12, 102}));
  EXPECT_EQ(p[0].first_query, 0);
  EXPECT_EQ(p[0].n_queries, 2);
}

TEST(GroundingDinoDetect, ManyQueriesSplitIntoPromptsThatFit) {
  std::vector<std::string> q;
  for (int i = 0; i < 100; ++i) q.push_back(i % 2 ? "a red ball" : "grass");
  auto p = gdino().prompts(q, nullptr);
  const auto max_len = static_cast<size_t>(gdino().model()->cfg.max_text_len);
  ASSERT_GT(p.size(), 1u);
  int64_t next = 0;
  for (const auto& pr : p) {
    EXPECT_LE(pr.ids.size(), max_len);
    EXPECT_EQ(pr.first_query, next);
    EXPECT_EQ(pr.ids.front(), 101);
    EXPECT_EQ(pr.ids.back(), 102);
    EXPECT_EQ(std::count(pr.ids.begin(), pr.ids.end(), 12), pr.n_queries);
    next += pr.n_queries;
  }
  EXPECT_EQ(next, 100);
  // Every detection of a many-query request names a query in range by its text.
  DetectOptions all;
  all.threshold = 0;
  all.text_threshold = 0;
  all.nms_iou = -1;
  auto r = gdino().detect(dog(), q, {}, all);
  ASSERT_FALSE(r.detections.empty());
  for (const auto& d : r.detections) {
    ASSERT_GE(d.query, 0);
    ASSERT_LT(d.query, 100);
    EXPECT_EQ(d.label, q[static_cast<size_t>(d.query)]);
  }
}

TEST(GroundingDinoDetect, BadQueriesAreClearErrors) {
  std::vector<std::string> w;
  EXPECT_THROW(gdino().prompts({"a cat", "  "}, &w), Error);
  EXPECT_THROW(gdino().prompts({"st. bernard"}, &w), Error);
  EXPECT_THROW(gdino().prompts({"a cat? a dog"}, &w), Error);
  image::Image im = dog();
  EXPECT_THROW(gdino().detect(im, {}), Error);
  Exemplar ex{im, {0, 0, 10, 10}, "x"};
  EXPECT_THROW(gdino().detect(im, {"a cat"}, {ex}), Error);
}

TEST(GroundingDinoDetect, LongQueryIsTruncatedWithAWarning) {
  std::string longq;
  for (int i = 0; i < 80; ++i) longq += "red ";
  std::vector<std::string> w;
  auto p = gdino().prompts({longq, "a cat"}, &w);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_NE(w[0].find("truncated"), std::string::npos);
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].ids.size(), static_cast<size_t>(gdino().model()->cfg.max_text_len));
}

TEST(GroundingDinoDetect, ScoresAndBoxesAreTheModelsInOriginalPixels) {
  image::Image im = dog();
  DetectOptions all;
  all.threshold = 0;
  all.text_threshold = 0;
  all.nms_iou = -1;
  auto r = gdino().detect(im, {"a cat", "a dog"}, {}, all);
  ASSERT_FALSE(r.detections.empty());

  // The same prompt through the raw model: each query row's best token probability and
  // its (cx, cy, w, h) box scaled to the image.
  auto& m = gdino().model();
  auto ids = gdino().prompts({"a cat", "a dog"}, nullptr)[0].ids;
  at::NoGradGuard ng;
  auto out = m->forward(gdino().pixel_values(im), at::tensor(ids, at::kLong).unsqueeze(0));
  at::Tensor probs = out.logits[0].sigmoid();
  at::Tensor best = std::get<0>(probs.max(-1));
  at::Tensor boxes = out.pred_boxes[0];
  for (size_t i = 1; i < r.detections.size(); ++i) EXPECT_GE(r.detections[i - 1].score, r.detections[i].score);
  for (const auto& d : r.detections) {
    // Find the row with this score and box.
    bool found = false;
    for (int64_t q = 0; q < best.size(0) && !found; ++q) {
      if (std::abs(best[q].item<float>() - d.score) > 1e-6) continue;
      float cx = boxes[q][0].item<float>() * im.width, w = boxes[q][2].item<float>() * im.width;
      float cy = boxes[q][1].item<float>() * im.height, h = boxes[q][3].item<float>() * im.height;
      found = std::abs(d.box[0] - (cx - w / 2)) < 1e-2 && std::abs(d.box[3] - (cy + h / 2)) < 1e-2;
      if (!found) continue;
      // Labelled by the phrase holding the row's most probable phrase token.
      float cat = std::max(probs[q][1].item<float>(), probs[q][2].item<float>());
      float dogp = std::max(probs[q][4].item<float>(), probs[q][5].item<float>());
      EXPECT_EQ(d.label, cat >= dogp ? "a cat" : "a dog");
    }
    EXPECT_TRUE(found) << d.label << " " << d.score;
  }
  // Every query row whose best token lies in a phrase is returned with nothing filtered.
  int64_t in_phrase = 0;
  for (int64_t q = 0; q < best.size(0); ++q) {
    float phrase = 0, other = 0;
    for (int64_t j = 0; j < probs.size(1); ++j) {
      bool is_phrase = j == 1 || j == 2 || j == 4 || j == 5;
      (is_phrase ? phrase : other) = std::max(is_phrase ? phrase : other, probs[q][j].item<float>());
    }
    in_phrase += phrase > 0 ? 1 : 0;
  }
  EXPECT_EQ(static_cast<int64_t>(r.detections.size()), in_phrase);

  // The default thresholds (0.25 box and text) keep a subset.
  auto def = gdino().detect(im, {"a cat", "a dog"});
  EXPECT_LE(def.detections.size(), r.detections.size());
  for (const auto& d : def.detections) EXPECT_GT(d.score, 0.25f);
}

TEST(GroundingDinoDetect, ExtremeAspectRatiosWork) {
  DetectOptions all;
  all.threshold = 0;
  all.text_threshold = 0;
  for (auto [w, h] : {std::pair{3000, 16}, std::pair{16, 3000}}) {
    image::Image im = image::make_image(w, h);
    for (size_t i = 0; i < im.pixels.size(); ++i) im.pixels[i] = static_cast<uint8_t>(i * 7 % 251);
    auto r = gdino().detect(im, {"a line"}, {}, all);
    EXPECT_EQ(r.width, w);
    for (const auto& d : r.detections)
      for (float v : d.box) ASSERT_TRUE(std::isfinite(v));
  }
}
