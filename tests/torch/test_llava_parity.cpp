// LLaVA against the transformers reference (fixtures/llava): image features, prompt
// logits and greedy ids, for both checkpoint key layouts; preprocessing from the image.
#include <gtest/gtest.h>

#include "image/decode.h"
#include "image/geometry.h"
#include "image/processor_config.h"
#include "io/checkpoint.h"
#include "llm_helpers.h"
#include "models/llava/llava_image.h"
#include "models/llava/llava_load.h"
#include "parity.h"
#include "tasks/generate/generate.h"

using namespace argus;
using namespace argus::models::llava;

namespace {

void check_layout(const std::string& dir) {
  SCOPED_TRACE(dir);
  auto ck = io::Checkpoint::open(test::fixture(dir));
  LlavaForConditionalGeneration m = load_llava(ck);
  auto ref = test::reference("llava");
  at::NoGradGuard ng;

  at::Tensor feats = m->image_features(ref["pixel_values"]);
  double fdiff = test::max_abs_diff(feats.flatten(0, 1), ref["image_features"]);
  std::printf("[%s] image_features max abs diff %.3g\n", dir.c_str(), fdiff);
  EXPECT_LE(fdiff, 1e-4);

  at::Tensor logits = m->forward(ref["input_ids"], ref["pixel_values"]);
  double ldiff = test::max_abs_diff(logits, ref["logits"]);
  std::printf("[%s] logits max abs diff %.3g\n", dir.c_str(), ldiff);
  EXPECT_LE(ldiff, 1e-3);

  // Greedy decoding through the KV cache from the merged prompt embeddings.
  at::Tensor ids = ref["input_ids"], greedy = ref["greedy_ids"];
  int64_t steps = greedy.size(1) - ids.size(1);
  ASSERT_GT(steps, 0);
  tasks::GenerateOptions opts;
  opts.max_new_tokens = steps;
  opts.eos_ids = tasks::read_eos_ids(ck);
  at::Tensor embeds = m->merge_embeddings(ids, feats.flatten(0, 1));
  auto gen = tasks::generate(*m->language_model, ids, at::Tensor(), opts, embeds);
  ASSERT_EQ(gen.tokens.size(), 1u);
  // greedy_ids may or may not hold the prompt (io.json note): compare the tail.
  std::vector<int64_t> want = test::row_ids(greedy, 0, greedy.size(1) - static_cast<int64_t>(gen.tokens[0].size()));
  EXPECT_EQ(static_cast<int64_t>(gen.tokens[0].size()), steps);
  EXPECT_EQ(gen.tokens[0], want);
}

// The fixture's tensors under another layout's names, in a scratch checkpoint.
std::map<std::string, at::Tensor> renamed_weights(const std::function<std::string(const std::string&)>& f) {
  std::map<std::string, at::Tensor> out;
  for (auto& [k, v] : test::fixture_weights("llava")) out[f(k)] = v;
  return out;
}

bool starts(const std::string& s, const std::string& p) { return s.rfind(p, 0) == 0; }

}  // namespace

TEST(LlavaParity, Transformers5LayoutMatchesReference) { check_layout("llava"); }
TEST(LlavaParity, HubLayoutMatchesReference) { check_layout("llava/hub_layout"); }

