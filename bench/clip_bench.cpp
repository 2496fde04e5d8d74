// argus side of the CLIP benchmark: the real-size CLIP ViT-B/32 graph with random
// weights, timed in-process; bench/run_bench.py runs the PyTorch reference and this
// binary in one script and writes the ratios to bench/README.md.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "bench_timing.h"
#include "engine/runtime.h"
#include "models/clip/clip_model.h"
#include "nn/inference.h"

using namespace argus;

namespace {

models::clip::ClipConfig vit_b32() {
  models::clip::ClipConfig c;  // the defaults are CLIP ViT-B/32's sizes
  return c;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"argus CLIP benchmark"};
  std::string what = "image", dtype = "f32";
  int batch = 1, iters = 10, warmup = 2, threads = 0;
  app.add_option("--what", what, "image | text")->check(CLI::IsMember({"image", "text"}));
  app.add_option("--batch", batch);
  app.add_option("--iters", iters);
  app.add_option("--warmup", warmup);
  app.add_option("--threads", threads);
  app.add_option("--dtype", dtype)->check(CLI::IsMember({"f32", "bf16"}));
  CLI11_PARSE(app, argc, argv);
  engine::init_runtime(threads);
  at::manual_seed(0);

  models::clip::ClipModel model(vit_b32());
  model->eval();
  nn::InferenceOptions opts;
  opts.bf16 = dtype == "bf16";
  nn::prepare_for_inference(*model, opts);
  at::NoGradGuard ng;
  double ms = 0;
  if (what == "image") {
    at::Tensor px = at::randn({batch, 3, 224, 224});
    ms = bench::median_ms([&] { model->image_embeds(px); }, warmup, iters);
  } else {
    at::Tensor ids = at::randint(1, 49405, {batch, 77}, at::kLong);
    ids.select(1, 76).fill_(49407);
    ms = bench::median_ms([&] { model->text_embeds(ids, at::Tensor()); }, warmup, iters);
  }
  nlohmann::json out = {{"what", what}, {"batch", batch}, {"dtype", dtype}, {"threads", at::get_num_threads()},
                        {"ms", ms}, {"items_per_s", 1000.0 * batch / ms}};
  std::printf("%s\n", out.dump().c_str());
  return 0;
}
