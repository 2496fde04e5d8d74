// y = x · Wᵀ + b through oneDNN's matmul with the weights reordered ONCE into the
// blocked layout its brgemm kernels want. LibTorch's own at::mkldnn_linear keeps
// weights in plain layout and reorders them on every call, which costs as much as
// the GEMM itself at small batch; OpenBLAS (at::linear) is slower than brgemm there.
// The blocked layout does not depend on the batch size, so one packed copy serves
// every M; primitives are built per M and cached.
#pragma once
#include <memory>

#include <ATen/core/Tensor.h>

namespace argus::nn {

class PackedMatmul {
 public:
  // weight [N, K] float32 (nn.Linear layout), bias [N] or undefined.
  PackedMatmul(const at::Tensor& weight, const at::Tensor& bias);
  ~PackedMatmul();
  // x [M, K] float32 (made contiguous here) -> [M, N].
  at::Tensor forward(const at::Tensor& x) const;
  // Whether this build has the oneDNN API (libdnnl-dev) to construct one.
  static bool available();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace argus::nn
