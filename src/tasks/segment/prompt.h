// Prompts for promptable segmentation, in original-image pixels, and the checks
// every front end shares: what is refused, and what is clamped to the image.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include <ATen/ATen.h>

namespace argus::tasks::segment {

struct Point {
  double x = 0, y = 0;
  int label = 1;  // 1 foreground, 0 background
};

struct Box {
  double x0 = 0, y0 = 0, x1 = 0, y1 = 0;  // corners, x1 > x0 and y1 > y0
};

// One prompt = one object: its points and/or box, and optionally the low-res mask
// logits [256, 256] of an earlier prediction as a dense prompt, to refine it.
struct Prompt {
  std::vector<Point> points;
  std::optional<Box> box;
  at::Tensor mask_input;
};

// The most points one prompt may carry. SAM's mask decoder attends over every prompt
// token, so its memory grows with the square of their count (10,000 points took the
// server from 0.7 to 2.2 GB); an interactive prompt is a handful of clicks.
constexpr size_t kMaxPromptPoints = 64;

// Refuses more than kMaxPromptPoints points. Front ends call it on the count before
// parsing the points or decoding the image; checked_prompt calls it again.
void check_point_count(size_t n_points);

// Refuses more than kMaxPromptPoints points, non-finite coordinates, labels other than 1/0, degenerate boxes
// (x1 <= x0 or y1 <= y0), a wrongly shaped mask_input and an empty prompt. Points
// outside the image are clamped to its last pixel row/column and boxes to its
// border; each clamp adds a line to `notes` (when given). Returns the clamped prompt.
Prompt checked_prompt(const Prompt& p, int image_height, int image_width, std::vector<std::string>* notes = nullptr);

}  // namespace argus::tasks::segment
