// argus side of the OWL benchmark: OWL-ViT B/32 (768 px) and OWLv2 B/16 (960 px)
// detection at real size with random weights, timed in-process from pixel_values to
// logits + boxes (+ objectness) against pre-encoded text queries, the per-image work
// of `argus detect` once the queries are cached. bench/run_bench.py runs the PyTorch
// reference (bench/reference_owl.py) and this binary and writes the ratios.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "bench_timing.h"
#include "engine/runtime.h"
#include "models/owlvit/owlvit_model.h"
#include "nn/inference.h"

using namespace argus;
using models::owlvit::OwlViTConfig;

namespace {

OwlViTConfig owl_config(const std::string& which) {
  OwlViTConfig c;  // text and vision defaults are CLIP B's sizes (512 / 768 wide, 12 layers)
  c.text.max_position_embeddings = 16;
  c.text.pad_token_id = 0;
  if (which == "owlv2") {
    c.objectness = true;
    c.base_name = "owlv2";
    c.vision.image_size = 960;
    c.vision.patch_size = 16;
  } else {
    c.vision.image_size = 768;
    c.vision.patch_size = 32;
  }
  return c;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"argus OWL-ViT / OWLv2 detection benchmark"};
  std::string model = "owlvit", dtype = "f32";
  int batch = 1, queries = 3, iters = 10, warmup = 2, threads = 0;
  app.add_option("--model", model, "owlvit (B/32, 768 px) | owlv2 (B/16, 960 px)")
      ->check(CLI::IsMember({"owlvit", "owlv2"}));
  app.add_option("--batch", batch);
  app.add_option("--queries", queries, "text query embeddings scored per patch");
  app.add_option("--iters", iters);
  app.add_option("--warmup", warmup);
  app.add_option("--threads", threads);
  app.add_option("--dtype", dtype)->check(CLI::IsMember({"f32", "bf16"}));
  CLI11_PARSE(app, argc, argv);
  engine::init_runtime(threads);
  at::manual_seed(0);

  OwlViTConfig cfg = owl_config(model);
  models::owlvit::OwlViTForObjectDetection det(cfg);
  det->eval();
  nn::InferenceOptions opts;
  opts.bf16 = dtype == "bf16";
  nn::prepare_for_inference(*det, opts);
  at::NoGradGuard ng;
  const int64_t s = cfg.vision.image_size;
  at::Tensor px = at::randn({batch, 3, s, s});
  at::Tensor q = at::randn({1, queries, cfg.text.enc.hidden});
  double ms = bench::median_ms(
      [&] {
        at::Tensor feats = det->image_features(px);
        auto cls = det->class_head(feats, q, at::Tensor());
        at::Tensor boxes = det->box_predictor(feats);
        if (cfg.objectness) det->objectness_predictor(feats);
      },
      warmup, iters);
  nlohmann::json out = {{"model", model}, {"batch", batch}, {"queries", queries}, {"dtype", dtype},
                        {"threads", at::get_num_threads()}, {"ms", ms}, {"items_per_s", 1000.0 * batch / ms}};
  std::printf("%s\n", out.dump().c_str());
  return 0;
}
