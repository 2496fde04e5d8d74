// tasks/detect and tasks/ground through their C++ API: query caching and batching,
// truncation, exemplar (image-guided) queries, phrase splitting, odd image shapes.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "image/decode.h"
#include "models/owlvit/owlvit_postprocess.h"
#include "parity.h"
#include "tasks/detect/owl_detector.h"
#include "tasks/ground/phrases.h"
#include "text/tokenizer.h"
#include "util/error.h"

using namespace argus;
using namespace argus::tasks;

namespace {

image::Image asset_image(const std::string& name) { return image::load_image(test::asset("images/" + name)); }

OwlDetector& owlvit() {
  static auto d = OwlDetector::open(test::fixture("owlvit"));
  return *d;
}

double iou(const std::array<float, 4>& a, const std::array<float, 4>& b) {
  double iw = std::max(0.0, std::min<double>(a[2], b[2]) - std::max<double>(a[0], b[0]));
  double ih = std::max(0.0, std::min<double>(a[3], b[3]) - std::max<double>(a[1], b[1]));
  double inter = iw * ih;
  return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter);
}

// An image whose pixels vary (a gradient), so it is not a flat field.
image::Image gradient(int w, int h) {
  image::Image im = image::make_image(w, h);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int c = 0; c < 3; ++c)
        im.pixels[(static_cast<size_t>(y) * w + x) * 3 + c] = static_cast<uint8_t>((x * 7 + y * 13 + c * 50) % 256);
  return im;
}

}  // namespace

TEST(DetectQueries, TextEmbeddingsAreCachedAcrossImages) {
  auto det = OwlDetector::open(test::fixture("owlvit"));
  std::vector<std::string> q = {"a photo of a dog", "a photo of a person", "grass"};
  auto a = det->detect(asset_image("dogs.jpg"), q);
  EXPECT_EQ(det->text_queries().tower_calls(), 1);
  EXPECT_EQ(det->text_queries().texts_encoded(), 3);
  auto b = det->detect(asset_image("dog.jpg"), q);
  EXPECT_EQ(det->text_queries().tower_calls(), 1) << "the second image re-encoded its queries";
  // A new query encodes only itself; the cached ones give identical embeddings.
  at::Tensor before = det->text_queries().embed(q);
  at::Tensor after = det->text_queries().embed({"grass", "a cat", "a photo of a dog"});
  EXPECT_EQ(det->text_queries().tower_calls(), 2);
  EXPECT_EQ(det->text_queries().texts_encoded(), 4);
  EXPECT_TRUE(at::equal(after[0], before[2]));
  EXPECT_TRUE(at::equal(after[2], before[0]));
  // And the cached embeddings are what the model computes for the fixture's tokens.
  auto ref = test::reference("owlvit");
  EXPECT_CLOSE(before, ref["text_embeds"][0], 1e-4);
}

TEST(DetectQueries, ImageFeaturesAreCachedAcrossQueries) {
  auto det = OwlDetector::open(test::fixture("owlvit"));
  auto fresh = OwlDetector::open(test::fixture("owlvit"));
  image::Image dogs = asset_image("dogs.jpg"), dog = asset_image("dog.jpg");
  DetectOptions all;
  all.threshold = 0;
  det->detect(dogs, {"a photo of a dog"}, {}, all);
  EXPECT_EQ(det->feature_cache_hits(), 0);
  // Another question about the same image reuses its features and answers as a detector
  // that never saw the image.
  auto cached = det->detect(dogs, {"a photo of a person", "grass"}, {}, all);
  EXPECT_EQ(det->feature_cache_hits(), 1);
  auto uncached = fresh->detect(dogs, {"a photo of a person", "grass"}, {}, all);
  ASSERT_EQ(cached.detections.size(), uncached.detections.size());
  for (size_t i = 0; i < cached.detections.size(); ++i) {
    EXPECT_EQ(cached.detections[i].query, uncached.detections[i].query);
    EXPECT_EQ(cached.detections[i].score, uncached.detections[i].score);
    EXPECT_EQ(cached.detections[i].box, uncached.detections[i].box);
  }
  // A different image, or the same one with one pixel changed, is encoded anew.
  det->detect(dog, {"a photo of a dog"}, {}, all);
  dogs.pixels[0] ^= 1;
  det->detect(dogs, {"a photo of a dog"}, {}, all);
  EXPECT_EQ(det->feature_cache_hits(), 1);
}

