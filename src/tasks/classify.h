// Zero-shot classification: one image against text labels.
#pragma once
#include <string>
#include <vector>

#include "engine/dual_encoder.h"

namespace argus::tasks {

struct ClassifyResult {
  std::vector<std::string> labels;
  std::vector<double> logits, probs;  // probs: softmax (CLIP) or sigmoid (SigLIP)
};

// `text_template` with "{}" is filled with each label ("a photo of a {}").
ClassifyResult classify(engine::DualEncoder& model, const image::Image& image, const std::vector<std::string>& labels,
                        const std::string& text_template = "{}");

}  // namespace argus::tasks
