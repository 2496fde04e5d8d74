// The optimisation loop every recipe shares: AdamW with decoupled weight decay (none on
// biases, norms and scalars), warm-up + cosine learning rate, gradient-norm clipping,
// data-parallel gradient reduction, a stop naming the step on a non-finite loss, progress
// with loss, throughput and ETA, and checkpoints that a killed run resumes from.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>
#include <torch/nn/module.h>

#include "train/distributed.h"

namespace argus::train {

struct TrainOptions {
  int64_t steps = 1000, warmup_steps = 50;
  double lr = 1e-3, final_lr_ratio = 0.1, weight_decay = 0.1, clip_norm = 1.0;
  double adam_beta1 = 0.9, adam_beta2 = 0.98, adam_eps = 1e-6;
  int64_t save_every = 100;    // steps between checkpoints (0: only at the end)
  std::string checkpoint_dir;  // empty: no checkpoints, no resume
  std::string what = "training";
  bool quiet = false;          // no progress line (tests)
};

// How ranks combine gradients: Mean when each rank's loss is the mean over its own
// samples; Sum when every rank computes the full-batch loss but back-propagates only
// through its own samples (CLIP's gathered-feature contrastive loss).
enum class GradReduction { Mean, Sum };

struct StepOutput {
  at::Tensor loss;      // scalar with autograd; backward() is called by the loop
  int64_t samples = 0;  // this rank's samples, for throughput
};

// The global step index -> this rank's loss for that step. It must depend only on the
// step (not on how many steps ran before) so a resumed run sees the same batches.
using StepFn = std::function<StepOutput(int64_t step)>;

struct TrainResult {
  std::vector<double> losses;  // one per step run in this invocation, averaged over ranks
  int64_t start_step = 0;      // > 0 when resumed
  // A checksum of every rank's final weights (one entry when not distributed): data
  // parallelism is only right if they are all equal.
  std::vector<double> rank_checksums;
};

class TrainLoop {
 public:
  // `arch` identifies the architecture (config JSON); a checkpoint written for another
  // architecture is refused on resume.
  TrainLoop(torch::nn::Module& model, nlohmann::json arch, TrainOptions opts, std::shared_ptr<Distributed> dist);
  ~TrainLoop();
  TrainResult run(const StepFn& step, GradReduction reduction);
  // Trainable parameters only (frozen ones, requires_grad false, are left out of AdamW).
  const std::vector<at::Tensor>& trainable() const { return params_; }

 private:
  struct State;
  void save_checkpoint(int64_t next_step, const std::vector<double>& losses);
  int64_t try_resume(std::vector<double>& losses);

  torch::nn::Module& model_;
  nlohmann::json arch_;
  TrainOptions opts_;
  std::shared_ptr<Distributed> dist_;
  std::vector<at::Tensor> params_;
  std::unique_ptr<State> state_;
};

}  // namespace argus::train