TEST(DetectQueries, HundredsOfQueriesAreEncodedInBoundedBatches) {
  std::vector<int64_t> batch_sizes;
  auto tok = text::load_tokenizer(test::fixture("owlvit"));
  TextQueryEncoder enc(std::move(tok),
                       [&](const at::Tensor& ids, const at::Tensor& mask) {
                         EXPECT_EQ(ids.sizes(), mask.sizes());
                         batch_sizes.push_back(ids.size(0));
                         // A stand-in tower: the row's token sum, so rows stay tied to their text.
                         return (ids * mask).sum(1, true).to(at::kFloat);
                       },
                       16, 0, /*max_batch=*/64);
  std::vector<std::string> texts;
  for (int i = 0; i < 300; ++i) texts.push_back("object number " + std::to_string(i));
  at::Tensor e = enc.embed(texts);
  ASSERT_EQ(e.size(0), 300);
  ASSERT_EQ(batch_sizes.size(), 5u);  // ceil(300 / 64)
  for (int64_t n : batch_sizes) EXPECT_LE(n, 64);
  EXPECT_EQ(enc.texts_encoded(), 300);
  // Row i belongs to text i, whatever batch it was in.
  at::Tensor again = enc.embed({texts[299], texts[0], texts[130]});
  EXPECT_EQ(enc.tower_calls(), 5);
  EXPECT_TRUE(at::equal(again[0], e[299]));
  EXPECT_TRUE(at::equal(again[2], e[130]));
  EXPECT_FALSE(at::equal(e[0], e[130]));

  // End to end on the real model: 300 queries, one detection per patch at threshold 0.
  DetectOptions all;
  all.threshold = 0;
  all.nms_iou = -1;
  auto det = OwlDetector::open(test::fixture("owlvit"));
  auto r = det->detect(asset_image("dogs.jpg"), texts, {}, all);
  const int64_t per_batch = det->text_queries().max_batch();
  EXPECT_EQ(det->text_queries().tower_calls(), (300 + per_batch - 1) / per_batch);
  EXPECT_EQ(r.detections.size(), 576u);
  for (const auto& d : r.detections) {
    ASSERT_GE(d.query, 0);
    ASSERT_LT(d.query, 300);
    EXPECT_EQ(d.label, texts[static_cast<size_t>(d.query)]);
  }
}

TEST(DetectQueries, LongQueriesAreTruncatedWithAWarning) {
  auto& det = owlvit();
  std::string longq = "a very small brown and white dog with long ears sitting on the green grass next to a red ball";
  auto tok = text::load_tokenizer(test::fixture("owlvit"));
  auto ids = tok->encode(longq, true);
  ASSERT_GT(ids.size(), 16u);
  std::vector<std::string> warnings;
  at::Tensor e = det.text_queries().embed({longq}, &warnings);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("truncated"), std::string::npos) << warnings[0];
  // Truncation keeps the first 15 tokens and the end-of-text token.
  std::vector<int64_t> cut(ids.begin(), ids.begin() + 15);
  cut.push_back(tok->eos_id());
  at::Tensor t = at::tensor(cut, at::kLong).view({1, 16});
  at::NoGradGuard ng;
  at::Tensor expect = det.model()->base->text_embeds(t, at::ones_like(t));
  EXPECT_CLOSE(e, expect, 1e-6);
  // Short queries give no warning.
  warnings.clear();
  det.text_queries().embed({"grass"}, &warnings);
  EXPECT_TRUE(warnings.empty());
}

TEST(DetectBadInput, NoQueriesAndEmptyQueriesAreErrors) {
  auto& det = owlvit();
  image::Image im = asset_image("dog.jpg");
  EXPECT_THROW(det.detect(im, {}), Error);
  EXPECT_THROW(det.detect(im, {"a dog", "  "}), Error);
  DetectOptions bad;
  bad.nms_iou = 1.0;
  EXPECT_THROW(det.detect(im, {"a dog"}, {}, bad), Error);
}

