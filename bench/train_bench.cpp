// argus side of the training benchmark: one optimisation step of the world CLIP recipe
// (the small CLIP of train/clip_trainer.h: forward through both towers, symmetric
// contrastive loss, backward, gradient clipping, AdamW) with random data, timed
// in-process; bench/run_bench.py runs the same step in PyTorch eager and records the ratio.
#include <cstdio>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <torch/nn/functional/loss.h>
#include <torch/nn/utils/clip_grad.h>
#include <torch/optim/adamw.h>

#include "bench_timing.h"
#include "engine/runtime.h"
#include "models/clip/clip_model.h"
#include "train/clip_trainer.h"

using namespace argus;

int main(int argc, char** argv) {
  CLI::App app{"argus training-step benchmark"};
  int batch = 96, len = 24, iters = 10, warmup = 2, threads = 0;
  app.add_option("--batch", batch);
  app.add_option("--len", len, "caption tokens");
  app.add_option("--iters", iters);
  app.add_option("--warmup", warmup);
  app.add_option("--threads", threads);
  CLI11_PARSE(app, argc, argv);
  engine::init_runtime(threads);
  at::manual_seed(0);

  models::clip::ClipConfig cfg = train::small_clip_config();
  cfg.text.vocab_size = 834;  // the world tokenizer's size, BOS 832, EOS 833
  cfg.text.bos_token_id = 832;
  cfg.text.eos_token_id = cfg.text.pad_token_id = 833;
  models::clip::ClipModel model(cfg);
  torch::optim::AdamW opt(model->parameters(),
                          torch::optim::AdamWOptions(1e-3).betas({0.9, 0.98}).eps(1e-6).weight_decay(0.1));
  at::Tensor px = at::randn({batch, 3, cfg.vision.image_size, cfg.vision.image_size});
  at::Tensor ids = at::randint(0, 832, {batch, len}, at::kLong);
  ids.select(1, 0).fill_(832);
  ids.select(1, len - 1).fill_(833);
  at::Tensor mask = at::ones({batch, len}, at::kLong), labels = at::arange(batch, at::kLong);
  namespace F = torch::nn::functional;
  double ms = bench::median_ms(
      [&] {
        opt.zero_grad();
        at::Tensor logits = model->logit_scale.exp() * at::matmul(model->image_embeds(px), model->text_embeds(ids, mask).t());
        at::Tensor loss = (F::cross_entropy(logits, labels) + F::cross_entropy(logits.t(), labels)) / 2;
        loss.backward();
        torch::nn::utils::clip_grad_norm_(model->parameters(), 1.0);
        opt.step();
      },
      warmup, iters);
  nlohmann::json out = {{"batch", batch}, {"len", len}, {"threads", at::get_num_threads()}, {"ms", ms},
                        {"samples_per_s", 1000.0 * batch / ms}};
  std::printf("%s\n", out.dump().c_str());
  return 0;
}
