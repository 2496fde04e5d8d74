// Image-token slots in a prompt: each image is written either as one image-token id
// (expanded here to the image's feature count) or already as that many ids.
#pragma once
#include <cstdint>
#include <vector>

namespace argus::tasks {

struct ExpandedPrompt {
  std::vector<int64_t> ids;  // one image-token id per feature slot
  int64_t images = 0;        // images the prompt refers to
};

// A run of k consecutive image tokens is k / features_per_image images when k is a
// multiple of it, else k single-token images when k < features_per_image; anything
// else is argus::Error (a run that is neither).
ExpandedPrompt expand_image_tokens(const std::vector<int64_t>& ids, int64_t image_token, int64_t features_per_image);

}  // namespace argus::tasks
