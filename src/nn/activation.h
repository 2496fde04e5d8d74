// Activations by their config.json `hidden_act` name.
#pragma once
#include <functional>
#include <string>

#include <ATen/ATen.h>

namespace argus::nn {

using Activation = std::function<at::Tensor(const at::Tensor&)>;
// quick_gelu, gelu, gelu_new / gelu_pytorch_tanh, relu, silu / swish; unknown -> argus::Error.
Activation activation(const std::string& name);

}  // namespace argus::nn
