// A linear layer (parameters `weight` [out, in] and `bias`, as nn.Linear names
// them) whose inference path can run on pre-packed oneDNN weights
// (nn/onednn_matmul.h): on these CPUs oneDNN's brgemm beats the OpenBLAS path
// LibTorch's at::linear takes, and bf16 (AVX512-BF16) is faster again. Training
// and autograd use plain at::linear. A LoRA adapter (nn/lora.h) may ride on top:
// submodules lora_A [r, in] and lora_B [out, r], PEFT's names, adding
// scaling * B(A(x)) to the output until merged into the weight.
#pragma once
#include <ATen/ATen.h>
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include <memory>

namespace argus::nn {

class PackedMatmul;

enum class Kernel { Reference, OneDnnF32, Bf16 };

// A module with weights that can be re-laid-out for a faster inference kernel.
struct Packable {
  virtual ~Packable() = default;
  virtual void pack(Kernel k) = 0;
};

struct DenseImpl : torch::nn::Module, Packable {
  DenseImpl(int64_t in, int64_t out, bool bias = true);
  at::Tensor forward(const at::Tensor& x);
  // Packs the current weights for `k`; later weight updates fall back to the
  // reference path until packed again.
  void pack(Kernel k) override;
  // True when forward() will use the packed weights for an input like this.
  bool packed_for(const at::Tensor& x) const;

  // Adds a rank-r adapter initialised as PEFT does (A Kaiming-uniform, B zero: the
  // layer's output is unchanged until B trains).
  void add_lora(int64_t rank, double scaling);
  bool has_lora() const { return lora_A != nullptr; }
  // weight += scaling * B A, in the weight's dtype; the adapter is removed.
  void merge_lora();

  at::Tensor weight, bias;
  std::shared_ptr<DenseImpl> lora_A, lora_B;  // null without an adapter
  double lora_scaling = 0;

 private:
  at::Tensor base_forward(const at::Tensor& x);
  Kernel kernel_ = Kernel::Reference;
  std::shared_ptr<const PackedMatmul> packed_f32_;
  at::Tensor packed_w_, packed_b_;  // bf16 copies
  int64_t packed_version_ = -1;
};
TORCH_MODULE(Dense);

Dense dense(int64_t in, int64_t out, bool bias = true);

// One Dense computing several Dense layers that read the same input (q, k, v):
// a single wider GEMM is faster than three narrow ones at small batch. Built from
// the parts' current weights; stale (and bypassed) once any part changes.
class FusedDense {
 public:
  void pack(const std::vector<Dense>& parts, Kernel k);
  // Outputs in the parts' order, or an empty vector when the fused path does not apply.
  std::vector<at::Tensor> forward(const at::Tensor& x);

 private:
  std::vector<Dense> parts_;
  std::vector<int64_t> versions_;
  Dense fused_{nullptr};
};

}  // namespace argus::nn
