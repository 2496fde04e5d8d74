#include "nn/dense.h"

#include <cmath>

#include <torch/nn/init.h>

#include "nn/onednn_matmul.h"
#include "nn/uninitialized.h"
#include "util/error.h"

namespace argus::nn {

DenseImpl::DenseImpl(int64_t in, int64_t out, bool with_bias) {
  weight = register_parameter("weight", at::empty({out, in}));
  if (with_bias) bias = register_parameter("bias", at::empty({out}));
  if (skip_init()) return;  // a checkpoint fills them
  // nn.Linear's default initialisation, so freshly built models (training,
  // benchmarks) start from the same distribution as the reference.
  torch::nn::init::kaiming_uniform_(weight, std::sqrt(5.0));
  if (with_bias) {
    double bound = in > 0 ? 1.0 / std::sqrt(static_cast<double>(in)) : 0.0;
    at::NoGradGuard ng;
    bias.uniform_(-bound, bound);
  }
}

void DenseImpl::pack(Kernel k) {
  kernel_ = k;
  packed_f32_.reset();
  packed_w_ = packed_b_ = at::Tensor();
  at::NoGradGuard ng;
  if (k == Kernel::OneDnnF32 && weight.scalar_type() == at::kFloat && weight.device().is_cpu() &&
      PackedMatmul::available()) {
    packed_f32_ = std::make_shared<const PackedMatmul>(weight, bias.defined() ? bias.to(at::kFloat) : bias);
  } else if (k == Kernel::Bf16) {
    packed_w_ = weight.detach().to(at::kBFloat16).contiguous();
    if (bias.defined()) packed_b_ = bias.detach().to(at::kBFloat16);
  } else {
    kernel_ = Kernel::Reference;
  }
  packed_version_ = weight._version();
}

bool DenseImpl::packed_for(const at::Tensor& x) const {
  return kernel_ != Kernel::Reference && !at::GradMode::is_enabled() && x.device().is_cpu() &&
         weight._version() == packed_version_;
}

at::Tensor DenseImpl::forward(const at::Tensor& x) {
  at::Tensor y = base_forward(x);
  if (lora_A) y = y + lora_B->forward(lora_A->forward(x.to(lora_A->weight.scalar_type()))).to(y.scalar_type()) * lora_scaling;
  return y;
}

void DenseImpl::add_lora(int64_t rank, double scaling) {
  if (lora_A) fail("this layer already has a LoRA adapter");
  if (rank <= 0) fail("the LoRA rank must be positive, not {}", rank);
  at::NoGradGuard ng;
  // float32 whatever the base weight's dtype: adapters are small, and bf16 updates lose the
  // low-order bits a rank-r correction lives in.
  lora_A = register_module("lora_A", std::make_shared<DenseImpl>(weight.size(1), rank, false));
  lora_B = register_module("lora_B", std::make_shared<DenseImpl>(rank, weight.size(0), false));
  // Explicitly, as PEFT does: a model built under SkipInitGuard must not leave A unset.
  torch::nn::init::kaiming_uniform_(lora_A->weight, std::sqrt(5.0));
  lora_B->weight.zero_();
  lora_scaling = scaling;
}

void DenseImpl::merge_lora() {
  if (!lora_A) return;
  {
    at::NoGradGuard ng;
    at::Tensor delta = at::matmul(lora_B->weight.to(at::kFloat), lora_A->weight.to(at::kFloat)) * lora_scaling;
    weight.copy_((weight.to(at::kFloat) + delta).to(weight.scalar_type()));
  }
  unregister_module("lora_A");
  unregister_module("lora_B");
  lora_A.reset();
  lora_B.reset();
  lora_scaling = 0;
  if (kernel_ != Kernel::Reference) pack(kernel_);  // the packed copy predates the merge
}

at::Tensor DenseImpl::base_forward(const at::Tensor& x) {
  if (!packed_for(x)) return at::linear(x, weight, bias);
  if (kernel_ == Kernel::Bf16) return at::linear(x.to(at::kBFloat16), packed_w_, packed_b_).to(x.scalar_type());
  if (x.scalar_type() != at::kFloat) return at::linear(x, weight, bias);
  auto sizes = x.sizes().vec();
  at::Tensor y = packed_f32_->forward(x.reshape({-1, sizes.back()}));
  sizes.back() = weight.size(0);
  return y.view(sizes);
}

Dense dense(int64_t in, int64_t out, bool bias) { return Dense(in, out, bias); }

}  // namespace argus::nn

namespace argus::nn {

void FusedDense::pack(const std::vector<Dense>& parts, Kernel k) {
  parts_ = parts;
  versions_.clear();
  fused_ = Dense(nullptr);
  if (k == Kernel::Reference || parts.empty()) return;
  std::vector<at::Tensor> w, b;
  for (const auto& p : parts) {
    if (!p->bias.defined()) return;  // all-or-nothing keeps the fused bias simple
    w.push_back(p->weight.detach());
    b.push_back(p->bias.detach());
    versions_.push_back(p->weight._version());
  }
  at::NoGradGuard ng;
  fused_ = Dense(w[0].size(1), at::cat(w).size(0), true);
  fused_->weight.copy_(at::cat(w));
  fused_->bias.copy_(at::cat(b));
  fused_->pack(k);
}

std::vector<at::Tensor> FusedDense::forward(const at::Tensor& x) {
  if (fused_.is_empty() || !fused_->packed_for(x)) return {};
  for (size_t i = 0; i < parts_.size(); ++i)
    if (parts_[i]->weight._version() != versions_[i]) return {};
  std::vector<int64_t> widths;
  for (const auto& p : parts_) widths.push_back(p->weight.size(0));
  return fused_->forward(x).split_with_sizes(widths, -1);
}

}  // namespace argus::nn
