// Grounded segmentation: phrases -> open-vocabulary detector boxes -> SAM box prompts
// -> one mask per detection at the original image size.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "image/image.h"
#include "image/mask_rle.h"
#include "tasks/detect/detector.h"
#include "tasks/segment/segmenter.h"

namespace argus::tasks {

struct GroundedObject {
  Detection detection;
  image::MaskRle rle;  // the SAM mask for the detection's box, original image size (rle_decode for pixels)
};

struct GroundResult {
  int height = 0, width = 0;
  std::vector<GroundedObject> objects;  // best detection first
  std::vector<std::string> warnings;
};

// {"image_size":[H,W],"detections":[{"query","label","score","box","rle":{"size","counts"}}...]}
nlohmann::json to_json(const GroundResult& r);

// `phrases` as split_phrases reads them. Boxes are clipped to the image before they
// prompt SAM (one mask each, no multimask); a box with nothing left inside the image
// gets an empty mask, so there is always one mask per detection.
GroundResult ground(Detector& detector, segment::Segmenter& segmenter, const image::Image& im,
                    const std::string& phrases, const DetectOptions& opts = {});

// The second half of ground(): SAM masks for detections already made on `im`.
GroundResult segment_detections(segment::Segmenter& segmenter, const image::Image& im, const DetectResult& det);

}  // namespace argus::tasks
