#include "tasks/segment/prompt.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "util/error.h"

namespace argus::tasks::segment {

namespace {

double clamp_note(double v, double lo, double hi, const char* what, std::vector<std::string>* notes) {
  double c = std::clamp(v, lo, hi);
  if (c != v && notes) notes->push_back(fmt::format("{} {} clamped to {} (image edge)", what, v, c));
  return c;
}

}  // namespace

void check_point_count(size_t n_points) {
  if (n_points > kMaxPromptPoints)
    fail("segment: {} points is over the limit of {} points per prompt", n_points, kMaxPromptPoints);
}

Prompt checked_prompt(const Prompt& p, int image_height, int image_width, std::vector<std::string>* notes) {
  if (image_height <= 0 || image_width <= 0) fail("segment: image size {}x{} is not positive", image_width, image_height);
  if (p.points.empty() && !p.box && !p.mask_input.defined())
    fail("segment: a prompt needs at least one point, a box or a mask");
  check_point_count(p.points.size());
  Prompt out = p;
  // Pixel coordinates: a point names a pixel (the model adds 0.5 for its centre), so
  // the last valid one is size - 1; a box corner may sit on the far border.
  const double max_x = image_width - 1, max_y = image_height - 1;
  for (size_t i = 0; i < out.points.size(); ++i) {
    Point& q = out.points[i];
    if (!std::isfinite(q.x) || !std::isfinite(q.y)) fail("segment: point {} has a non-finite coordinate", i + 1);
    if (q.label != 0 && q.label != 1)
      fail("segment: point {} has label {}; labels are 1 (foreground) or 0 (background)", i + 1, q.label);
    q.x = clamp_note(q.x, 0, max_x, "point x", notes);
    q.y = clamp_note(q.y, 0, max_y, "point y", notes);
  }
  if (out.box) {
    Box& b = *out.box;
    if (!std::isfinite(b.x0) || !std::isfinite(b.y0) || !std::isfinite(b.x1) || !std::isfinite(b.y1))
      fail("segment: the box has a non-finite coordinate");
    if (b.x1 <= b.x0 || b.y1 <= b.y0)
      fail("segment: degenerate box {},{},{},{}: need x1 > x0 and y1 > y0", b.x0, b.y0, b.x1, b.y1);
    b.x0 = clamp_note(b.x0, 0, image_width, "box x0", notes);
    b.x1 = clamp_note(b.x1, 0, image_width, "box x1", notes);
    b.y0 = clamp_note(b.y0, 0, image_height, "box y0", notes);
    b.y1 = clamp_note(b.y1, 0, image_height, "box y1", notes);
    if (b.x1 <= b.x0 || b.y1 <= b.y0) fail("segment: the box lies outside the {}x{} image", image_width, image_height);
  }
  if (out.mask_input.defined()) {
    at::Tensor m = out.mask_input;
    while (m.dim() > 2 && m.size(0) == 1) m = m.squeeze(0);
    if (m.dim() != 2 || m.size(0) != 256 || m.size(1) != 256)
      fail("segment: a previous mask must be the 256x256 low-res logits of a prediction");
    out.mask_input = m.to(at::kFloat);
  }
  return out;
}

}  // namespace argus::tasks::segment
