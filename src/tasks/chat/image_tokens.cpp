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

ExpandedPrompt expand_image_tokens_per_image(const std::vector<int64_t>& ids, int64_t image_token,
                                             const std::vector<int64_t>& counts) {
  ExpandedPrompt out;
  out.ids.reserve(ids.size());
  const auto given = static_cast<int64_t>(counts.size());
  int64_t referred = 0;  // images the prompt names, even past those given
  for (size_t i = 0; i < ids.size();) {
    if (ids[i] != image_token) {
      out.ids.push_back(ids[i++]);
      continue;
    }
    size_t j = i;
    while (j < ids.size() && ids[j] == image_token) ++j;
    const auto run = static_cast<int64_t>(j - i);
    // Already expanded: the next images' counts add up to the run exactly.
    int64_t images = 0;
    for (int64_t sum = 0, k = referred; k < given && sum < run; ++k) {
      sum += counts[static_cast<size_t>(k)];
      if (sum == run) images = k + 1 - referred;
    }
    if (images == 0) images = run;  // one token per image
    for (int64_t k = referred; k < referred + images && k < given; ++k)
      out.ids.insert(out.ids.end(), static_cast<size_t>(counts[static_cast<size_t>(k)]), image_token);
    referred += images;
    i = j;
  }
  if (referred > given)
    fail("the prompt has {} image token(s) (id {}) but only {} image(s) were given", referred, image_token, given);
  out.images = referred;
  return out;
}

}  // namespace argus::tasks
