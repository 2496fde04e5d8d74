#include "tasks/detect/grounding_dino_detector.h"

#include <fmt/format.h>

#include "engine/model_kind.h"
#include "image/preprocess.h"
#include "io/checkpoint.h"
#include "models/grounding_dino/grounding_dino_postprocess.h"
#include "util/error.h"
#include "tasks/detect/processor_or_default.h"
#include "tasks/ground/phrases.h"

namespace argus::tasks {

namespace gd = models::grounding_dino;

GroundingDinoDetector::GroundingDinoDetector(gd::GroundingDinoForObjectDetection model, image::ImageProcessorConfig pp,
                                             std::unique_ptr<text::Tokenizer> tokenizer)
    : model_(std::move(model)), preprocessor_(std::move(pp)), tokenizer_(std::move(tokenizer)) {
  // The phrase delimiters are looked up in this tokenizer's vocabulary rather than
  // assumed to be bert-base-uncased's ids.
  std::vector<int64_t> delimiters;
  for (const char* t : {"[CLS]", "[SEP]", ".", "?"})
    if (int64_t id = tokenizer_->token_to_id(t); id >= 0) delimiters.push_back(id);
  model_->delimiter_ids = delimiters;
  dot_id_ = tokenizer_->token_to_id(".");
  if (dot_id_ < 0 || tokenizer_->bos_id() < 0 || tokenizer_->eos_id() < 0)
    fail("the Grounding DINO tokenizer needs \"[CLS]\", \"[SEP]\" and \".\" tokens to build a prompt");
}

std::unique_ptr<GroundingDinoDetector> GroundingDinoDetector::open(const std::string& dir) {
  auto ck = io::Checkpoint::open(dir);
  auto kind = engine::model_kind(ck);
  if (kind.family != engine::Family::GroundingDino)
    fail("{}: model_type \"{}\" is not a Grounding DINO checkpoint", dir, kind.model_type);
  auto model = gd::load_grounding_dino_model(ck);
  return std::unique_ptr<GroundingDinoDetector>(
      new GroundingDinoDetector(std::move(model), processor_or_default(dir, "GroundingDinoImageProcessor"),
                                text::load_tokenizer(dir)));
}

std::vector<GroundingDinoDetector::Prompt> GroundingDinoDetector::prompts(const std::vector<std::string>& queries,
                                                                          std::vector<std::string>* warnings) const {
  const auto max_len = static_cast<size_t>(model_->cfg.max_text_len);
  if (max_len < 4) fail("max_text_len {} leaves no room for a phrase", max_len);
  std::vector<Prompt> out;
  Prompt cur;
  auto flush = [&] {
    if (cur.n_queries == 0) return;
    cur.ids.push_back(tokenizer_->eos_id());
    out.push_back(std::move(cur));
    cur = Prompt{};
  };
  for (size_t i = 0; i < queries.size(); ++i) {
    std::string q = trim_space(queries[i]);
    while (!q.empty() && q.back() == '.') q = trim_space(q.substr(0, q.size() - 1));
    if (q.empty()) fail("query {} is empty", i);
    if (q.find_first_of(".?") != std::string::npos)
      fail("query \"{}\" contains '.' or '?', which Grounding DINO reads as a phrase separator: give each phrase "
           "as its own query",
           queries[i]);
    std::vector<int64_t> ids = tokenizer_->encode(q, /*add_special=*/false);
    if (ids.empty()) fail("query \"{}\" has no tokens", queries[i]);
    if (ids.size() + 3 > max_len) {  // [CLS] phrase . [SEP]
      ids.resize(max_len - 3);
      if (warnings)
        warnings->push_back(fmt::format("query \"{}\" is longer than the model's {} text tokens and was truncated",
                                        queries[i], max_len));
    }
    if (cur.n_queries > 0 && cur.ids.size() + ids.size() + 2 > max_len) flush();
    if (cur.n_queries == 0) {
      cur.ids.push_back(tokenizer_->bos_id());
      cur.first_query = static_cast<int64_t>(i);
    }
    cur.ids.insert(cur.ids.end(), ids.begin(), ids.end());
    cur.ids.push_back(dot_id_);
    ++cur.n_queries;
  }
  flush();
  return out;
}

at::Tensor GroundingDinoDetector::pixel_values(const image::Image& im) const {
  image::PixelValues pv = image::preprocess(im, preprocessor_);
  return at::from_blob(pv.data.data(), {1, pv.channels, pv.height, pv.width}, at::kFloat).clone();
}

DetectResult GroundingDinoDetector::detect(const image::Image& target, const std::vector<std::string>& text_queries,
                                           const std::vector<Exemplar>& exemplars, const DetectOptions& opts) {
  check_detect_request(text_queries.size(), exemplars.size(), opts);
  if (!exemplars.empty())
    fail("Grounding DINO detects by text only: image exemplars need an OWL-ViT or OWLv2 checkpoint");
  DetectResult res;
  res.width = target.width;
  res.height = target.height;
  std::vector<Prompt> batch = prompts(text_queries, &res.warnings);

  at::NoGradGuard ng;
  at::Tensor pixels = pixel_values(target);
  gd::GroundedPostprocessOptions po;
  po.box_threshold = static_cast<float>(opts.threshold.value_or(kDefaultThreshold));
  po.text_threshold = static_cast<float>(opts.text_threshold);
  po.target_height = target.height;
  po.target_width = target.width;
  for (const auto& p : batch) {
    at::Tensor ids = at::tensor(p.ids, at::kLong).unsqueeze(0);
    auto out = model_->forward(pixels, ids);
    auto found = gd::post_process_grounded(out.logits[0], out.pred_boxes[0], p.ids, model_->delimiter_ids,
                                           *tokenizer_, po);
    for (const auto& g : found) {
      // A box whose best token is a delimiter, or whose phrase is below text_threshold,
      // names no query.
      if (g.phrase < 0 || g.phrase >= p.n_queries || !(g.phrase_score > po.text_threshold)) continue;
      Detection d;
      d.query = p.first_query + g.phrase;
      d.label = text_queries[static_cast<size_t>(d.query)];
      d.score = g.score;
      for (int k = 0; k < 4; ++k) d.box[static_cast<size_t>(k)] = g.box[k];
      res.detections.push_back(std::move(d));
    }
  }
  filter_detections(res.detections, opts);
  return res;
}

}  // namespace argus::tasks
