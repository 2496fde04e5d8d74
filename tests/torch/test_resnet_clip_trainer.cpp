// CLIP's contrastive recipe on the CLIP paper's ModifiedResNet tower (issue 21): batch
// norm that trains, OpenAI's initialisation, the open_clip layout it saves, and the
// requests it refuses.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <numeric>

#include "engine/dual_encoder.h"
#include "image/clip_transform.h"
#include "models/open_clip/open_clip_model.h"
#include "tasks/classify.h"
#include "toy_data.h"
#include "train/clip_towers.h"
#include "train/clip_trainer.h"
#include "util/error.h"
#include "../common/temp_dir.h"

namespace fs = std::filesystem;
using namespace argus;

namespace {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST(ResNetClipTrainer, LearnsAToyTaskAndSavesAnOpenClipDirectory) {
  std::string out = argus::test::fresh_temp_dir("resnet_clip_train");
  test::Toy t = test::toy();
  auto r = train::train_clip(t.data, t.words, test::tiny_resnet_clip_recipe(out), out, nullptr);
  ASSERT_EQ(r.losses.size(), 200u);
  EXPECT_GT(r.losses.front(), 2.0);  // chance is ln 8 = 2.08
  // With 4 colours in a batch of 8 the floor is about ln 2. Measured: the last 20 average
  // about 0.85; a tower whose stem is dead stays at ln 8.
  const double tail = std::accumulate(r.losses.end() - 20, r.losses.end(), 0.0) / 20;
  EXPECT_LT(tail, 1.1) << "first " << r.losses.front();

  EXPECT_TRUE(fs::exists(fs::path(out) / "open_clip_config.json"));
  EXPECT_TRUE(fs::exists(fs::path(out) / "open_clip_model.safetensors"));
  EXPECT_FALSE(fs::exists(fs::path(out) / "config.json"));  // not a transformers layout
  auto enc = engine::DualEncoder::open(out);  // strict: the running statistics are there
  EXPECT_EQ(enc->family(), "open_clip");
  int right = 0;
  const std::vector<std::string> labels = test::toy_colours();
  for (size_t i = 0; i < t.data.images.size(); ++i) {
    auto c = tasks::classify(*enc, t.data.images[i], labels, "a {} square");
    size_t best = std::max_element(c.probs.begin(), c.probs.end()) - c.probs.begin();
    right += c.labels[best] == labels[i % 4];
  }
  EXPECT_EQ(right, 16);
  fs::remove_all(out);
}

TEST(ResNetClipTrainer, TheStemStartsAliveAndOnlyBottleneckGainsAtZero) {
  auto cfg = test::tiny_resnet_clip_recipe("unused").resnet_arch;
  models::open_clip::ModifiedResNet net(cfg.vision, cfg.embed_dim);
  at::manual_seed(0);
  train::init_resnet_tower(*net);
  EXPECT_TRUE(net->bn3->weight.eq(1).all().item<bool>());  // the stem's, not a residual branch
  for (const auto& kv : net->named_parameters())
    if (kv.key().rfind("layer", 0) == 0 && kv.key().find(".bn3.weight") != std::string::npos)
      EXPECT_TRUE(kv.value().eq(0).all().item<bool>()) << kv.key();
  models::open_clip::ResNetStages stages;
  at::Tensor out = net->forward(at::randn({4, 3, 64, 64}), &stages);
  EXPECT_GT(stages.stem.gt(0).to(at::kFloat).mean().item<double>(), 0.2);  // ReLU lets much through
  EXPECT_TRUE(out.isfinite().all().item<bool>());
  EXPECT_GT(out.std().item<double>(), 1e-3);
}

TEST(ResNetClipTrainer, BatchNormTrainsOnTheBatchAndServesTheRunningStatistics) {
  models::open_clip::BatchNorm bn(1);
  at::Tensor x = at::arange(8, at::kFloat).view({2, 1, 2, 2}) + 5;  // mean 8.5
  bn->train();
  at::Tensor y = bn(x);
  EXPECT_NEAR(y.mean().item<double>(), 0.0, 1e-5);
  EXPECT_NEAR(bn->running_mean.item<double>(), 0.85, 1e-5);  // momentum 0.1
  bn->eval();
  EXPECT_NEAR(bn(x).mean().item<double>(), (8.5 - 0.85) / std::sqrt(bn->running_var.item<double>() + 1e-5), 1e-4);
}

TEST(ResNetClipTrainer, RefusesWhatTheTowerCannotDo) {
  test::Toy t = test::toy();
  std::string out = argus::test::fresh_temp_dir("resnet_clip_refusals");
  auto recipe = test::tiny_resnet_clip_recipe(out);
  recipe.token_label_weight = 1;
  EXPECT_NE(error_of([&] { train::train_clip(t.data, t.words, recipe, out, nullptr); }).find("no patch tokens"),
            std::string::npos);

  recipe = test::tiny_resnet_clip_recipe(out);
  recipe.resnet_arch.vision.image_size = recipe.resnet_arch.preprocess.size = 32;
  EXPECT_NE(error_of([&] { train::train_clip(t.data, t.words, recipe, out, nullptr); }).find("1x1 attention-pool grid"),
            std::string::npos);

  // A checkpoint of the ViT CLIP is not resumed by the ResNet recipe.
  auto vit = test::tiny_clip_recipe(out);
  vit.train.steps = 2;
  vit.train.save_every = 1;
  train::train_clip(t.data, t.words, vit, out, nullptr);
  recipe = test::tiny_resnet_clip_recipe(out);
  EXPECT_NE(error_of([&] { train::train_clip(t.data, t.words, recipe, out, nullptr); }).find("another architecture"),
            std::string::npos);
  fs::remove_all(out);
}

TEST(ResNetClipTrainer, TheSavedConfigReadsBackAndSquashesWithoutCropping) {
  auto c = train::small_resnet_clip_config();
  c.text.vocab_size = 300;
  auto back = models::open_clip::parse_open_clip_config(models::open_clip::to_json(c), "test");
  EXPECT_EQ(models::open_clip::to_json(back), models::open_clip::to_json(c));
  EXPECT_TRUE(back.preprocess.squash);
  EXPECT_EQ(back.vision.res_layers, c.vision.res_layers);

  auto j = models::open_clip::to_json(c);
  j["preprocess_cfg"]["resize_mode"] = "longest";
  EXPECT_NE(error_of([&] { models::open_clip::parse_open_clip_config(j, "cfg.json"); }).find("resize_mode"),
            std::string::npos);

  // A red band at the left edge of a wide image: squashing keeps it, the centre crop cuts it.
  image::Image im = test::solid(200, 100, 0, 0, 0);
  for (int y = 0; y < 100; ++y)
    for (int x = 0; x < 30; ++x) im.pixels[static_cast<size_t>(3 * (y * 200 + x))] = 255;
  auto red_at_left = [](const image::PixelValues& pv) { return pv.data[static_cast<size_t>(25 * pv.width + 1)] > 0.5f; };
  const std::array<double, 3> zero{0, 0, 0}, one{1, 1, 1};
  auto squashed = image::clip_transform(im, 50, zero, one, true);
  EXPECT_EQ(squashed.width, 50);
  EXPECT_EQ(squashed.height, 50);
  EXPECT_TRUE(red_at_left(squashed));
  EXPECT_FALSE(red_at_left(image::clip_transform(im, 50, zero, one)));
}