TEST(DetectExemplar, ABoxAroundAnObjectFindsItAgain) {
  auto& det = owlvit();
  image::Image im = asset_image("dogs.jpg");
  const float W = static_cast<float>(im.width), H = static_cast<float>(im.height);
  // The exemplar box: the model's own predicted box of one patch (clipped to the image), so
  // an object the model delimits. The query is then that patch's (or an equally overlapping
  // patch's) class embedding, so in the same image it must score that patch's box.
  at::NoGradGuard ng;
  at::Tensor feats = det.model()->image_features(det.pixel_values(im));
  at::Tensor corners = models::owlvit::center_to_corners(det.model()->box_predictor(feats))[0].contiguous();
  at::Tensor class_embeds = det.model()->class_head->embed(feats)[0];
  int64_t p = 300;
  std::array<float, 4> box{};
  for (int k = 0; k < 4; ++k) box[k] = std::clamp(corners[p][k].item<float>(), 0.f, 1.f) * (k % 2 ? H : W);
  Exemplar ex{im, box, "dog exemplar"};
  at::Tensor q = det.exemplar_embedding(ex);
  // The chosen embedding is one of the image's patch embeddings, of a patch whose box overlaps the exemplar.
  at::Tensor match = (class_embeds - q.unsqueeze(0)).abs().amax(1);
  int64_t chosen = match.argmin().item<int64_t>();
  ASSERT_LT(match[chosen].item<float>(), 1e-5);
  std::array<float, 4> chosen_box{};
  for (int k = 0; k < 4; ++k) chosen_box[k] = corners[chosen][k].item<float>() * (k % 2 ? H : W);
  EXPECT_GT(iou(chosen_box, box), 0.5);

  DetectOptions all;
  all.threshold = 0;
  all.nms_iou = -1;
  auto r = det.detect(im, {}, {ex}, all);
  ASSERT_EQ(r.detections.size(), 576u);
  EXPECT_EQ(r.detections[0].label, "dog exemplar");
  // The chosen patch is detected with its own box and the class head's self-match score.
  auto it = std::find_if(r.detections.begin(), r.detections.end(), [&](const Detection& d) {
    return std::abs(d.box[0] - chosen_box[0]) < 1e-2 && std::abs(d.box[3] - chosen_box[3]) < 1e-2;
  });
  ASSERT_NE(it, r.detections.end());
  auto self = det.model()->class_head(feats.slice(1, chosen, chosen + 1), q.view({1, 1, -1}), at::Tensor());
  EXPECT_NEAR(it->score, at::sigmoid(self.logits).item<float>(), 1e-5);
  // With the default threshold and NMS the exemplar still yields detections.
  auto dflt = det.detect(im, {}, {ex});
  EXPECT_FALSE(dflt.detections.empty());
  // Text and exemplar queries together: exemplar indices follow the texts.
  auto mixed = det.detect(im, {"a photo of a dog"}, {ex}, all);
  bool saw_exemplar = false;
  for (const auto& d : mixed.detections) saw_exemplar |= d.query == 1 && d.label == "dog exemplar";
  EXPECT_TRUE(saw_exemplar);
}

TEST(DetectExemplar, BoxesOutsideTheExemplarImageAreErrors) {
  auto& det = owlvit();
  image::Image im = asset_image("dog.jpg");  // 800 x 534
  for (std::array<float, 4> box : {std::array<float, 4>{-1, 0, 100, 100}, std::array<float, 4>{0, 0, 801, 100},
                                   std::array<float, 4>{0, 0, 100, 535}, std::array<float, 4>{900, 600, 950, 700},
                                   std::array<float, 4>{100, 100, 50, 200}, std::array<float, 4>{NAN, 0, 10, 10}}) {
    try {
      det.detect(im, {}, {{im, box, "x"}});
      ADD_FAILURE() << "box " << box[0] << "," << box[1] << "," << box[2] << "," << box[3] << " was accepted";
    } catch (const Error& e) {
      std::string msg = e.what();
      EXPECT_TRUE(msg.find("outside") != std::string::npos || msg.find("empty") != std::string::npos) << msg;
    }
  }
  // The whole image is a valid exemplar box.
  EXPECT_NO_THROW(det.detect(im, {}, {{im, {0, 0, 800, 534}, "x"}}));
}

TEST(DetectShapes, ExtremeAspectRatiosWork) {
  image::Image wide = gradient(4000, 20), tall = gradient(20, 4000);
  DetectOptions all;
  all.threshold = 0;
  all.nms_iou = -1;
  for (const char* family : {"owlvit", "owlv2"}) {
    auto det = Detector::open(test::fixture(family));
    for (const image::Image* im : {&wide, &tall}) {
      auto r = det->detect(*im, {"a line"}, {}, all);
      EXPECT_EQ(r.width, im->width);
      EXPECT_EQ(r.height, im->height);
      ASSERT_FALSE(r.detections.empty()) << family;
      for (const auto& d : r.detections)
        for (float v : d.box) ASSERT_TRUE(std::isfinite(v));
      // OWLv2 boxes are relative to the padded square: they scale by the long side on both axes.
      float max_y = 0;
      for (const auto& d : r.detections) max_y = std::max(max_y, d.box[3]);
      if (std::string(family) == "owlv2" && im == &wide) EXPECT_GT(max_y, 100.f) << "y was scaled by the height";
    }
  }
  // An elongated image whose padded square would not fit in memory is refused.
  auto v2 = Detector::open(test::fixture("owlv2"));
  EXPECT_THROW(v2->detect(image::make_image(20000, 4), {"a line"}), Error);
}

TEST(GroundPhrases, SplitOnPeriodsTrimAndDropEmpties) {
  EXPECT_EQ(split_phrases("a dog. a cat."), (std::vector<std::string>{"a dog", "a cat"}));
  EXPECT_EQ(split_phrases("  person  "), (std::vector<std::string>{"person"}));
  EXPECT_EQ(split_phrases("a dog..  . grass"), (std::vector<std::string>{"a dog", "grass"}));
  EXPECT_THROW(split_phrases(""), Error);
  EXPECT_THROW(split_phrases(" . .  ."), Error);
}
