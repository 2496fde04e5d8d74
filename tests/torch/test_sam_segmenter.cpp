// The interactive segmenter: prompts in original pixels, batching, refinement,
// the embedding cache, and prompt checks.
#include <gtest/gtest.h>

#include <cmath>

#include "../common/error_of.h"
#include "image/decode.h"
#include "io/json_file.h"
#include "parity.h"
#include "tasks/segment/segmenter.h"
#include "util/error.h"

using namespace argus;
using namespace argus::tasks::segment;
using argus::test::error_of;

namespace {

Segmenter& segmenter() {
  static auto s = Segmenter::open(test::fixture("sam"), 2);
  return *s;
}

std::map<std::string, at::Tensor>& ref() {
  static auto r = test::reference("sam");
  return r;
}

// The reference embedding with the truck's geometry: decoder-only checks.
ImageEmbedding reference_embedding() {
  ImageEmbedding e;
  e.embeddings = ref()["image_embeddings"];
  e.geometry = models::sam::sam_geometry(1200, 1800);
  return e;
}

// The fixture's three prompt cases, from io.json's original-pixel prompts.
std::map<std::string, Prompt> fixture_prompts() {
  auto cases = io::read_json(test::fixture("sam/io.json"))["cases"];
  std::map<std::string, Prompt> out;
  out["point"].points = {{cases["point"]["input_points"][0][0][0], cases["point"]["input_points"][0][0][1], 1}};
  const auto& two = cases["two_points"];
  for (int i = 0; i < 2; ++i)
    out["two_points"].points.push_back(
        {two["input_points"][0][i][0], two["input_points"][0][i][1], two["input_labels"][0][0][i].get<int>()});
  const auto& b = cases["box"]["input_boxes"][0][0];
  out["box"].box = Box{b[0], b[1], b[2], b[3]};
  return out;
}

}  // namespace

TEST(SamSegmenter, BatchedPromptsOfMixedShapesMatchTransformers) {
  // All three cases in one predict call (grouped by shape inside) against the
  // reference iou_scores, low-res logits and full-size masks.
  ImageEmbedding e = reference_embedding();
  auto prompts = fixture_prompts();
  std::vector<std::string> names{"box", "point", "two_points"};
  std::vector<Prompt> batch;
  for (const auto& n : names) batch.push_back(prompts[n]);
  auto preds = segmenter().predict(e, batch, true);
  ASSERT_EQ(preds.size(), 3u);
  for (size_t i = 0; i < names.size(); ++i) {
    const std::string& n = names[i];
    EXPECT_CLOSE(preds[i].iou_pred, ref()[n + ".iou_scores"].reshape({3}), 1e-3);
    EXPECT_CLOSE(preds[i].low_res, ref()[n + ".pred_masks"].reshape({3, 256, 256}), 1e-3);
    at::Tensor full = segmenter().full_masks(e, preds[i]);
    at::Tensor want = ref()[n + ".masks_full"].reshape({3, 1200, 1800}).to(at::kBool);
    double agree = (full == want).to(at::kDouble).mean().item<double>();
    std::printf("[sam segmenter] %-10s pixel agreement %.6f\n", n.c_str(), agree);
    EXPECT_GE(agree, 0.999) << n;
  }
}

TEST(SamSegmenter, ManyPointPromptsInOneCallEqualOneAtATime) {
  ImageEmbedding e = reference_embedding();
  std::vector<Prompt> batch;
  for (int i = 0; i < 5; ++i) batch.push_back({{{100.0 + 300 * i, 150.0 + 200 * i, 1}}, std::nullopt, {}});
  auto together = segmenter().predict(e, batch, true);
  for (size_t i = 0; i < batch.size(); ++i) {
    auto alone = segmenter().predict(e, {batch[i]}, true)[0];
    EXPECT_CLOSE(together[i].low_res, alone.low_res, 1e-5);
    EXPECT_CLOSE(together[i].iou_pred, alone.iou_pred, 1e-5);
  }
  // Different points give different masks: the batch is not one answer repeated.
  EXPECT_GT(test::max_abs_diff(together[0].low_res, together[4].low_res), 1e-2);
}

TEST(SamSegmenter, SingleMaskIsTheModelsFirstToken) {
  ImageEmbedding e = reference_embedding();
  auto p = fixture_prompts()["point"];
  auto one = segmenter().predict(e, {p}, false)[0];
  EXPECT_EQ(one.iou_pred.sizes(), (std::vector<int64_t>{1}));
  EXPECT_EQ(one.low_res.sizes(), (std::vector<int64_t>{1, 256, 256}));
  at::Tensor pts = ref()["point.input_points"];
  auto direct = segmenter().model()->predict(e.embeddings, pts, at::Tensor(), at::Tensor(), at::Tensor(), false);
  EXPECT_CLOSE(one.low_res, direct.low_res_masks.reshape({1, 256, 256}), 1e-5);
}

