// OWL-ViT-style detection training end to end on a toy task (a red and a blue rectangle
// at varying places): from a trained toy CLIP, the heads learn to box each rectangle and
// to name it by its colour, the saved directory loads through the normal Detector
// (strict, the OwlViTForObjectDetection layout) and finds both; bad data is refused.
#include <gtest/gtest.h>

#include <filesystem>

#include "../common/error_of.h"
#include "../common/temp_dir.h"
#include "io/json_file.h"
#include "models/owlvit/owlvit_model.h"
#include "tasks/detect/detector.h"
#include "toy_data.h"
#include "train/owl_trainer.h"
#include "util/average_precision.h"

namespace fs = std::filesystem;
using namespace argus;

namespace {

void fill(image::Image& im, const std::array<double, 4>& b, std::array<uint8_t, 3> rgb) {
  for (int y = int(b[1]); y < int(b[3]); ++y)
    for (int x = int(b[0]); x < int(b[2]); ++x)
      for (int c = 0; c < 3; ++c) im.pixels[3 * (size_t(y) * size_t(im.width) + size_t(x)) + size_t(c)] = rgb[size_t(c)];
}

// 32 images of 48x40: a red rectangle on the left half, a blue one on the right, at
// positions and sizes that vary with the image; queries "red square", "blue square".
train::DetectionData toy_detection() {
  train::DetectionData d;
  d.class_queries = {"red square", "blue square"};
  for (int k = 0; k < 32; ++k) {
    image::Image im = test::solid(48, 40, 128, 128, 128);
    std::array<double, 4> red = {2.0 + k % 4 * 2, 2.0 + k % 5 * 3, 18.0 + k % 3 * 2, 20.0 + k % 5 * 3};
    std::array<double, 4> blue = {26.0 + k % 3 * 3, 4.0 + k % 6 * 2, 44.0 + k % 2 * 2, 22.0 + k % 6 * 2};
    fill(im, red, {220, 30, 30});
    fill(im, blue, {30, 40, 220});
    d.images.push_back(std::move(im));
    d.objects.push_back({{red, {0}}, {blue, {1}}});
    d.phrases.push_back({{"the red square", 0}, {"the blue square", 1}});
  }
  return d;
}

train::OwlRecipe tiny_owl_recipe(const std::string& out) {
  train::OwlRecipe r;
  r.batch_size = 8;
  r.train.steps = 300;
  r.train.warmup_steps = 10;
  r.train.lr = 2e-3;
  r.train.weight_decay = 0.0;
  r.train.save_every = 0;
  r.train.quiet = true;
  r.train.checkpoint_dir = out + "/ckpt";
  return r;
}

}  // namespace

// A toy CLIP to start from, trained once for every test here.
class OwlTrainer : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = test::fresh_temp_dir("owl_train");
    auto t = test::toy();
    train::train_clip(t.data, t.words, test::tiny_clip_recipe(root_ + "/clip"), root_ + "/clip", nullptr);
  }
  static void TearDownTestSuite() { fs::remove_all(root_); }
  static std::string toy_clip_dir() { return root_ + "/clip"; }
  static std::string root_;
};
std::string OwlTrainer::root_;

TEST_F(OwlTrainer, LearnsToBoxAndNameToyObjectsAndSavesALoadableDetector) {
  std::string out = root_ + "/owl";
  auto data = toy_detection();
  auto r = train::train_owl(data, toy_clip_dir(), tiny_owl_recipe(out), out, nullptr);
  ASSERT_EQ(r.losses.size(), 300u);
  double first = (r.losses[0] + r.losses[1] + r.losses[2]) / 3, last = (r.losses[297] + r.losses[298] + r.losses[299]) / 3;
  EXPECT_LT(last, first * 0.5) << "first " << first << " last " << last;

  // The normal loader reads it strictly, with the CLIP's tokenizer beside it.
  EXPECT_EQ(io::read_json(out + "/config.json")["model_type"], "owlvit");
  auto detector = tasks::Detector::open(out);
  tasks::DetectOptions opts;
  opts.threshold = 0.0;
  opts.nms_iou = 0.5;
  std::vector<ScoredBox> dets;
  std::vector<TruthBox> truths;
  for (int64_t i = 0; i < 32; i += 3) {
    const auto& objects = data.objects[size_t(i)];
    truths.push_back({i, "red square", objects[0].box});
    truths.push_back({i, "blue square", objects[1].box});
    for (const auto& d : detector->detect(data.images[size_t(i)], data.class_queries, {}, opts).detections)
      dets.push_back({i, d.label, d.score, {d.box[0], d.box[1], d.box[2], d.box[3]}});
  }
  double ap50 = mean_average_precision(dets, truths, 0.5);
  EXPECT_GT(ap50, 0.8);  // 1 step: 0
  // A referring phrase finds its own target.
  tasks::DetectOptions top1 = opts;
  top1.top_k = 1;
  auto blue = detector->detect(data.images[5], {"the blue square"}, {}, top1).detections;
  ASSERT_EQ(blue.size(), 1u);
  EXPECT_GT(box_iou({blue[0].box[0], blue[0].box[1], blue[0].box[2], blue[0].box[3]}, data.objects[5][1].box), 0.5);
}

TEST_F(OwlTrainer, ConfigRoundTrips) {
  models::owlvit::OwlViTConfig c;
  c.text.max_position_embeddings = 24;
  c.vision.image_size = 64;
  c.vision.patch_size = 8;
  c.projection_dim = 96;
  auto back = models::owlvit::parse_config(models::owlvit::to_json(c));
  EXPECT_EQ(back.text.max_position_embeddings, 24);
  EXPECT_EQ(back.vision.image_size, 64);
  EXPECT_EQ(back.vision.patch_size, 8);
  EXPECT_EQ(back.projection_dim, 96);
  EXPECT_FALSE(back.objectness);
  c.objectness = true;
  c.base_name = "owlv2";
  EXPECT_TRUE(models::owlvit::parse_config(models::owlvit::to_json(c)).objectness);
}

TEST_F(OwlTrainer, BadDataIsAClearError) {
  std::string dir = root_ + "/bad";
  auto recipe = tiny_owl_recipe(dir);
  recipe.train.steps = 1;
  auto run = [&](const train::DetectionData& d) {
    return test::error_of([&] { train::train_owl(d, toy_clip_dir(), recipe, dir + "/owl", nullptr); });
  };
  auto d = toy_detection();
  d.objects[3][1].box = {40, 4, 60, 20};  // past the 48-pixel width
  EXPECT_NE(run(d).find("outside the 48x40 image"), std::string::npos) << run(d);
  d = toy_detection();
  d.objects[2][0].queries = {7};
  EXPECT_NE(run(d).find("class query 7 of 2"), std::string::npos) << run(d);
  d = toy_detection();
  d.phrases[1][0].object = 5;
  EXPECT_NE(run(d).find("\"the red square\" of image 1 names object 5 of 2"), std::string::npos) << run(d);
  d = toy_detection();
  d.objects.pop_back();
  EXPECT_NE(run(d).find("32 images, 31 object lists"), std::string::npos) << run(d);
  EXPECT_NE(test::error_of([&] { train::train_owl(toy_detection(), dir + "/none", recipe, dir + "/owl", nullptr); }),
            "");
}
