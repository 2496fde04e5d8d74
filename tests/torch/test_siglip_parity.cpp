#include <gtest/gtest.h>

#include "io/checkpoint.h"
#include "models/siglip/siglip_model.h"
#include "parity.h"

using namespace argus;
using namespace argus::models::siglip;

TEST(SiglipParity, EmbedsAndSigmoidLogitsMatchTransformers) {
  auto ck = io::Checkpoint::open(test::fixture("siglip"));
  SiglipModel m = load_siglip_model(ck);
  auto ref = test::reference("siglip");
  at::NoGradGuard ng;
  auto vis = m->vision_model(ref["pixel_values"]);
  EXPECT_CLOSE(vis.last_hidden_state, ref["vision_last_hidden_state"], 1e-4);
  EXPECT_CLOSE(vis.pooler_output, ref["vision_pooler_output"], 1e-4);
  at::Tensor ie = m->image_embeds(ref["pixel_values"]);
  at::Tensor te = m->text_embeds(ref["input_ids"], at::Tensor());
  EXPECT_CLOSE(ie, ref["image_embeds"], 1e-4);
  EXPECT_CLOSE(te, ref["text_embeds"], 1e-4);
  EXPECT_CLOSE(m->logits_per_image(ie, te), ref["logits_per_image"], 1e-4);
}
