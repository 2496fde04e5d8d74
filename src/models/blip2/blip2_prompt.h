// BLIP-2's prompt convention, as its processor builds it: the image's
// num_query_tokens slots come first, before the tokenizer's BOS and the text
// ("Question: ... Answer:"), wherever a chat template put the image; and one image
// per prompt, since the decoder was trained on one set of queries.
#pragma once
#include <cstdint>
#include <vector>

namespace argus::models::blip2 {

// `ids` may hold the image as no token, one, or num_query_tokens of `image_token`
// (anything else, or image tokens without an image, is argus::Error); `images` is
// 0 or 1 (more is argus::Error). Returns the ids with the slots first.
std::vector<int64_t> blip2_prompt_ids(const std::vector<int64_t>& ids, int64_t image_token,
                                      int64_t num_query_tokens, int64_t images);

}  // namespace argus::models::blip2
