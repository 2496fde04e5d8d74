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

// Labels per request: each is a text-tower pass.
constexpr size_t kMaxLabels = 1024;

// The rules the CLI and the server share, checked before anything is loaded: 1 to
// kMaxLabels non-empty labels, and a template with exactly one "{}" where the label goes
// (a template without one would classify every label by the same text).
void check_classify_request(const std::vector<std::string>& labels, const std::string& text_template);

// `text_template`'s "{}" is filled with each label ("a photo of a {}").
ClassifyResult classify(engine::DualEncoder& model, const image::Image& image, const std::vector<std::string>& labels,
                        const std::string& text_template = "{}");

}  // namespace argus::tasks
