// Switches a loaded model to its fastest inference kernels (see nn/dense.h).
#pragma once
#include <torch/nn/module.h>

namespace argus::nn {

struct InferenceOptions {
  bool onednn = true;  // fp32 through oneDNN: same math, different GEMM
  bool bf16 = false;   // bf16 weights and activations in the linear layers
};

void prepare_for_inference(torch::nn::Module& module, const InferenceOptions& opts = {});

}  // namespace argus::nn
