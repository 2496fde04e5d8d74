#include <gtest/gtest.h>

#include <cstdio>

#include "io/checkpoint.h"
#include "models/clipseg/clipseg_model.h"
#include "parity.h"
#include "util/error.h"

using namespace argus;
using namespace argus::models::clipseg;

TEST(ClipSegParity, LogitsMatchTransformers) {
  auto ck = io::Checkpoint::open(test::fixture("clipseg"));
  ClipSegForImageSegmentation m = load_clipseg_model(ck);
  auto ref = test::reference("clipseg");
  at::NoGradGuard ng;
  at::Tensor logits = m->segment(ref["pixel_values"], ref["input_ids"], ref["attention_mask"]);
  double d = test::max_abs_diff(logits, ref["logits"]);
  std::printf("[parity] clipseg logits max abs diff %.3g\n", d);
  EXPECT_LE(d, 1e-4);
  // The two prompts give different maps (the conditioning is wired in).
  EXPECT_GT((logits[0] - logits[1]).abs().max().item<double>(), 1e-3);
}

TEST(ClipSegBadInput, MismatchedPromptsAndImagesAreClearErrors) {
  auto ck = io::Checkpoint::open(test::fixture("clipseg"));
  ClipSegForImageSegmentation m = load_clipseg_model(ck);
  auto ref = test::reference("clipseg");
  at::NoGradGuard ng;
  at::Tensor px = ref["pixel_values"];
  EXPECT_THROW(m->segment(px, at::zeros({0, 5}, at::kLong)), Error);
  EXPECT_THROW(m->segment(px.slice(0, 0, 1), ref["input_ids"], ref["attention_mask"]), Error);
  EXPECT_THROW(m->forward(at::zeros({1, 3, 224, 224}), at::zeros({1, m->cfg.clip.projection_dim})), Error);
  EXPECT_THROW(m->forward(px, at::zeros({2, m->cfg.clip.projection_dim + 1})), Error);
  // Image prompts go through the same decoder.
  at::Tensor cond = m->image_conditional(px);
  EXPECT_EQ(m->forward(px, cond).sizes(), (std::vector<int64_t>{2, 352, 352}));
}
