// SAM-style training end to end on a toy task (one or two solid rectangles per image):
// the loss falls, the saved directory loads through the normal Segmenter (strict, the
// SamModel layout), and its masks find the prompted object; the evaluation's interior
// point is the deepest pixel of a mask.
#include <gtest/gtest.h>

#include <filesystem>

#include "../common/error_of.h"
#include "../common/temp_dir.h"
#include "eval/world_eval.h"
#include "io/json_file.h"
#include "tasks/segment/segmenter.h"
#include "train/sam_trainer.h"

namespace fs = std::filesystem;
using namespace argus;

namespace {

struct Rect {
  int x0, y0, x1, y1;
  uint8_t r, g, b;
};

void draw(image::Image& im, const Rect& q, train::ObjectMask* mask) {
  for (int y = q.y0; y < q.y1; ++y)
    for (int x = q.x0; x < q.x1; ++x) {
      size_t i = (static_cast<size_t>(y) * static_cast<size_t>(im.width) + static_cast<size_t>(x));
      im.pixels[3 * i] = q.r;
      im.pixels[3 * i + 1] = q.g;
      im.pixels[3 * i + 2] = q.b;
      if (mask) mask->mask[i] = 1;
    }
  if (mask) mask->box = {double(q.x0), double(q.y0), double(q.x1), double(q.y1)};
}

// 24 images of 64x48: a red rectangle somewhere, and in every other image a blue one.
train::MaskedImages toy_masks() {
  train::MaskedImages d;
  for (int k = 0; k < 24; ++k) {
    image::Image im = image::make_image(64, 48);
    std::fill(im.pixels.begin(), im.pixels.end(), uint8_t{128});
    std::vector<train::ObjectMask> objects;
    std::vector<Rect> rects = {{4 + k % 5 * 4, 4 + k % 3 * 4, 24 + k % 5 * 4, 22 + k % 3 * 4, 220, 30, 30}};
    if (k % 2) rects.push_back({40, 26 - k % 4 * 2, 60, 44 - k % 4 * 2, 30, 40, 220});
    for (const auto& q : rects) {
      train::ObjectMask m;
      m.mask.assign(64 * 48, 0);
      draw(im, q, &m);
      objects.push_back(std::move(m));
    }
    d.images.push_back(std::move(im));
    d.objects.push_back(std::move(objects));
  }
  return d;
}

train::SamRecipe tiny_sam_recipe(const std::string& out) {
  train::SamRecipe r;
  auto& c = r.arch;
  c = train::small_sam_config();
  c.vision.image_size = 64;
  c.vision.hidden_size = 32;
  c.vision.num_hidden_layers = 2;
  c.vision.num_attention_heads = 2;
  c.vision.mlp_dim = 64;
  c.vision.window_size = 4;
  c.vision.global_attn_indexes = {1};
  c.vision.output_channels = 16;
  c.vision.num_pos_feats = 8;
  c.prompt.hidden_size = 16;
  c.prompt.image_size = 64;
  c.prompt.image_embedding_size = 8;
  c.decoder.hidden_size = 16;
  c.decoder.num_attention_heads = 2;
  c.decoder.mlp_dim = 32;
  c.decoder.iou_head_hidden_dim = 16;
  r.batch_size = 8;
  r.train.steps = 600;
  r.train.warmup_steps = 10;
  r.train.lr = 3e-3;
  r.train.save_every = 0;
  r.train.quiet = true;
  r.train.checkpoint_dir = out + "/ckpt";
  return r;
}

}  // namespace

TEST(SamTrainer, LearnsToyMasksAndSavesACheckpointTheSegmenterLoads) {
  const std::string out = test::fresh_temp_dir("sam_train");
  auto data = toy_masks();
  auto r = train::train_sam(data, tiny_sam_recipe(out), out, nullptr);
  ASSERT_EQ(r.losses.size(), 600u);
  EXPECT_LT(r.losses.back(), 0.5 * r.losses.front()) << r.losses.front() << " -> " << r.losses.back();
  EXPECT_EQ(io::read_json(out + "/config.json")["model_type"], "sam");

  auto seg = tasks::segment::Segmenter::open(out);  // strict load
  double iou_sum = 0;
  int prompts = 0;
  for (size_t i = 0; i < data.images.size(); i += 3) {
    auto e = seg->embed(data.images[i]);
    for (const auto& o : data.objects[i]) {
      tasks::segment::Prompt p;
      p.box = tasks::segment::Box{o.box[0], o.box[1], o.box[2], o.box[3]};
      auto pred = seg->predict(*e, {p}, false).at(0);  // a box trains the single-mask output
      at::Tensor mask = seg->full_masks(*e, pred)[0];
      at::Tensor truth = at::from_blob(const_cast<uint8_t*>(o.mask.data()), {48, 64}, at::kByte).to(at::kBool);
      iou_sum += (mask & truth).sum().item<double>() / (mask | truth).sum().item<double>();
      ++prompts;
    }
  }
  EXPECT_GT(iou_sum / prompts, 0.75) << prompts << " box prompts";
  fs::remove_all(out);
}

TEST(SamTrainer, BadDataIsAClearError) {
  const std::string out = test::fresh_temp_dir("sam_bad");
  auto data = toy_masks();
  auto recipe = tiny_sam_recipe(out);
  data.objects[2][0].mask.resize(10);
  EXPECT_NE(test::error_of([&] { train::train_sam(data, recipe, out, nullptr); }).find("not the image's size"),
            std::string::npos);
  data = toy_masks();
  recipe.batch_size = 7;
  EXPECT_NE(test::error_of([&] { train::train_sam(data, recipe, out, nullptr); }).find("batch size 7"),
            std::string::npos);
  fs::remove_all(out);
}

TEST(WorldSamEval, TheInteriorPointIsTheDeepestPixelOfTheMask) {
  // A 3x3 square and a 5x5 square in a 12x7 mask: the 5x5 one's centre is deepest.
  std::vector<uint8_t> m(12 * 7, 0);
  auto fill = [&](int x0, int y0, int n) {
    for (int y = y0; y < y0 + n; ++y)
      for (int x = x0; x < x0 + n; ++x) m[static_cast<size_t>(y * 12 + x)] = 1;
  };
  fill(0, 0, 3);
  fill(6, 1, 5);
  auto p = eval::interior_point(m, 7, 12);
  EXPECT_EQ(p[0], 8);
  EXPECT_EQ(p[1], 3);
  // The image border counts as background: a full mask's deepest pixel is its centre.
  std::vector<uint8_t> full(5 * 5, 1);
  EXPECT_EQ(eval::interior_point(full, 5, 5), (std::array<int, 2>{2, 2}));
  EXPECT_NE(test::error_of([&] { eval::interior_point(std::vector<uint8_t>(4, 0), 2, 2); }), "");
}
