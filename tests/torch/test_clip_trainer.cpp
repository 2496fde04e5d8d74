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

namespace fs = std::filesystem;
using namespace argus;

TEST(ClipTrainer, LearnsAToyTaskAndSavesALoadableCheckpoint) {
  std::string out = (fs::temp_directory_path() / ("argus_clip_train_" + std::to_string(::getpid()))).string();
  fs::remove_all(out);
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
