#include "tasks/agent/experts.h"

#include <cstdio>

#include "util/error.h"

namespace argus::tasks::agent {

namespace {

// Opens an expert once. The reason a checkpoint failed to load names host paths, so it
// goes to the operator's stderr; the caller (a model, an MCP client) is told only which
// expert is unavailable.
template <typename T, typename Open>
T& opened(std::unique_ptr<T>& slot, const std::string& path, const char* what, const char* flag, Open open) {
  if (slot) return *slot;
  if (path.empty()) fail("no {} model is configured (start argus with {})", what, flag);
  try {
    slot = open(path);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "argus: the %s model failed to load: %s\n", what, e.what());
    fail("the {} model could not be loaded", what);
  }
  return *slot;
}

}  // namespace

bool Experts::configured(Expert e) const {
  switch (e) {
    case Expert::None: return true;
    case Expert::Clip: return !paths_.clip.empty();
    case Expert::Detector: return !paths_.detector.empty();
    case Expert::Segmenter: return !paths_.segmenter.empty();
    case Expert::RefSeg: return !paths_.refseg.empty();
    case Expert::Vlm: return !paths_.vlm.empty();
    case Expert::Index: return !paths_.index.empty() && !paths_.clip.empty();
    case Expert::ImageRoot: return !paths_.image_root.empty();
  }
  return false;
}

engine::DualEncoder& Experts::clip() {
  return opened(clip_, paths_.clip, "CLIP", "--clip", [](const std::string& p) { return engine::DualEncoder::open(p); });
}

Detector& Experts::detector() {
  return opened(detector_, paths_.detector, "detector", "--detector", [](const std::string& p) { return Detector::open(p); });
}

segment::Segmenter& Experts::segmenter() {
  return opened(segmenter_, paths_.segmenter, "segmenter", "--segmenter",
                [](const std::string& p) { return segment::Segmenter::open(p); });
}

ReferringSegmenter& Experts::refseg() {
  return opened(refseg_, paths_.refseg, "referring segmentation (CLIPSeg)", "--refseg",
                [](const std::string& p) { return ReferringSegmenter::open(p); });
}

ChatModel& Experts::vlm() {
  return opened(vlm_, paths_.vlm, "VLM", "--vlm", [](const std::string& p) {
    auto m = ChatModel::open(p);
    if (!m->has_vision()) fail("{} is a {} checkpoint without a vision tower", p, m->model_type());
    m->require_tokenizer("the caption and ask tools");
    return m;
  });
}

const text::ChatTemplate& Experts::vlm_template() {
  vlm();
  return opened(vlm_template_, paths_.vlm, "VLM chat template", "--vlm-template", [this](const std::string& p) {
    return std::make_unique<text::ChatTemplate>(text::ChatTemplate::for_model(p, paths_.vlm_template));
  });
}

ImageIndex& Experts::index() {
  return opened(index_, paths_.index, "image index", "--index",
                [](const std::string& p) { return std::make_unique<ImageIndex>(p, ImageIndex::Mode::Search); });
}

}  // namespace argus::tasks::agent