TEST(LlavaParity, EveryKeyLayoutMapsOntoTheSameModel) {
  EXPECT_EQ(llava_key_name("model.language_model.layers.0.mlp.up_proj.weight"),
            "language_model.model.layers.0.mlp.up_proj.weight");
  EXPECT_EQ(llava_key_name("lm_head.weight"), "language_model.lm_head.weight");
  EXPECT_EQ(llava_key_name("language_model.lm_head.weight"), "language_model.lm_head.weight");
  EXPECT_EQ(llava_key_name("model.vision_tower.vision_model.encoder.layers.1.mlp.fc1.bias"),
            "vision_tower.encoder.layers.1.mlp.fc1.bias");
  EXPECT_EQ(llava_key_name("vision_tower.vision_model.pre_layrnorm.weight"), "vision_tower.pre_layrnorm.weight");
  EXPECT_EQ(llava_key_name("model.multi_modal_projector.linear_2.bias"), "multi_modal_projector.linear_2.bias");

  // The fixture's two files happen to share one layout; write the other two spellings
  // (llava-hf's vision_tower.vision_model., transformers 5's model.* + lm_head) and
  // check each loads to the same logits.
  auto ref = test::reference("llava");
  auto ck = io::Checkpoint::open(test::fixture("llava"));
  at::NoGradGuard ng;
  at::Tensor base = load_llava(ck)->forward(ref["input_ids"], ref["pixel_values"]);
  auto hub = [](const std::string& k) {
    return starts(k, "vision_tower.") ? "vision_tower.vision_model." + k.substr(13) : k;
  };
  auto t5 = [](const std::string& k) {
    if (starts(k, "language_model.model.")) return "model.language_model." + k.substr(21);
    if (starts(k, "language_model.lm_head.")) return k.substr(15);
    if (starts(k, "vision_tower.")) return "model.vision_tower.vision_model." + k.substr(13);
    return "model." + k;
  };
  for (auto* f : {+hub, +t5}) {
    test::ScratchCheckpoint sc("llava_layout", test::fixture_config("llava"), renamed_weights(f));
    at::Tensor logits = load_llava(io::Checkpoint::open(sc.dir()))->forward(ref["input_ids"], ref["pixel_values"]);
    EXPECT_TRUE(at::equal(logits, base));
  }
}

TEST(LlavaPreprocess, PixelValuesFromTheOriginalImageMatch) {
  auto ref = test::reference("llava");
  auto cfg = image::load_image_processor_config(test::fixture("llava"));
  at::Tensor pv = llava_pixel_values({image::load_image(test::asset("images/extreme_ironing.jpg"))}, cfg, false);
  ASSERT_EQ(pv.sizes(), ref["pixel_values"].sizes());
  // Differences in uint8 steps, channel by channel (value * std * 255).
  at::Tensor std = at::tensor(std::vector<double>(cfg.image_std.begin(), cfg.image_std.end())).view({1, 3, 1, 1});
  at::Tensor steps = ((pv.to(at::kDouble) - ref["pixel_values"].to(at::kDouble)) * std * 255).abs();
  double exact = (steps < 0.01).to(at::kDouble).mean().item<double>();
  double worst = steps.max().item<double>();
  std::printf("[llava] pixel_values exact %.4f%%, worst %.2f steps\n", 100 * exact, worst);
  EXPECT_GE(exact, 0.99);
  EXPECT_LE(worst, 2.01);
}

TEST(LlavaPreprocess, PadToSquareCentresTheImageOnTheMeanColour) {
  auto cfg = image::load_image_processor_config(test::fixture("llava"));
  auto color = image::mean_color(cfg.image_mean);
  // int(0.48145466 * 255) = 122, int(0.4578275 * 255) = 116, int(0.40821073 * 255) = 104
  EXPECT_EQ((std::array<int, 3>{color[0], color[1], color[2]}), (std::array<int, 3>{122, 116, 104}));
  image::Image wide = image::make_image(5, 2);
  for (size_t i = 0; i < wide.pixels.size(); ++i) wide.pixels[i] = static_cast<uint8_t>(200 + i % 50);
  image::Image sq = image::expand_to_square(wide, color);
  ASSERT_EQ(sq.width, 5);
  ASSERT_EQ(sq.height, 5);
  auto px = [&](const image::Image& im, int x, int y, int ch) { return im.pixels[(y * im.width + x) * 3 + ch]; };
  for (int y = 0; y < 5; ++y)
    for (int x = 0; x < 5; ++x)
      for (int ch = 0; ch < 3; ++ch) {
        bool inside = y >= 1 && y < 3;  // top = (5 - 2) / 2 = 1
        EXPECT_EQ(px(sq, x, y, ch), inside ? px(wide, x, y - 1, ch) : color[ch]) << x << "," << y;
      }
  // Padding keeps the whole image: a tall photo padded gives a different crop than
  // the processor's centre crop, but the same tensor size.
  image::Image photo = image::load_image(test::asset("images/extreme_ironing.jpg"));
  at::Tensor padded = llava_pixel_values({photo}, cfg, true), cropped = llava_pixel_values({photo}, cfg, false);
  EXPECT_EQ(padded.sizes(), cropped.sizes());
  EXPECT_FALSE(at::allclose(padded, cropped));
}

