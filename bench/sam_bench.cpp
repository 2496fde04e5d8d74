// argus side of the SAM benchmark: SAM ViT-B at its real size with random weights.
//   --what encoder     image encoder, [1, 3, 1024, 1024] -> [1, 256, 64, 64]
//   --what prompt      one point -> 3 masks at 1200x1800, embedding cached
//   --what everything  segment-everything, 32x32 grid, on a 1200x1800 image (encoding included)
// bench/run_bench.py times the PyTorch reference (bench/reference_sam.py) for the encoder.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "bench_timing.h"
#include "engine/runtime.h"
#include "models/sam/sam_model.h"
#include "models/sam/sam_postprocess.h"
#include "nn/inference.h"
#include "tasks/segment/everything.h"

using namespace argus;

namespace {

image::ImageProcessorConfig sam_processor() {
  return image::parse_image_processor_config(nlohmann::json{
      {"image_processor_type", "SamImageProcessor"},
      {"size", {{"longest_edge", 1024}}},
      {"pad_size", {{"height", 1024}, {"width", 1024}}},
      {"do_pad", true},
      {"resample", 2},
      {"image_mean", {0.485, 0.456, 0.406}},
      {"image_std", {0.229, 0.224, 0.225}}});
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"argus SAM benchmark"};
  std::string what = "encoder", dtype = "f32";
  int iters = 5, warmup = 1, threads = 0, points_per_side = 32;
  app.add_option("--what", what, "encoder | prompt | everything")
      ->check(CLI::IsMember({"encoder", "prompt", "everything"}));
  app.add_option("--iters", iters);
  app.add_option("--warmup", warmup);
  app.add_option("--threads", threads);
  app.add_option("--points-per-side", points_per_side);
  app.add_option("--dtype", dtype)->check(CLI::IsMember({"f32", "bf16"}));
  CLI11_PARSE(app, argc, argv);
  engine::init_runtime(threads);
  at::manual_seed(0);

  models::sam::SamModel model(models::sam::SamConfig{});  // the defaults are SAM ViT-B's sizes
  {
    at::NoGradGuard ng;
    // Random weights at a scale that keeps activations finite and O(1).
    for (auto& p : model->parameters()) p.normal_(0.0, 0.02);
    for (auto& b : model->buffers())
      if (b.is_floating_point()) b.normal_(0.0, 1.0);
  }
  model->eval();
  nn::InferenceOptions opts;
  opts.bf16 = dtype == "bf16";
  nn::prepare_for_inference(*model, opts);
  at::NoGradGuard ng;

  double ms = 0;
  nlohmann::json extra = nlohmann::json::object();
  if (what == "encoder") {
    at::Tensor px = at::randn({1, 3, 1024, 1024});
    ms = bench::median_ms([&] { model->image_embeddings(px); }, warmup, iters);
  } else if (what == "prompt") {
    at::Tensor emb = model->image_embeddings(at::randn({1, 3, 1024, 1024}));
    auto g = models::sam::sam_geometry(1200, 1800);
    at::Tensor pts = models::sam::rescale_prompt_coords(at::tensor({500.0, 375.0}).reshape({1, 1, 1, 2}), g);
    ms = bench::median_ms(
        [&] {
          auto p = model->predict(emb, pts, at::Tensor(), at::Tensor(), at::Tensor(), true);
          models::sam::post_process_masks(p.low_res_masks[0], g);
        },
        warmup, iters);
    // Where the time goes: the mask decoder alone, and the upsampling to 1800x1200.
    const double decoder_ms = bench::median_ms(
        [&] { model->predict(emb, pts, at::Tensor(), at::Tensor(), at::Tensor(), true); }, warmup, iters);
    auto p = model->predict(emb, pts, at::Tensor(), at::Tensor(), at::Tensor(), true);
    const double post_ms = bench::median_ms([&] { models::sam::post_process_masks(p.low_res_masks[0], g); }, warmup, iters);
    extra = {{"decoder_ms", decoder_ms}, {"postprocess_ms", post_ms}};
  } else {
    image::Image img = image::make_image(1800, 1200);
    for (size_t i = 0; i < img.pixels.size(); ++i) img.pixels[i] = static_cast<uint8_t>((i * 2654435761u) >> 24);
    // Cache capacity 0: every run encodes the image, as a first call on a new image does.
    auto seg = tasks::segment::Segmenter::from_model(model, sam_processor(), 0);
    tasks::segment::EverythingOptions o;
    o.points_per_side = points_per_side;
    size_t found = 0;
    ms = bench::median_ms([&] { found = tasks::segment::segment_everything(*seg, img, o).size(); }, warmup, iters);
    extra = {{"points", points_per_side * points_per_side}, {"masks", found}};
  }
  nlohmann::json out = {{"what", what}, {"dtype", dtype}, {"threads", at::get_num_threads()}, {"ms", ms}};
  out.update(extra);
  std::printf("%s\n", out.dump().c_str());
  return 0;
}
