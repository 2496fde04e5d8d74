#include <gtest/gtest.h>

#include "io/checkpoint.h"
#include "models/clip/clip_model.h"
#include "parity.h"

using namespace argus;
using namespace argus::models::clip;

TEST(ClipParity, EmbedsLogitsAndEveryHiddenStateMatchTransformers) {
  auto ck = io::Checkpoint::open(test::fixture("clip"));
  ClipModel m = load_clip_model(ck);
  auto ref = test::reference("clip");
  at::NoGradGuard ng;

  auto vis = m->vision_model(ref["pixel_values"], true);
  EXPECT_CLOSE(vis.last_hidden_state, ref["vision_last_hidden_state"], 1e-4);
  // transformers 5 reports the projected (not yet normalised) pooled features here.
  EXPECT_CLOSE(m->visual_projection(vis.pooler_output), ref["vision_pooler_output"], 1e-4);
  ASSERT_EQ(vis.hidden_states.size(), 4u);
  for (size_t i = 0; i < vis.hidden_states.size(); ++i)
    EXPECT_CLOSE(vis.hidden_states[i], ref["vision_hidden_states." + std::to_string(i)], 1e-4) << "layer " << i;

  auto txt = m->text_model(ref["input_ids"], ref["attention_mask"], true);
  EXPECT_CLOSE(txt.last_hidden_state, ref["text_last_hidden_state"], 1e-4);
  EXPECT_CLOSE(m->text_projection(txt.pooler_output), ref["text_pooler_output"], 1e-4);
  ASSERT_EQ(txt.hidden_states.size(), 3u);
  for (size_t i = 0; i < txt.hidden_states.size(); ++i)
    EXPECT_CLOSE(txt.hidden_states[i], ref["text_hidden_states." + std::to_string(i)], 1e-4) << "layer " << i;

  at::Tensor ie = m->image_embeds(ref["pixel_values"]);
  at::Tensor te = m->text_embeds(ref["input_ids"], ref["attention_mask"]);
  EXPECT_CLOSE(ie, ref["image_embeds"], 1e-4);
  EXPECT_CLOSE(te, ref["text_embeds"], 1e-4);
  EXPECT_CLOSE(m->logits_per_image(ie, te), ref["logits_per_image"], 1e-4);
}