TEST(LlavaConfigTest, FeatureLayerListsStrategiesAndProjectorKinds) {
  auto base = test::fixture_config("llava");
  auto weights = test::fixture_weights("llava");
  auto ref = test::reference("llava");
  at::NoGradGuard ng;
  at::Tensor pv = ref["pixel_values"];

  // Two feature layers, CLS kept: the projector reads [h(-2), h(-1)] of all 577 tokens.
  auto cfg = base;
  cfg["vision_feature_layer"] = {-2, -1};
  cfg["vision_feature_select_strategy"] = "full";
  auto w = weights;
  w["multi_modal_projector.linear_1.weight"] = at::randn({64, 96}) * 0.1;
  test::ScratchCheckpoint two("llava_layers", cfg, w);
  auto m = load_llava(io::Checkpoint::open(two.dir()));
  EXPECT_EQ(m->cfg.features_per_image(), 577);
  at::Tensor feats = m->image_features(pv);
  ASSERT_EQ(feats.sizes(), (at::IntArrayRef{1, 577, 64}));
  auto hs = m->vision_tower(pv, true).hidden_states;
  at::Tensor want = m->multi_modal_projector(at::cat({hs[2], hs[3]}, -1));
  EXPECT_LE(test::max_abs_diff(feats, want), 1e-5);

  // No linear_2 in the checkpoint: a plain linear projector (llava 1.0).
  auto lin = weights;
  lin.erase("multi_modal_projector.linear_2.weight");
  lin.erase("multi_modal_projector.linear_2.bias");
  test::ScratchCheckpoint one("llava_linear", base, lin);
  auto ml = load_llava(io::Checkpoint::open(one.dir()));
  EXPECT_EQ(ml->cfg.projector_type, "linear");
  at::Tensor lf = ml->image_features(pv);
  at::Tensor lw = ml->multi_modal_projector->linear_1(ml->vision_tower(pv, true).hidden_states[2].slice(1, 1));
  EXPECT_LE(test::max_abs_diff(lf, lw), 1e-5);
}

TEST(LlavaConfigTest, MismatchedWidthsAndBadValuesAreClearErrors) {
  auto base = test::fixture_config("llava");
  auto weights = test::fixture_weights("llava");
  auto expect_error = [&](const nlohmann::json& cfg, const std::string& needle) {
    test::ScratchCheckpoint sc("llava_bad", cfg, weights);
    try {
      load_llava(io::Checkpoint::open(sc.dir()));
      ADD_FAILURE() << "no error for " << needle;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  auto c = base;
  c["text_config"]["hidden_size"] = 128;
  c["text_config"]["head_dim"] = 32;
  expect_error(c, "the projector outputs 64 features but the language model's hidden_size is 128");
  c = base;
  c["vision_config"]["hidden_size"] = 32;
  expect_error(c, "linear_1 takes 48 features but the vision tower gives 32");
  c = base;
  c["vision_feature_layer"] = 7;
  expect_error(c, "vision_feature_layer 7");
  c = base;
  c["vision_feature_select_strategy"] = "cls";
  expect_error(c, "vision_feature_select_strategy");
}
