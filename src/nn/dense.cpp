#include "nn/dense.h"

#include <cmath>

#include <ATen/ops/mkldnn_linear.h>
#include <torch/nn/init.h>

namespace argus::nn {

DenseImpl::DenseImpl(int64_t in, int64_t out, bool with_bias) {
  weight = register_parameter("weight", at::empty({out, in}));
  // nn.Linear's default initialisation, so freshly built models (training,
  // benchmarks) start from the same distribution as the reference.
  torch::nn::init::kaiming_uniform_(weight, std::sqrt(5.0));
  if (with_bias) {
    double bound = in > 0 ? 1.0 / std::sqrt(static_cast<double>(in)) : 0.0;
    bias = register_parameter("bias", at::empty({out}).uniform_(-bound, bound));
  }
}

void DenseImpl::pack(Kernel k) {
  kernel_ = k;
  packed_w_ = packed_b_ = at::Tensor();
  at::NoGradGuard ng;
  if (k == Kernel::OneDnnF32 && weight.scalar_type() == at::kFloat) {
    packed_w_ = weight.detach().contiguous().to_mkldnn();
    if (bias.defined()) packed_b_ = bias.detach().contiguous().to_mkldnn();
  } else if (k == Kernel::Bf16) {
    packed_w_ = weight.detach().to(at::kBFloat16).contiguous();
    if (bias.defined()) packed_b_ = bias.detach().to(at::kBFloat16);
  } else {
    kernel_ = Kernel::Reference;
  }
  packed_version_ = weight._version();
}

at::Tensor DenseImpl::forward(const at::Tensor& x) {
  bool packed = kernel_ != Kernel::Reference && !at::GradMode::is_enabled() && x.device().is_cpu() &&
                weight._version() == packed_version_;
  if (!packed) return at::linear(x, weight, bias);
  if (kernel_ == Kernel::Bf16) return at::linear(x.to(at::kBFloat16), packed_w_, packed_b_).to(x.scalar_type());
  auto sizes = x.sizes().vec();
  at::Tensor y = at::mkldnn_linear(x.reshape({-1, sizes.back()}).contiguous().to_mkldnn(), packed_w_, packed_b_).to_dense();
  sizes.back() = weight.size(0);
  return y.view(sizes);
}

Dense dense(int64_t in, int64_t out, bool bias) { return Dense(in, out, bias); }

}  // namespace argus::nn
