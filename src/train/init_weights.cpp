#include "train/init_weights.h"

#include <algorithm>
#include <cmath>

namespace argus::train {

void init_weights(torch::nn::Module& m, int64_t layers) {
  at::NoGradGuard ng;
  double residual_std = 0.02 / std::sqrt(2.0 * std::max<int64_t>(layers, 1));
  for (auto& kv : m.named_parameters()) {
    const std::string& n = kv.key();
    at::Tensor p = kv.value();
    auto ends = [&](const std::string& s) { return n.size() >= s.size() && n.compare(n.size() - s.size(), s.size(), s) == 0; };
    auto has = [&](const char* s) { return n.find(s) != std::string::npos; };
    if (ends("logit_scale"))
      p.fill_(std::log(1 / 0.07));
    else if (ends("class_embedding"))
      p.normal_(0, std::pow(double(p.size(0)), -0.5));
    else if (has("position_embedding"))
      p.normal_(0, 0.01);
    else if (ends(".bias"))
      p.zero_();
    else if (p.dim() == 1)
      p.fill_(1);  // layer / RMS norm gains
    else if (has("out_proj") || has("fc2") || has("o_proj") || has("down_proj"))
      p.normal_(0, residual_std);  // the layers that write into the residual stream
    else
      p.normal_(0, 0.02);
  }
}

}  // namespace argus::train
