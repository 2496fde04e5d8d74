#include "models/blip2/blip2_prompt.h"

#include <algorithm>

#include "util/error.h"

namespace argus::models::blip2 {

std::vector<int64_t> blip2_prompt_ids(const std::vector<int64_t>& ids, int64_t image_token,
                                      int64_t num_query_tokens, int64_t images) {
  if (images > 1) fail("BLIP-2 takes one image per conversation, {} were given", images);
  const auto slots = std::count(ids.begin(), ids.end(), image_token);
  if (slots > 0 && images == 0)
    fail("the prompt has {} image token(s) (id {}) but no image was given", slots, image_token);
  if (slots != 0 && slots != 1 && slots != num_query_tokens)
    fail("the prompt has {} image token(s) (id {}); BLIP-2's image takes 1 or {}", slots, image_token,
         num_query_tokens);
  std::vector<int64_t> out;
  out.reserve(ids.size() + static_cast<size_t>(num_query_tokens));
  if (images == 1) out.assign(static_cast<size_t>(num_query_tokens), image_token);
  for (int64_t id : ids)
    if (id != image_token) out.push_back(id);
  return out;
}

}  // namespace argus::models::blip2
