// GroundingDinoMLPPredictionHead: `layers.N` linear layers with ReLU between
// them (box heads and the decoder's reference-point head).
#pragma once
#include <ATen/ATen.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>

namespace argus::models::grounding_dino {

struct MLPPredictionHeadImpl : torch::nn::Module {
  MLPPredictionHeadImpl(int64_t in, int64_t hidden, int64_t out, int64_t num_layers);
  at::Tensor forward(at::Tensor x);
  torch::nn::ModuleList layers{nullptr};
};
TORCH_MODULE(MLPPredictionHead);

}  // namespace argus::models::grounding_dino
