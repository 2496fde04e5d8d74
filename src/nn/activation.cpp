#include "nn/activation.h"

#include "util/error.h"

namespace argus::nn {

Activation activation(const std::string& name) {
  if (name == "quick_gelu") return [](const at::Tensor& x) { return x * at::sigmoid(1.702 * x); };
  if (name == "gelu") return [](const at::Tensor& x) { return at::gelu(x); };
  if (name == "gelu_new" || name == "gelu_pytorch_tanh" || name == "gelu_fast")
    return [](const at::Tensor& x) { return at::gelu(x, "tanh"); };
  if (name == "relu") return [](const at::Tensor& x) { return at::relu(x); };
  if (name == "silu" || name == "swish") return [](const at::Tensor& x) { return at::silu(x); };
  fail("unsupported activation \"{}\"", name);
}

}  // namespace argus::nn
