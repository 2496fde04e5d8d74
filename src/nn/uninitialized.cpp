#include "nn/uninitialized.h"

namespace argus::nn {

namespace {
thread_local bool t_skip_init = false;
}  // namespace

SkipInitGuard::SkipInitGuard() : previous_(t_skip_init) { t_skip_init = true; }
SkipInitGuard::~SkipInitGuard() { t_skip_init = previous_; }

bool skip_init() { return t_skip_init; }

void retype_parameters(torch::nn::Module& module, at::ScalarType dtype) {
  at::NoGradGuard ng;
  for (auto& p : module.named_parameters(true)) {
    at::Tensor t = p.value();
    if (at::isFloatingType(t.scalar_type())) t.set_data(at::empty(t.sizes(), t.options().dtype(dtype)));
  }
}

}  // namespace argus::nn
