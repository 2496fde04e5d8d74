// The bound on an embedding request's inputs, the same for `argus embed` and the
// server's /v1/embeddings: every input is kept until the batch is embedded, images as
// decoded pixels, so their count is bounded tighter than the texts'.
#pragma once
#include <cstddef>

namespace argus::tasks {

constexpr size_t kMaxEmbedInputs = 2048;  // OpenAI's limit on `input`
constexpr size_t kMaxEmbedImages = 16;

// Checked on the counts, before any image is decoded.
void check_embed_counts(size_t n_texts, size_t n_images);

}  // namespace argus::tasks
