#include "nn/inference.h"

#include "nn/dense.h"

namespace argus::nn {

void prepare_for_inference(torch::nn::Module& module, const InferenceOptions& opts) {
  Kernel k = opts.bf16 ? Kernel::Bf16 : opts.onednn ? Kernel::OneDnnF32 : Kernel::Reference;
  module.eval();
  for (const auto& m : module.modules(true))
    if (auto* p = dynamic_cast<Packable*>(m.get())) p->pack(k);
}

}  // namespace argus::nn
