// Grounding DINO's text attention structure (transformers'
// generate_masks_with_special_tokens_and_transfer_map): a prompt is phrases
// separated by delimiter tokens ("a cat. a remote control."); each token
// attends only within its own phrase (the phrase including its closing
// delimiter), and position ids restart at 0 for every phrase. A delimiter at
// the first or last position forms a phrase of its own.
#pragma once
#include <vector>

#include <ATen/ATen.h>

namespace argus::models::grounding_dino {

// [CLS], [SEP], "." and "?" in bert-base-uncased's vocabulary, as transformers hard-codes them.
inline const std::vector<int64_t> kBertDelimiterIds{101, 102, 1012, 1029};

struct PhraseMasks {
  at::Tensor attention;     // [B, L, L] bool, true = may attend
  at::Tensor position_ids;  // [B, L] int64
};

PhraseMasks phrase_masks(const at::Tensor& input_ids, const std::vector<int64_t>& delimiter_ids);

}  // namespace argus::models::grounding_dino
