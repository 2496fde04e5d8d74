#include "train/train_loop.h"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>

#include <torch/nn/utils/clip_grad.h>
#include <torch/optim/adamw.h>

#include "io/json_file.h"
#include "nn/load.h"
#include "nn/tensor_io.h"
#include "train/lr_schedule.h"
#include "util/error.h"
#include "util/progress.h"

namespace fs = std::filesystem;

namespace argus::train {
namespace {

// open_clip's rule: matrices decay; biases, norms, embeddings and scalars do not.
bool decays(const std::string& name, const at::Tensor& p) {
  return p.dim() >= 2 && name.find("embedding") == std::string::npos && name.find("norm") == std::string::npos;
}

std::string state_key(const at::Tensor& p) { return c10::guts::to_string(p.unsafeGetTensorImpl()); }

std::map<std::string, at::Tensor> model_tensors(torch::nn::Module& m) {
  std::map<std::string, at::Tensor> out;
  for (const auto& kv : m.named_parameters()) out[kv.key()] = kv.value().detach();
  for (const auto& kv : m.named_buffers()) out[kv.key()] = kv.value().detach();
  return out;
}

}  // namespace

struct TrainLoop::State {
  std::vector<std::string> names;  // of params_, for the optimizer state file
  std::unique_ptr<torch::optim::AdamW> adam;
};

TrainLoop::TrainLoop(torch::nn::Module& model, nlohmann::json arch, TrainOptions opts,
                     std::shared_ptr<Distributed> dist)
    : model_(model), arch_(std::move(arch)), opts_(std::move(opts)), dist_(std::move(dist)), state_(new State) {
  if (opts_.steps <= 0) fail("--steps must be positive (got {})", opts_.steps);
  std::vector<at::Tensor> decay, no_decay;
  for (const auto& kv : model_.named_parameters()) {
    if (!kv.value().requires_grad()) continue;
    params_.push_back(kv.value());
    state_->names.push_back(kv.key());
    (decays(kv.key(), kv.value()) ? decay : no_decay).push_back(kv.value());
  }
  if (params_.empty()) fail("{}: nothing to train (every parameter is frozen)", opts_.what);
  auto base = torch::optim::AdamWOptions(opts_.lr)
                  .betas({opts_.adam_beta1, opts_.adam_beta2})
                  .eps(opts_.adam_eps)
                  .weight_decay(opts_.weight_decay);
  std::vector<torch::optim::OptimizerParamGroup> groups;
  if (!decay.empty()) groups.emplace_back(decay, std::make_unique<torch::optim::AdamWOptions>(base));
  if (!no_decay.empty())
    groups.emplace_back(no_decay, std::make_unique<torch::optim::AdamWOptions>(
                                      torch::optim::AdamWOptions(base).weight_decay(0.0)));
  state_->adam = std::make_unique<torch::optim::AdamW>(std::move(groups), base);
}

TrainLoop::~TrainLoop() = default;

void TrainLoop::save_checkpoint(int64_t next_step, const std::vector<double>& losses) {
  if (opts_.checkpoint_dir.empty() || (dist_ && dist_->rank() != 0)) return;
  fs::path dir(opts_.checkpoint_dir), tmp = dir.string() + ".tmp", old = dir.string() + ".old";
  fs::remove_all(tmp);
  fs::create_directories(tmp);
  nn::save_safetensors((tmp / "model.safetensors").string(), model_tensors(model_));
  std::map<std::string, at::Tensor> opt;
  for (size_t i = 0; i < params_.size(); ++i) {
    auto it = state_->adam->state().find(state_key(params_[i]));
    if (it == state_->adam->state().end()) continue;
    auto& s = static_cast<torch::optim::AdamWParamState&>(*it->second);
    opt[state_->names[i] + ".exp_avg"] = s.exp_avg();
    opt[state_->names[i] + ".exp_avg_sq"] = s.exp_avg_sq();
    opt[state_->names[i] + ".step"] = at::full({1}, s.step(), at::kLong);
  }
  nn::save_safetensors((tmp / "optimizer.safetensors").string(), opt);
  nlohmann::json st = {{"step", next_step}, {"arch", arch_}, {"losses", losses}};
  std::ofstream((tmp / "trainer_state.json").string()) << st.dump(1);
  // Swap in the new checkpoint so that a kill at any moment leaves one complete copy.
  fs::remove_all(old);
  if (fs::exists(dir)) fs::rename(dir, old);
  fs::rename(tmp, dir);
  fs::remove_all(old);
}

int64_t TrainLoop::try_resume(std::vector<double>& losses) {
  if (opts_.checkpoint_dir.empty()) return 0;
  fs::path dir(opts_.checkpoint_dir);
  if (!fs::exists(dir / "trainer_state.json") && fs::exists(fs::path(dir.string() + ".old") / "trainer_state.json"))
    dir = dir.string() + ".old";  // killed between the two renames
  if (!fs::exists(dir / "trainer_state.json")) return 0;
  nlohmann::json st = io::read_json((dir / "trainer_state.json").string());
  if (!st.contains("arch") || st["arch"] != arch_)
    fail("{}: the checkpoint in {} is of another architecture; start in a new --out directory or delete it",
         opts_.what, dir.string());
  int64_t step = io::get_or<int64_t>(st, "step", -1);
  if (step < 0 || step > opts_.steps) fail("{}: checkpoint step {} is outside this run's 0..{}", dir.string(), step, opts_.steps);
  nn::load_weights(model_, nn::load_safetensors((dir / "model.safetensors").string()));
  auto opt = nn::load_safetensors((dir / "optimizer.safetensors").string());
  for (size_t i = 0; i < params_.size(); ++i) {
    const std::string& n = state_->names[i];
    if (!opt.count(n + ".exp_avg")) continue;  // no update yet when saved
    if (!opt.count(n + ".exp_avg_sq") || !opt.count(n + ".step") || !opt[n + ".exp_avg"].sizes().equals(params_[i].sizes()))
      fail("{}: optimizer state for {} is missing or misshapen", dir.string(), n);
    auto s = std::make_unique<torch::optim::AdamWParamState>();
    s->step(opt[n + ".step"].item<int64_t>());
    s->exp_avg(opt[n + ".exp_avg"].clone());
    s->exp_avg_sq(opt[n + ".exp_avg_sq"].clone());
    state_->adam->state()[state_key(params_[i])] = std::move(s);
  }
  if (st.contains("losses")) losses = st["losses"].get<std::vector<double>>();
  return step;
}

TrainResult TrainLoop::run(const StepFn& step_fn, GradReduction reduction) {
  TrainResult result;
  std::vector<double> all_losses;
  result.start_step = try_resume(all_losses);
  if (dist_) dist_->broadcast(params_);  // identical start on every rank
  LrSchedule sched{opts_.lr, opts_.warmup_steps, opts_.steps, opts_.final_lr_ratio};
  bool show = !opts_.quiet && (!dist_ || dist_->rank() == 0);
  std::unique_ptr<Progress> progress;
  if (show) progress = std::make_unique<Progress>(opts_.what, opts_.steps - result.start_step);
  auto t0 = std::chrono::steady_clock::now();
  int64_t samples = 0;
  model_.train();
  for (int64_t step = result.start_step; step < opts_.steps; ++step) {
    double lr = sched.at(step);
    for (auto& g : state_->adam->param_groups()) static_cast<torch::optim::AdamWOptions&>(g.options()).lr(lr);
    state_->adam->zero_grad();
    StepOutput out = step_fn(step);
    at::Tensor loss_value = out.loss.detach().reshape({1}).to(at::kFloat).clone();
    if (dist_) dist_->all_reduce({loss_value}, true);
    double loss = loss_value.item<double>();
    if (!std::isfinite(loss))
      fail("{}: the loss became {} at step {}; stopped (try a lower --lr). The last checkpoint is kept.", opts_.what,
           loss, step);
    out.loss.backward();
    if (dist_) {
      std::vector<at::Tensor> grads;
      for (auto& p : params_) {
        if (!p.grad().defined()) p.mutable_grad() = at::zeros_like(p);
        grads.push_back(p.grad());
      }
      dist_->all_reduce(grads, reduction == GradReduction::Mean);
    }
    if (opts_.clip_norm > 0) torch::nn::utils::clip_grad_norm_(params_, opts_.clip_norm);
    state_->adam->step();
    all_losses.push_back(loss);
    result.losses.push_back(loss);
    samples += out.samples * (dist_ ? dist_->world_size() : 1);
    if (progress) {
      double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      progress->step(1, fmt::format("loss {:.4f} lr {:.1e} {:.0f} samples/s", loss, lr, samples / std::max(secs, 1e-9)));
    }
    bool last = step + 1 == opts_.steps;
    if (last || (opts_.save_every > 0 && (step + 1) % opts_.save_every == 0)) save_checkpoint(step + 1, all_losses);
  }
  if (progress) progress->finish();
  model_.eval();
  at::Tensor sum = at::zeros({1}, at::kDouble);
  for (size_t i = 0; i < params_.size(); ++i)
    sum += params_[i].detach().to(at::kDouble).flatten().mul(at::arange(params_[i].numel(), at::kDouble).add(static_cast<double>(i + 1)).log()).sum();
  at::Tensor all = dist_ ? dist_->all_gather(sum.to(at::kFloat)).to(at::kDouble) : sum;
  for (int64_t r = 0; r < all.size(0); ++r) result.rank_checksums.push_back(all[r].item<double>());
  return result;
}

}  // namespace argus::train
