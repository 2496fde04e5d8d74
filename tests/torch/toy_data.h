// A toy task for the trainers' tests: solid-coloured squares and their colour names,
// learnable in a few hundred tiny steps.
#pragma once
#include <array>
#include <string>
#include <vector>

#include "train/clip_trainer.h"
#include "train/llava_trainer.h"

namespace argus::test {

inline const std::vector<std::string>& toy_colours() {
  static const std::vector<std::string> c = {"red", "green", "blue", "yellow"};
  return c;
}

inline image::Image solid(int w, int h, uint8_t r, uint8_t g, uint8_t b) {
  image::Image im = image::make_image(w, h);
  for (size_t i = 0; i < im.pixels.size(); i += 3) {
    im.pixels[i] = r;
    im.pixels[i + 1] = g;
    im.pixels[i + 2] = b;
  }
  return im;
}

struct Toy {
  train::CaptionedImages data;  // image i has colour toy_colours()[i % 4]
  std::vector<std::string> words = {"a", "red", "green", "blue", "yellow", "square", "picture", "of", "what",
                                    "colour", "is", "the", "?"};
};

inline Toy toy() {
  Toy t;
  const std::array<std::array<uint8_t, 3>, 4> rgb = {{{220, 30, 30}, {30, 200, 40}, {30, 40, 220}, {230, 220, 30}}};
  for (int k = 0; k < 4; ++k)
    for (int c = 0; c < 4; ++c) {
      const auto& name = toy_colours()[static_cast<size_t>(c)];
      t.data.images.push_back(solid(96 + 8 * k, 96, static_cast<uint8_t>(rgb[c][0] - 10 * k), rgb[c][1], rgb[c][2]));
      t.data.captions.push_back({"a " + name + " square", "a picture of a " + name + " square"});
    }
  return t;
}

inline train::ClipRecipe tiny_clip_recipe(const std::string& out) {
  train::ClipRecipe r;
  r.arch = train::small_clip_config();
  r.arch.vision.image_size = 32;
  r.arch.vision.patch_size = 8;
  r.arch.vision.enc = {32, 64, 2, 2, 1e-5, "quick_gelu"};
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

// The same toy task on a tiny ModifiedResNet (a 2x2 attention-pool grid).
inline train::ClipRecipe tiny_resnet_clip_recipe(const std::string& out) {
  train::ClipRecipe r = tiny_clip_recipe(out);
  r.tower = train::ClipTower::ResNet;
  auto& a = r.resnet_arch;
  a = train::small_resnet_clip_config();
  a.embed_dim = 32;
  a.vision.width = 8;  // stages of 32..256 channels
  a.vision.head_width = 32;
  a.vision.image_size = a.preprocess.size = 64;
  a.text = {16, 0, 32, 2, 1, 2.0};
  return r;
}

}  // namespace argus::test
