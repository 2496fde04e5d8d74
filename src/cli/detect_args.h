// Argument parsing and output helpers shared by `detect` and `ground`.
#pragma once
#include <string>
#include <vector>

#include "image/image.h"
#include "tasks/detect/detector.h"

namespace argus::cli {

// "PATH:X0,Y0,X1,Y1" (split at the last ':') -> the decoded exemplar image and its box.
tasks::Exemplar parse_exemplar(const std::string& spec);
// --nms is an IoU in [0, 1) or "none"; --top-k is positive or -1 (all).
// A NaN threshold means "not given": the detector's own default applies.
tasks::DetectOptions parse_detect_options(double threshold, double text_threshold, const std::string& nms,
                                          bool class_agnostic, int64_t top_k);
// Box outlines, one palette colour per query, each tagged "label score".
void draw_detections(image::Image& img, const std::vector<tasks::Detection>& dets);
// "argus: warning: ..." lines on stderr.
void print_warnings(const std::vector<std::string>& warnings);

}  // namespace argus::cli
