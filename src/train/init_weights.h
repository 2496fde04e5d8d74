// From-scratch initialisation for the transformer families argus trains (CLIP, Llama,
// LLaVA's projector): GPT-2/CLIP style small normal weights with the residual outputs
// scaled by depth, unit norm gains, zero biases, CLIP's 0.07 temperature.
#pragma once
#include <cstdint>

#include <torch/nn/module.h>

namespace argus::train {

void init_weights(torch::nn::Module& m, int64_t layers);

}  // namespace argus::train
