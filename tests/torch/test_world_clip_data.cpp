// What the world gives CLIP training besides captions: the shape label maps for token
// labelling and one hard negative per caption. Checked against the split's annotations.
#include <gtest/gtest.h>

#include <cctype>
#include <set>
#include <sstream>

#include "../common/temp_dir.h"
#include "image/mask_rle.h"
#include "train/world_data.h"
#include "world/generate.h"
#include "world/load.h"

using namespace argus;

TEST(WorldClipData, ReplaceShapeWordKeepsNumberAndEverythingElse) {
  const std::string c = "two red circles, a blue square: left of the circle";
  EXPECT_EQ(train::replace_shape_word(c, 0, world::Shape::star), "two red stars, a blue square: left of the circle");
  EXPECT_EQ(train::replace_shape_word(c, 1, world::Shape::cross), "two red circles, a blue cross: left of the circle");
  EXPECT_EQ(train::replace_shape_word(c, 5, world::Shape::cross), "two red circles, a blue square: left of the cross");
  // Whole words only: "shapes" and "squares" are not "square" + something.
  EXPECT_EQ(train::replace_shape_word("three shapes", 0, world::Shape::star), "");
  EXPECT_EQ(train::replace_shape_word("two squares", 0, world::Shape::cross), "two crosses");
}

TEST(WorldClipData, NegativesNameAnAbsentShapeAndLabelMapsMatchTheMasks) {
  const std::string dir = test::fresh_temp_dir("world_clip_data");
  world::GenerateOptions g;
  g.out_dir = dir;
  g.n_train = 40;
  g.n_eval = 4;
  g.seed = 7;
  world::generate(g);
  auto data = train::world_clip_data(dir, 0, {true, true, 3});
  // Extras are built only when asked for.
  auto plain = train::world_clip_data(dir, 0);
  EXPECT_TRUE(plain.label_maps.empty());
  EXPECT_TRUE(plain.hard_negatives.empty());
  EXPECT_EQ(plain.captions, data.captions);
  auto split = world::load_split(dir + "/train");
  ASSERT_EQ(data.images.size(), 40u);
  ASSERT_EQ(data.hard_negatives.size(), 40u);
  ASSERT_EQ(data.label_maps.size(), 40u);
  EXPECT_EQ(data.label_classes, world::kNumShapes + 1);

  int64_t with_negative = 0, captions = 0;
  for (size_t i = 0; i < data.images.size(); ++i) {
    const auto anns = split.annotations_of(split.images[i].id);
    std::set<std::string> present;
    for (const auto* a : anns) present.insert(a->shape);
    ASSERT_EQ(data.hard_negatives[i].size(), data.captions[i].size());
    for (size_t k = 0; k < data.captions[i].size(); ++k) {
      ++captions;
      const std::string& neg = data.hard_negatives[i][k];
      if (neg.empty()) continue;
      ++with_negative;
      EXPECT_NE(neg, data.captions[i][k]);
      // Exactly one word differs, and it is a shape this image does not have.
      std::istringstream a(data.captions[i][k]), b(neg);
      std::string wa, wb, changed;
      int diffs = 0;
      while (a >> wa && b >> wb)
        if (wa != wb) ++diffs, changed = wb;
      EXPECT_EQ(diffs, 1) << data.captions[i][k] << " / " << neg;
      while (!changed.empty() && !isalpha(static_cast<unsigned char>(changed.back()))) changed.pop_back();
      bool absent = true;
      for (const auto& s : present) absent &= changed != s && changed != world::plural(*world::parse_shape(s));
      EXPECT_TRUE(absent) << neg << " names a shape of image " << i;
    }
    // The label map holds each object's category exactly on its visible pixels.
    const auto& map = data.label_maps[i];
    ASSERT_EQ(map.width, data.images[i].width);
    ASSERT_EQ(map.height, data.images[i].height);
    for (const auto* a : anns) {
      auto mask = world::decode_mask(*a);
      for (size_t p = 0; p < mask.pixels.size(); ++p)
        if (mask.pixels[p]) ASSERT_EQ(map.pixels[p], a->category_id) << "image " << i;
    }
    int64_t labelled = 0;
    for (uint8_t v : map.pixels) labelled += v != 0;
    int64_t area = 0;
    for (const auto* a : anns) area += a->area;
    EXPECT_EQ(labelled, area) << "image " << i;
  }
  // Captions that name no shape ("three shapes ...") have none; most do.
  EXPECT_GT(with_negative, captions / 2);
}
