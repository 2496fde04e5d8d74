// One prompt -> its finished masks at the original image size, as `segment` and the
// server's /v1/segment report them; and the JSON both print.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "image/image.h"
#include "tasks/segment/mask_record.h"
#include "tasks/segment/prompt.h"
#include "tasks/segment/segmenter.h"

namespace argus::tasks::segment {

// Masks are computed at the original size, so the pixel budget is tighter than the
// decoders' own (PIL's) limit: a few full-size float masks must fit in memory.
constexpr int64_t kMaxSegmentPixels = 40'000'000;

// `prompt` is checked (and clamped) against the image first; the clamped prompt is
// returned through `shown` and each clamp adds a note. One mask, or SAM's three with
// multimask, in the model's order. The image embedding comes from the segmenter's cache.
std::vector<MaskRecord> segment_prompt(Segmenter& segmenter, const image::Image& img, const Prompt& prompt,
                                       bool multimask, Prompt* shown = nullptr, std::vector<std::string>* notes = nullptr);

// {"image_size":[H,W],"masks":[{"iou_pred","area","bbox","rle":{"size","counts"}}...]}
nlohmann::json masks_json(int height, int width, const std::vector<MaskRecord>& masks);

}  // namespace argus::tasks::segment
