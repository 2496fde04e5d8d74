#include "tasks/chat/image_tokens.h"

#include "util/error.h"

namespace argus::tasks {

ExpandedPrompt expand_image_tokens(const std::vector<int64_t>& ids, int64_t image_token, int64_t features_per_image) {
  if (features_per_image <= 0) fail("expand_image_tokens: features_per_image must be positive");
  ExpandedPrompt out;
  out.ids.reserve(ids.size());
  for (size_t i = 0; i < ids.size();) {
    if (ids[i] != image_token) {
      out.ids.push_back(ids[i++]);
      continue;
    }
    size_t j = i;
    while (j < ids.size() && ids[j] == image_token) ++j;
    int64_t run = static_cast<int64_t>(j - i);
    int64_t images;
    if (run % features_per_image == 0)
      images = run / features_per_image;  // already expanded
    else if (run < features_per_image)
      images = run;  // one token per image
    else
      fail("a run of {} image tokens (id {}) at position {} is neither one token per image nor {} per image", run,
           image_token, i, features_per_image);
    out.images += images;
    out.ids.insert(out.ids.end(), static_cast<size_t>(images * features_per_image), image_token);
    i = j;
  }
  return out;
}

}  // namespace argus::tasks
