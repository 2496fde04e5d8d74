#include "models/llava_next/anyres.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "util/error.h"

namespace argus::models::llava_next {

namespace {

// Python's int(round(x, 7)): rounding to 7 decimals first keeps 447.99999999999994
// (a scale factor's float error) from truncating to 447.
int64_t int_round7(double x) { return static_cast<int64_t>(std::round(x * 1e7) / 1e7); }

}  // namespace

Resolution select_best_resolution(Resolution image, const std::vector<Resolution>& pinpoints) {
  if (pinpoints.empty()) fail("llava_next: image_grid_pinpoints is empty");
  if (image.height <= 0 || image.width <= 0) fail("llava_next: image size {}x{} is empty", image.width, image.height);
  Resolution best;
  int64_t best_effective = 0, best_wasted = std::numeric_limits<int64_t>::max();
  for (const Resolution& p : pinpoints) {
    const double scale = std::min(static_cast<double>(p.width) / static_cast<double>(image.width),
                                  static_cast<double>(p.height) / static_cast<double>(image.height));
    const auto w = static_cast<int64_t>(static_cast<double>(image.width) * scale);
    const auto h = static_cast<int64_t>(static_cast<double>(image.height) * scale);
    const int64_t effective = std::min(w * h, image.width * image.height);
    const int64_t wasted = p.width * p.height - effective;
    if (effective > best_effective || (effective == best_effective && wasted < best_wasted)) {
      best_effective = effective;
      best_wasted = wasted;
      best = p;
    }
  }
  return best;
}

Resolution fit_inside(Resolution image, Resolution target) {
  const double scale_w = static_cast<double>(target.width) / static_cast<double>(image.width);
  const double scale_h = static_cast<double>(target.height) / static_cast<double>(image.height);
  if (scale_w < scale_h)
    return {std::min(static_cast<int64_t>(std::ceil(static_cast<double>(image.height) * scale_w)), target.height),
            target.width};
  return {target.height,
          std::min(static_cast<int64_t>(std::ceil(static_cast<double>(image.width) * scale_h)), target.width)};
}

Region unpadded_region(Resolution image, Resolution grid) {
  const double image_aspect = static_cast<double>(image.width) / static_cast<double>(image.height);
  const double grid_aspect = static_cast<double>(grid.width) / static_cast<double>(grid.height);
  Region r{0, 0, grid.height, grid.width};
  if (image_aspect > grid_aspect) {  // wider than the grid: padding above and below
    const int64_t h = int_round7(static_cast<double>(image.height) *
                                 (static_cast<double>(grid.width) / static_cast<double>(image.width)));
    r.top = (grid.height - h) / 2;
    r.height = grid.height - 2 * r.top;
  } else {  // taller (or the same shape): padding left and right
    const int64_t w = int_round7(static_cast<double>(image.width) *
                                 (static_cast<double>(grid.height) / static_cast<double>(image.height)));
    r.left = (grid.width - w) / 2;
    r.width = grid.width - 2 * r.left;
  }
  return r;
}

AnyresLayout anyres_layout(Resolution image, const std::vector<Resolution>& pinpoints, int64_t tile, int64_t side) {
  AnyresLayout l;
  l.pinpoint = select_best_resolution(image, pinpoints);
  // Pinpoints are validated as multiples of the tile (llava_next_config.cpp).
  l.rows = l.pinpoint.height / tile;
  l.cols = l.pinpoint.width / tile;
  l.region = unpadded_region(image, {l.rows * side, l.cols * side});
  l.tokens = side * side + l.region.height * (l.region.width + 1);
  return l;
}

}  // namespace argus::models::llava_next
