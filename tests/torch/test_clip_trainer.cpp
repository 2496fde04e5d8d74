// CLIP contrastive training end to end on a toy task: the saved directory loads through
// the normal loader (DualEncoder) and classifies what it was trained on.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "engine/dual_encoder.h"
#include "tasks/classify.h"
#include "toy_data.h"
#include "train/clip_trainer.h"
#include "util/error.h"
#include "../common/temp_dir.h"

namespace fs = std::filesystem;
using namespace argus;

TEST(ClipTrainer, LearnsAToyTaskAndSavesALoadableCheckpoint) {
  std::string out = argus::test::fresh_temp_dir("clip_train");
  test::Toy t = test::toy();
  auto r = train::train_clip(t.data, t.words, test::tiny_clip_recipe(out), out, nullptr);
  ASSERT_EQ(r.losses.size(), 200u);
  // With 4 colours in a batch of 8 some captions repeat, so the floor is about ln 2
  // (chance, ln 8, is 2.08).
  EXPECT_GT(r.losses.front(), 2.0);
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

TEST(ClipTrainer, PatchMajorityLabelsFollowTheStretchedInput) {
  // A 20x10 map whose left half is class 1, seen as an 8-pixel input in 4-pixel patches.
  image::GrayImage map{20, 10, std::vector<uint8_t>(200, 0)};
  for (int y = 0; y < 10; ++y)
    for (int x = 0; x < 10; ++x) map.pixels[static_cast<size_t>(y * 20 + x)] = 1;
  EXPECT_EQ(train::patch_majority_labels(map, 8, 4, 3), (std::vector<int64_t>{1, 0, 1, 0}));
  // Class 2 on the top-left patch's left half only: a tie with class 1, and the
  // first maximum (the smaller class) wins; on three quarters it wins outright.
  for (int y = 0; y < 5; ++y)
    for (int x = 0; x < 5; ++x) map.pixels[static_cast<size_t>(y * 20 + x)] = 2;
  EXPECT_EQ(train::patch_majority_labels(map, 8, 4, 3), (std::vector<int64_t>{1, 0, 1, 0}));
  for (int y = 0; y < 5; ++y)
    for (int x = 0; x < 8; ++x) map.pixels[static_cast<size_t>(y * 20 + x)] = 2;
  EXPECT_EQ(train::patch_majority_labels(map, 8, 4, 3), (std::vector<int64_t>{2, 0, 1, 0}));
  EXPECT_THROW(train::patch_majority_labels(map, 8, 4, 2), Error);  // 2 is not a class of 2
  EXPECT_THROW(train::patch_majority_labels(map, 10, 4, 3), Error);
}

TEST(ClipTrainer, TokenLabellingTeachesThePatchesAndIsNotSaved) {
  std::string out = argus::test::fresh_temp_dir("clip_tokens");
  // A white square in one quadrant of a black image, and one caption for all: the
  // contrastive loss cannot fall below ln 8 (every text is the same), so whatever the
  // total loss loses is the patches learning where the square is.
  train::CaptionedImages data;
  data.label_classes = 2;
  for (int i = 0; i < 16; ++i) {
    image::Image im = image::make_image(32, 32);
    image::GrayImage map{32, 32, std::vector<uint8_t>(32 * 32, 0)};
    const int x0 = (i % 2) * 16, y0 = ((i / 2) % 2) * 16;
    for (int y = y0; y < y0 + 16; ++y)
      for (int x = x0; x < x0 + 16; ++x) {
        map.pixels[static_cast<size_t>(y * 32 + x)] = 1;
        for (int c = 0; c < 3; ++c) im.pixels[static_cast<size_t>((y * 32 + x) * 3 + c)] = 255;
      }
    data.images.push_back(std::move(im));
    data.label_maps.push_back(std::move(map));
    data.captions.push_back({"a picture"});
  }
  auto recipe = test::tiny_clip_recipe(out);
  recipe.token_label_weight = 1.0;
  recipe.train.steps = 60;
  auto r = train::train_clip(data, {"a", "picture"}, recipe, out, nullptr);
  const double floor = std::log(8.0);
  EXPECT_GT(r.losses.front(), floor + 0.4);  // the token term starts near ln 2
  EXPECT_LT(r.losses.back(), floor + 0.1) << "first " << r.losses.front() << " last " << r.losses.back();
  EXPECT_GE(r.losses.back(), floor - 1e-3);
  // The saved CLIP is the plain layout: it loads strictly, so a stray head tensor would fail.
  EXPECT_NO_THROW(engine::DualEncoder::open(out));

  // Bad data: maps missing, or of another size than their image.
  auto no_maps = data;
  no_maps.label_maps.pop_back();
  EXPECT_THROW(train::train_clip(no_maps, {"a", "picture"}, recipe, out + "/bad", nullptr), Error);
  auto wrong_size = data;
  wrong_size.label_maps[3].width = 16;
  wrong_size.label_maps[3].pixels.resize(16 * 32);
  EXPECT_THROW(train::train_clip(wrong_size, {"a", "picture"}, recipe, out + "/bad", nullptr), Error);
  fs::remove_all(out);
}

TEST(ClipTrainer, HardNegativesTeachWhatTheBatchCannot) {
  // With one image per batch the contrastive loss has nothing to contrast (it is 0 from the
  // start), so whatever the model learns comes from each caption's hard negative: the
  // same caption with another colour.
  test::Toy t = test::toy();
  std::vector<std::string> negative_colour;
  for (size_t i = 0; i < t.data.captions.size(); ++i) {
    negative_colour.push_back(test::toy_colours()[(i % 4 + 1 + (i / 4) % 3) % 4]);  // never its own
    const std::string& other = negative_colour.back();
    t.data.hard_negatives.push_back({"a " + other + " square", "a picture of a " + other + " square"});
  }
  auto learn = [&](bool negatives) {
    std::string out = argus::test::fresh_temp_dir("clip_negatives");
    auto recipe = test::tiny_clip_recipe(out);
    recipe.batch_size = 1;
    recipe.hard_negatives = negatives;
    auto r = train::train_clip(t.data, t.words, recipe, out, nullptr);
    // How many images prefer their caption to its negative.
    auto enc = engine::DualEncoder::open(out);
    int right = 0;
    for (size_t i = 0; i < t.data.images.size(); ++i) {
      auto c = tasks::classify(*enc, t.data.images[i], {test::toy_colours()[i % 4], negative_colour[i]}, "a {} square");
      right += c.probs[0] > c.probs[1];
    }
    fs::remove_all(out);
    return std::make_pair(r, right);
  };
  auto [plain, plain_right] = learn(false);
  EXPECT_EQ(plain.losses.front(), 0.0);  // nothing to contrast
  auto [hard, hard_right] = learn(true);
  EXPECT_GT(hard.losses.front(), 0.25);  // (ln 2 + 0) / 2 at the start
  // Measured: 14 of 16 with negatives, 8 (chance) without.
  EXPECT_GE(hard_right, 13) << "without negatives " << plain_right;
  EXPECT_LE(plain_right, 10);

  // Negatives are per caption: a list of another length is refused.
  t.data.hard_negatives[2].pop_back();
  std::string out = argus::test::fresh_temp_dir("clip_negatives_bad");
  EXPECT_THROW(train::train_clip(t.data, t.words, test::tiny_clip_recipe(out), out, nullptr), Error);
  fs::remove_all(out);
}
