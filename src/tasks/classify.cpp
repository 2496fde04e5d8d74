#include "tasks/classify.h"

#include "util/error.h"

namespace argus::tasks {

ClassifyResult classify(engine::DualEncoder& model, const image::Image& image, const std::vector<std::string>& labels,
                        const std::string& text_template) {
  if (labels.empty()) fail("classify needs at least one label");
  std::vector<std::string> prompts;
  auto slot = text_template.find("{}");
  for (const auto& l : labels) {
    if (l.empty()) fail("labels must not be empty");
    prompts.push_back(slot == std::string::npos ? text_template + " " + l
                                                : text_template.substr(0, slot) + l + text_template.substr(slot + 2));
  }
  at::Tensor logits = model.logits(model.embed_images({image}), model.embed_texts(prompts))[0];
  at::Tensor probs = model.sigmoid_scores() ? at::sigmoid(logits) : at::softmax(logits, 0);
  ClassifyResult r;
  r.labels = labels;
  for (int64_t i = 0; i < logits.size(0); ++i) {
    r.logits.push_back(logits[i].item<double>());
    r.probs.push_back(probs[i].item<double>());
  }
  return r;
}

}  // namespace argus::tasks
