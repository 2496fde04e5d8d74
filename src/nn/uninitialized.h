// Building a model only to load a checkpoint into it: random initialisation would
// touch (and so make resident) every float32 weight before the checkpoint overwrites
// it, costing time and a full float32 copy of the model in memory. Under a
// SkipInitGuard, argus's own layers (nn::Dense) leave their weights uninitialised;
// retype_parameters then gives every parameter fresh, untouched storage of the
// dtype the weights will be kept in, so loading a float16 checkpoint into bfloat16
// parameters never holds a float32 copy.
#pragma once
#include <ATen/ATen.h>
#include <torch/nn/module.h>

namespace argus::nn {

class SkipInitGuard {
 public:
  SkipInitGuard();
  ~SkipInitGuard();
  SkipInitGuard(const SkipInitGuard&) = delete;
  SkipInitGuard& operator=(const SkipInitGuard&) = delete;

 private:
  bool previous_;
};

// True while a SkipInitGuard lives on this thread.
bool skip_init();

// Every floating-point parameter of the tree gets new uninitialised storage of
// `dtype` (same shape); buffers are left alone (they hold computed values).
void retype_parameters(torch::nn::Module& module, at::ScalarType dtype);

}  // namespace argus::nn