TEST(SamSegmenter, PreviousMaskRefinesAndBatchesPerPrompt) {
  ImageEmbedding e = reference_embedding();
  auto prompts = fixture_prompts();
  auto first = segmenter().predict(e, {prompts["point"], prompts["two_points"]}, true);
  // Feed each prompt's best mask back as the dense prompt, both in one call.
  std::vector<Prompt> refine{prompts["point"], prompts["two_points"]};
  for (size_t i = 0; i < 2; ++i) {
    int64_t best = first[i].iou_pred.argmax().item<int64_t>();
    refine[i].mask_input = first[i].low_res[best];
  }
  auto refined = segmenter().predict(e, refine, true);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_GT(test::max_abs_diff(refined[i].low_res, first[i].low_res), 1e-3);  // the mask prompt is used
    auto alone = segmenter().predict(e, {refine[i]}, true)[0];
    EXPECT_CLOSE(refined[i].low_res, alone.low_res, 1e-5);
    // And it is the model's own mask-prompt path, on the rescaled prompt.
    at::Tensor pts = ref()[(i == 0 ? std::string("point") : std::string("two_points")) + ".input_points"];
    at::Tensor lab = i == 0 ? at::Tensor() : ref()["two_points.input_labels"];
    auto direct = segmenter().model()->predict(e.embeddings, pts, lab, at::Tensor(),
                                               refine[i].mask_input.reshape({1, 1, 256, 256}), true);
    EXPECT_CLOSE(refined[i].low_res, direct.low_res_masks.reshape({3, 256, 256}), 1e-4);
  }
}

TEST(SamSegmenter, EmbeddingFromTheOriginalImageIsCachedByContent) {
  image::Image truck = image::load_image(test::asset("images/truck.jpg"));
  Segmenter& s = segmenter();
  const int64_t misses = s.cache_misses(), hits = s.cache_hits();
  auto a = s.embed(truck);
  EXPECT_EQ(s.cache_misses(), misses + 1);
  // Our own preprocessing (a few pixels one uint8 step off the newer Pillow) feeding
  // the encoder: close to the reference embedding.
  // Measured 6.6e-3 (max abs) from those pixel steps; the decoder-only tests hold 1e-3.
  EXPECT_CLOSE(a->embeddings, ref()["image_embeddings"], 1e-2);
  EXPECT_EQ(a->geometry.resized_height, 683);
  EXPECT_EQ(a->geometry.resized_width, 1024);
  image::Image copy = truck;
  auto b = s.embed(copy);  // same pixels, another buffer: a hit
  EXPECT_EQ(a.get(), b.get());
  EXPECT_EQ(s.cache_hits(), hits + 1);
  copy.pixels[12345] ^= 1;  // one changed byte: a different image
  auto c = s.embed(copy);
  EXPECT_NE(c.get(), a.get());
  EXPECT_EQ(s.cache_misses(), misses + 2);
}

TEST(SamSegmenter, LeastRecentlyUsedEmbeddingIsEvicted) {
  auto s = Segmenter::open(test::fixture("sam"), 2);
  auto img = [](uint8_t v) {
    image::Image im = image::make_image(40, 30);
    std::fill(im.pixels.begin(), im.pixels.end(), v);
    return im;
  };
  s->embed(img(1));
  s->embed(img(2));
  s->embed(img(1));  // hit: 1 is now the most recent
  s->embed(img(3));  // evicts 2
  EXPECT_EQ(s->cache_hits(), 1);
  s->embed(img(1));
  EXPECT_EQ(s->cache_hits(), 2);
  s->embed(img(2));
  EXPECT_EQ(s->cache_misses(), 4);
}

TEST(SamSegmenter, BadPromptsAreRefusedAndOutsidePointsClamped) {
  ImageEmbedding e = reference_embedding();
  auto predict = [&](const Prompt& p) { segmenter().predict(e, {p}, true); };
  EXPECT_NE(error_of([&] { predict({{{10, 10, 2}}, std::nullopt, {}}); }).find("label 2"), std::string::npos);
  EXPECT_NE(error_of([&] { predict({{{10, 10, -1}}, std::nullopt, {}}); }).find("label -1"), std::string::npos);
  EXPECT_NE(error_of([&] { predict({{}, Box{50, 10, 50, 90}, {}}); }).find("degenerate box"), std::string::npos);
  EXPECT_NE(error_of([&] { predict({{}, Box{60, 10, 50, 90}, {}}); }).find("degenerate box"), std::string::npos);
  EXPECT_NE(error_of([&] { predict({{{NAN, 10, 1}}, std::nullopt, {}}); }).find("non-finite"), std::string::npos);
  EXPECT_NE(error_of([&] { predict({}); }).find("at least one point"), std::string::npos);
  EXPECT_NE(error_of([&] { predict({{}, Box{2000, 10, 2100, 90}, {}}); }).find("outside"), std::string::npos);
  EXPECT_NE(error_of([&] { predict({{{1, 1, 1}}, std::nullopt, at::zeros({64, 64})}); }).find("256x256"),
            std::string::npos);

  // A point beyond the right edge is the same prompt as one on the last column.
  std::vector<std::string> notes;
  auto out = segmenter().predict(e, {Prompt{{{5000, 300, 1}}, std::nullopt, {}}}, true, &notes);
  auto edge = segmenter().predict(e, {Prompt{{{1799, 300, 1}}, std::nullopt, {}}}, true);
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_NE(notes[0].find("clamped to 1799"), std::string::npos) << notes[0];
  EXPECT_CLOSE(out[0].low_res, edge[0].low_res, 0.0);
}
