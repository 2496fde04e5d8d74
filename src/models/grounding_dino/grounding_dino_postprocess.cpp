#include "models/grounding_dino/grounding_dino_postprocess.h"

#include <algorithm>

#include "util/error.h"

namespace argus::models::grounding_dino {

std::vector<PhraseSpan> phrase_spans(const std::vector<int64_t>& ids, const std::vector<int64_t>& delimiter_ids,
                                     const text::Tokenizer& tokenizer) {
  auto is_delimiter = [&](int64_t id) {
    // Padding (id 0) also ends a phrase, as in the reference.
    return id == 0 || std::find(delimiter_ids.begin(), delimiter_ids.end(), id) != delimiter_ids.end();
  };
  std::vector<PhraseSpan> spans;
  for (int64_t i = 0, n = static_cast<int64_t>(ids.size()); i < n;) {
    if (is_delimiter(ids[i])) {
      ++i;
      continue;
    }
    PhraseSpan s;
    s.begin = i;
    while (i < n && !is_delimiter(ids[i])) ++i;
    s.end = i;
    s.text = tokenizer.decode(std::vector<int64_t>(ids.begin() + s.begin, ids.begin() + s.end), false);
    spans.push_back(std::move(s));
  }
  return spans;
}

std::vector<GroundedDetection> post_process_grounded(const at::Tensor& logits, const at::Tensor& pred_boxes,
                                                     const std::vector<int64_t>& input_ids,
                                                     const std::vector<int64_t>& delimiter_ids,
                                                     const text::Tokenizer& tokenizer,
                                                     const GroundedPostprocessOptions& opts) {
  if (logits.dim() != 2 || pred_boxes.dim() != 2 || pred_boxes.size(1) != 4 || logits.size(0) != pred_boxes.size(0))
    fail("grounding-dino post-processing: expected logits [Q, T] and pred_boxes [Q, 4] for the same Q");
  int64_t q = logits.size(0), t = logits.size(1), n = static_cast<int64_t>(input_ids.size());
  if (n > t) fail("grounding-dino post-processing: {} prompt tokens but only {} logit columns", n, t);
  at::Tensor probs = logits.to(at::kFloat).sigmoid().contiguous();
  at::Tensor boxes = pred_boxes.to(at::kFloat).contiguous();
  auto p = probs.accessor<float, 2>();
  auto b = boxes.accessor<float, 2>();
  std::vector<PhraseSpan> spans = phrase_spans(input_ids, delimiter_ids, tokenizer);
  float sx = opts.target_width > 0 ? static_cast<float>(opts.target_width) : 1.0f;
  float sy = opts.target_height > 0 ? static_cast<float>(opts.target_height) : 1.0f;

  std::vector<GroundedDetection> out;
  for (int64_t i = 0; i < q; ++i) {
    float best = 0;
    for (int64_t j = 0; j < t; ++j) best = std::max(best, p[i][j]);
    if (!(best > opts.box_threshold)) continue;
    GroundedDetection d;
    d.score = best;
    float cx = b[i][0], cy = b[i][1], w = b[i][2], h = b[i][3];
    d.box[0] = (cx - 0.5f * w) * sx;
    d.box[1] = (cy - 0.5f * h) * sy;
    d.box[2] = (cx + 0.5f * w) * sx;
    d.box[3] = (cy + 0.5f * h) * sy;
    // Reference label: tokens above text_threshold, never column 0 ([CLS]) nor the last column.
    std::vector<int64_t> label_ids;
    for (int64_t j = 1; j < std::min(n, t - 1); ++j)
      if (p[i][j] > opts.text_threshold) label_ids.push_back(input_ids[j]);
    d.label = tokenizer.decode(label_ids, false);
    // Phrase: the span holding the most probable token.
    float phrase_best = -1;
    for (size_t s = 0; s < spans.size(); ++s)
      for (int64_t j = spans[s].begin; j < spans[s].end; ++j)
        if (p[i][j] > phrase_best) {
          phrase_best = p[i][j];
          d.phrase = static_cast<int64_t>(s);
        }
    if (d.phrase >= 0) {
      d.phrase_text = spans[d.phrase].text;
      d.phrase_score = phrase_best;
    }
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace argus::models::grounding_dino
