#include "models/grounding_dino/mlp_head.h"

#include "nn/dense.h"

namespace argus::models::grounding_dino {

MLPPredictionHeadImpl::MLPPredictionHeadImpl(int64_t in, int64_t hidden, int64_t out, int64_t num_layers) {
  layers = register_module("layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < num_layers; ++i)
    layers->push_back(nn::dense(i == 0 ? in : hidden, i + 1 == num_layers ? out : hidden));
}

at::Tensor MLPPredictionHeadImpl::forward(at::Tensor x) {
  for (size_t i = 0; i < layers->size(); ++i) {
    x = layers[i]->as<nn::DenseImpl>()->forward(x);
    if (i + 1 < layers->size()) x = at::relu(x);
  }
  return x;
}

}  // namespace argus::models::grounding_dino
