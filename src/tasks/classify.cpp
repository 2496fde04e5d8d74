#include "tasks/classify.h"

#include "util/error.h"

namespace argus::tasks {

void check_classify_request(const std::vector<std::string>& labels, const std::string& text_template) {
  if (labels.empty()) fail("classify needs at least one label");
  if (labels.size() > kMaxLabels) fail("classify: {} labels is over the limit of {} per request", labels.size(), kMaxLabels);
  for (const auto& l : labels)
    if (l.empty()) fail("labels must not be empty");
  const auto slot = text_template.find("{}");
  if (slot == std::string::npos || text_template.find("{}", slot + 2) != std::string::npos)
    fail("classify: the template \"{}\" must contain \"{{}}\" exactly once, where the label goes", text_template);
}

ClassifyResult classify(engine::DualEncoder& model, const image::Image& image, const std::vector<std::string>& labels,
                        const std::string& text_template) {
  check_classify_request(labels, text_template);
  std::vector<std::string> prompts;
  const auto slot = text_template.find("{}");
  for (const auto& l : labels) prompts.push_back(text_template.substr(0, slot) + l + text_template.substr(slot + 2));
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
