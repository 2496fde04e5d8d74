// Grounded detections from GroundingDinoForObjectDetection outputs, as
// transformers' GroundingDinoProcessor.post_process_grounded_object_detection
// makes them: probabilities = sigmoid(logits); a query is kept when its best
// token probability exceeds box_threshold; its label is the decoded text of the
// prompt tokens whose probability exceeds text_threshold ([CLS] and the last
// column excluded). In addition each detection names the prompt phrase
// ('.'-separated) it matches best, so "a cat. a remote control." gives labels
// per phrase even when the tokens above text_threshold straddle phrases.
#pragma once
#include <string>
#include <vector>

#include <ATen/ATen.h>

#include "text/tokenizer.h"

namespace argus::models::grounding_dino {

// A phrase of the prompt: token positions [begin, end) between delimiters.
struct PhraseSpan {
  int64_t begin = 0, end = 0;
  std::string text;  // decoded tokens of the span
};

// Phrases of one prompt's ids (transformers' build_label_maps grouping: runs of
// non-delimiter, non-padding tokens).
std::vector<PhraseSpan> phrase_spans(const std::vector<int64_t>& input_ids, const std::vector<int64_t>& delimiter_ids,
                                     const text::Tokenizer& tokenizer);

struct GroundedDetection {
  float score = 0;          // max token probability
  float box[4] = {0, 0, 0, 0};  // x0, y0, x1, y1 (pixels when a target size is given, else relative)
  std::string label;        // reference label: decoded tokens above text_threshold
  int64_t phrase = -1;      // index into the phrase spans with the highest token probability, -1 if none
  std::string phrase_text;  // that phrase's text ("" when phrase = -1)
  float phrase_score = 0;   // that phrase's best token probability
};

struct GroundedPostprocessOptions {
  float box_threshold = 0.25f;
  float text_threshold = 0.25f;
  int64_t target_height = 0, target_width = 0;  // 0: keep boxes relative
};

// logits [Q, T] and pred_boxes [Q, 4] (cx, cy, w, h) of one image; input_ids its prompt's ids.
std::vector<GroundedDetection> post_process_grounded(const at::Tensor& logits, const at::Tensor& pred_boxes,
                                                     const std::vector<int64_t>& input_ids,
                                                     const std::vector<int64_t>& delimiter_ids,
                                                     const text::Tokenizer& tokenizer,
                                                     const GroundedPostprocessOptions& opts = {});

}  // namespace argus::models::grounding_dino
