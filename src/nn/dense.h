// A linear layer (parameters `weight` [out, in] and `bias`, as nn.Linear names
// them) whose inference path can run on packed oneDNN weights: on these CPUs
// oneDNN's fp32 GEMM beats the OpenBLAS path LibTorch's at::linear takes, and
// bf16 (AVX512-BF16) is faster again. Training and autograd use plain at::linear.
#pragma once
#include <ATen/ATen.h>
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

namespace argus::nn {

enum class Kernel { Reference, OneDnnF32, Bf16 };

struct DenseImpl : torch::nn::Module {
  DenseImpl(int64_t in, int64_t out, bool bias = true);
  at::Tensor forward(const at::Tensor& x);
  // Packs the current weights for `k`; later weight updates fall back to the
  // reference path until packed again.
  void pack(Kernel k);

  at::Tensor weight, bias;

 private:
  Kernel kernel_ = Kernel::Reference;
  at::Tensor packed_w_, packed_b_;
  int64_t packed_version_ = -1;
};
TORCH_MODULE(Dense);

Dense dense(int64_t in, int64_t out, bool bias = true);

}  // namespace argus::nn
