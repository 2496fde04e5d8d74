// Grounded post-processing on synthetic logits: thresholds, reference labels
// (decoded tokens above text_threshold), per-phrase labels, box conversion.
#include <gtest/gtest.h>

#include <limits>

#include "models/grounding_dino/grounding_dino_postprocess.h"
#include "text/wordpiece.h"
#include "util/error.h"

using namespace argus;
namespace gd = argus::models::grounding_dino;

namespace {

text::WordPieceTokenizer tiny_tokenizer() {
  std::vector<std::string> v = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", ".", "a", "cat", "remote", "control"};
  std::unordered_map<std::string, int64_t> m;
  for (size_t i = 0; i < v.size(); ++i) m[v[i]] = static_cast<int64_t>(i);
  return text::WordPieceTokenizer(m);
}

const std::vector<int64_t> kDelims{2, 3, 5};  // [CLS], [SEP], "."

}  // namespace

TEST(GroundingDinoPostprocess, PromptSplitsIntoPhrases) {
  auto tok = tiny_tokenizer();
  auto ids = tok.encode("a cat. a remote control.");
  ASSERT_EQ(ids, (std::vector<int64_t>{2, 6, 7, 5, 6, 8, 9, 5, 3}));
  auto spans = gd::phrase_spans(ids, kDelims, tok);
  ASSERT_EQ(spans.size(), 2u);
  EXPECT_EQ(spans[0].begin, 1);
  EXPECT_EQ(spans[0].end, 3);
  EXPECT_EQ(spans[0].text, "a cat");
  EXPECT_EQ(spans[1].begin, 4);
  EXPECT_EQ(spans[1].end, 7);
  EXPECT_EQ(spans[1].text, "a remote control");
}

TEST(GroundingDinoPostprocess, ThresholdsLabelsAndBoxes) {
  auto tok = tiny_tokenizer();
  auto ids = tok.encode("a cat. a remote control.");
  const float ninf = -std::numeric_limits<float>::infinity();
  at::Tensor logits = at::full({4, 16}, ninf);
  logits.narrow(1, 0, 9).fill_(-3.0);  // sigmoid ≈ 0.047 on the prompt, 0 past it
  logits[0][1] = 2.0;                  // "a cat" -> 0.88
  logits[0][2] = 2.0;
  logits[1][4] = -0.5;                 // "a" (0.38) "remote control" (0.73)
  logits[1][5] = 1.0;
  logits[1][6] = 1.0;
  logits[2].narrow(0, 0, 9).fill_(-2.0);  // best 0.12: below box_threshold
  logits[3][0] = 3.0;                  // [CLS] scores the box but never labels it
  logits[3][2] = 0.0;                  // "cat" at 0.5
  at::Tensor boxes = at::tensor({0.5f, 0.5f, 0.2f, 0.4f}).repeat({4, 1});

  gd::GroundedPostprocessOptions o;
  o.box_threshold = 0.25f;
  o.text_threshold = 0.25f;
  o.target_height = 100;
  o.target_width = 200;
  auto dets = gd::post_process_grounded(logits, boxes, ids, kDelims, tok, o);
  ASSERT_EQ(dets.size(), 3u);  // query 2 dropped

  EXPECT_NEAR(dets[0].score, 1.0 / (1.0 + std::exp(-2.0)), 1e-6);
  EXPECT_EQ(dets[0].label, "a cat");
  EXPECT_EQ(dets[0].phrase, 0);
  EXPECT_EQ(dets[0].phrase_text, "a cat");
  EXPECT_FLOAT_EQ(dets[0].box[0], 80.0f);  // (0.5 - 0.1) * 200
  EXPECT_FLOAT_EQ(dets[0].box[1], 30.0f);  // (0.5 - 0.2) * 100
  EXPECT_FLOAT_EQ(dets[0].box[2], 120.0f);
  EXPECT_FLOAT_EQ(dets[0].box[3], 70.0f);

  EXPECT_EQ(dets[1].label, "a remote control");
  EXPECT_EQ(dets[1].phrase, 1);
  EXPECT_EQ(dets[1].phrase_text, "a remote control");

  EXPECT_NEAR(dets[2].score, 1.0 / (1.0 + std::exp(-3.0)), 1e-6);
  EXPECT_EQ(dets[2].label, "cat");
  EXPECT_EQ(dets[2].phrase, 0);

  // A stricter text threshold drops "a" from query 1's reference label.
  o.text_threshold = 0.5f;
  auto strict = gd::post_process_grounded(logits, boxes, ids, kDelims, tok, o);
  ASSERT_EQ(strict.size(), 3u);
  EXPECT_EQ(strict[1].label, "remote control");
  // Without a target size boxes stay relative.
  auto rel = gd::post_process_grounded(logits, boxes, ids, kDelims, tok, {});
  EXPECT_FLOAT_EQ(rel[0].box[0], 0.4f);
}

TEST(GroundingDinoPostprocess, MismatchedShapesAreErrors) {
  auto tok = tiny_tokenizer();
  EXPECT_THROW(gd::post_process_grounded(at::zeros({3, 8}), at::zeros({2, 4}), {2, 3}, kDelims, tok), Error);
  EXPECT_THROW(gd::post_process_grounded(at::zeros({3, 2}), at::zeros({3, 4}), {2, 6, 7, 3}, kDelims, tok), Error);
}
