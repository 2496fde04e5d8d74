// open_clip / OpenAI CLIP layouts against ../shared/fixtures/openclip_{rn,vit}: features,
// logits and the intermediate stages, from every weights container each fixture ships.
#include <gtest/gtest.h>

#include <cstdio>

#include "models/open_clip/open_clip_load.h"
#include "parity.h"

using namespace argus;
using namespace argus::models::open_clip;

namespace {

// Prints each measured difference (the fixtures README asks for them) and checks it.
void expect_close(const std::string& what, const at::Tensor& got, const at::Tensor& want, double tol = 1e-4) {
  const double d = test::max_abs_diff(got, want);
  std::printf("  %-22s max abs diff %.3g\n", what.c_str(), d);
  EXPECT_LE(d, tol) << what;
}

// Features, logits and text_ln_final up to each prompt's EOT (later positions see the
// zero padding, which the pooled token never does).
void expect_shared_outputs(OpenClipModel& m, std::map<std::string, at::Tensor>& ref) {
  at::Tensor ln_final;
  at::Tensor text = m->encode_text(ref["input_ids"], &ln_final);
  at::Tensor eot = ref["input_ids"].argmax(-1);
  for (int64_t i = 0; i < eot.size(0); ++i) {
    const int64_t n = eot[i].item<int64_t>() + 1;
    expect_close("text_ln_final[" + std::to_string(i) + "]", ln_final[i].slice(0, 0, n),
                 ref["text_ln_final"][i].slice(0, 0, n));
  }
  expect_close("text_features", text, ref["text_features"]);
  at::Tensor image = m->encode_image(ref["pixel_values"]);
  expect_close("image_features", image, ref["image_features"]);
  at::Tensor logits = m->logits_per_image(image, text);
  expect_close("logits_per_image", logits, ref["logits_per_image"]);
  expect_close("logits_per_text", logits.t(), ref["logits_per_text"]);
}

// Loads `family`'s fixture from `weights` (empty: the loader's own choice), runs the
// image tower on the reference pixels keeping its stages, checks the shared outputs.
ImageStages run_fixture(const std::string& family, const std::string& weights, bool resnet,
                        std::map<std::string, at::Tensor>& ref) {
  const std::string dir = test::fixture(family);
  OpenClipModel m = load_open_clip_model(dir, weights.empty() ? "" : dir + "/" + weights);
  EXPECT_EQ(static_cast<bool>(m->resnet), resnet);
  ref = test::reference(family);
  at::NoGradGuard ng;
  ImageStages s;
  m->encode_image(ref["pixel_values"], &s);
  expect_shared_outputs(m, ref);
  return s;
}

void check_resnet(const std::string& weights) {
  std::map<std::string, at::Tensor> ref;
  ImageStages s = run_fixture("openclip_rn", weights, true, ref);
  expect_close("stem_output", s.resnet.stem, ref["stem_output"]);
  expect_close("layer1_output", s.resnet.layer1, ref["layer1_output"]);
  expect_close("layer2_output", s.resnet.layer2, ref["layer2_output"]);
  expect_close("layer3_output", s.resnet.layer3, ref["layer3_output"]);
  expect_close("attnpool_input", s.resnet.layer4, ref["attnpool_input"]);
}

void check_vit(const std::string& weights) {
  std::map<std::string, at::Tensor> ref;
  ImageStages s = run_fixture("openclip_vit", weights, false, ref);
  expect_close("vision_ln_pre", s.vit.ln_pre, ref["vision_ln_pre"]);
  expect_close("vision_pooled", s.vit.pooled, ref["vision_pooled"]);
}

}  // namespace

TEST(OpenClipParity, ResNetFromSafetensors) { check_resnet(""); }
TEST(OpenClipParity, ResNetFromPickledBin) { check_resnet("open_clip_pytorch_model.bin"); }
TEST(OpenClipParity, VitFromSafetensors) { check_vit(""); }
TEST(OpenClipParity, VitFromTorchScriptArchive) { check_vit("model_openai_jit.pt"); }

TEST(OpenClipParity, ConfigGivesTheFixtureArchitectures) {
  auto rn = load_open_clip_config(test::fixture("openclip_rn"));
  EXPECT_TRUE(rn.vision.resnet);
  EXPECT_EQ(rn.vision.heads(), 8);  // 32 * 16 // 64, as io.json says
  EXPECT_TRUE(rn.quick_gelu);
  auto vit = load_open_clip_config(test::fixture("openclip_vit"));
  EXPECT_FALSE(vit.vision.resnet);
  EXPECT_EQ(vit.vision.heads(), 2);  // 64 // 32
  EXPECT_EQ(vit.activation(), "gelu");
  EXPECT_TRUE(is_open_clip_dir(test::fixture("openclip_rn")));
  EXPECT_FALSE(is_open_clip_dir(test::fixture("clip")));
}
