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

// The same when each image has its own count (LLaVA-NeXT: by its size): `counts[i]` is
// image i's, in prompt order. A run of k image tokens that starts at image i is images
// i..j-1 already expanded when their counts sum to k, else k images of one token each.
// A prompt that refers to more images than `counts` holds is argus::Error.
ExpandedPrompt expand_image_tokens_per_image(const std::vector<int64_t>& ids, int64_t image_token,
                                             const std::vector<int64_t>& counts);

}  // namespace argus::tasks
