#include "tasks/embed_limits.h"

#include "util/error.h"

namespace argus::tasks {

void check_embed_counts(size_t n_texts, size_t n_images) {
  if (n_texts + n_images > kMaxEmbedInputs)
    fail("embed: {} inputs is over the limit of {} per request", n_texts + n_images, kMaxEmbedInputs);
  if (n_images > kMaxEmbedImages)
    fail("embed: {} images is over the limit of {} per request", n_images, kMaxEmbedImages);
}

}  // namespace argus::tasks
