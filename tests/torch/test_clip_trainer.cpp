// CLIP contrastive training end to end on a toy task: the saved directory loads through
// the normal loader (DualEncoder) and classifies what it was trained on.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "engine/dual_encoder.h"
#include "tasks/classify.h"
#include "train/clip_trainer.h"

namespace fs = std::filesystem;
using namespace argus;

namespace {

image::Image solid(int w, int h, uint8_t r, uint8_t g, uint8_t b) {
  image::Image im = image::make_image(w, h);
  for (size_t i = 0; i < im.pixels.size(); i += 3) {
    im.pixels[i] = r;
    im.pixels[i + 1] = g;
    im.pixels[i + 2] = b;
  }
  return im;
}

struct Toy {
  train::CaptionedImages data;
  std::vector<std::string> words = {"a", "red", "green", "blue", "yellow", "square", "picture", "of"};
};

Toy toy() {
  Toy t;
  const std::vector<std::pair<std::string, std::array<uint8_t, 3>>> colours = {
      {"red", {220, 30, 30}}, {"green", {30, 200, 40}}, {"blue", {30, 40, 220}}, {"yellow", {230, 220, 30}}};
  for (int k = 0; k < 4; ++k)
    for (const auto& [name, rgb] : colours) {
      t.data.images.push_back(solid(96 + 8 * k, 96, rgb[0] - 10 * k, rgb[1], rgb[2]));
      t.data.captions.push_back({"a " + name + " square", "a picture of a " + name + " square"});
    }
  return t;
}

train::ClipRecipe tiny_recipe(const std::string& out) {
  train::ClipRecipe r;
  r.arch = train::small_clip_config();
  r.arch.vision.image_size = 32;
  r.arch.vision.enc = {32, 64, 2, 1, 1e-5, "quick_gelu"};
  r.arch.text.enc = {32, 64, 2, 1, 1e-5, "quick_gelu"};
  r.arch.text.max_position_embeddings = 16;
  r.arch.projection_dim = 32;
  r.batch_size = 8;
  r.train.steps = 200;
  r.train.warmup_steps = 5;
  r.train.lr = 3e-3;
  r.train.save_every = 0;
  r.train.quiet = true;
  r.train.checkpoint_dir = out + "/ckpt";
  return r;
}

}  // namespace

TEST(ClipTrainer, LearnsAToyTaskAndSavesALoadableCheckpoint) {
  std::string out = (fs::temp_directory_path() / ("argus_clip_train_" + std::to_string(::getpid()))).string();
  fs::remove_all(out);
  Toy t = toy();
  auto r = train::train_clip(t.data, t.words, tiny_recipe(out), out, nullptr);
  ASSERT_EQ(r.losses.size(), 200u);
  // Chance is ln 8 = 2.08; with 4 colours in a batch of 8 some captions repeat, so the
  // floor is about ln 2.
  EXPECT_NEAR(r.losses.front(), std::log(8.0), 0.1);
  EXPECT_LT(r.losses.back(), 1.3) << "first " << r.losses.front() << " last " << r.losses.back();

  auto enc = engine::DualEncoder::open(out);  // strict load of the saved layout
  int right = 0;
  const std::vector<std::string> labels = {"red", "green", "blue", "yellow"};
  for (size_t i = 0; i < t.data.images.size(); ++i) {
    auto c = tasks::classify(*enc, t.data.images[i], labels, "a {} square");
    size_t best = std::max_element(c.probs.begin(), c.probs.end()) - c.probs.begin();
    right += c.labels[best] == labels[i % 4];
  }
  EXPECT_EQ(right, 16);
  fs::remove_all(out);
}
