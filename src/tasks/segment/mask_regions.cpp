#include "tasks/segment/mask_regions.h"

#include <algorithm>

#include "util/error.h"

namespace argus::tasks::segment {

namespace {

// Labels the 8-connected components of pixels equal to `value` (1-based; 0 elsewhere)
// with an explicit stack, so large regions cannot overflow the call stack.
std::vector<int64_t> label_components(const std::vector<uint8_t>& m, int h, int w, uint8_t value,
                                      std::vector<int32_t>& labels) {
  labels.assign(m.size(), 0);
  std::vector<int64_t> sizes{0};
  std::vector<int64_t> stack;
  for (int64_t start = 0; start < static_cast<int64_t>(m.size()); ++start) {
    if ((m[start] != 0) != (value != 0) || labels[start]) continue;
    const int32_t id = static_cast<int32_t>(sizes.size());
    int64_t count = 0;
    labels[start] = id;
    stack.push_back(start);
    while (!stack.empty()) {
      const int64_t p = stack.back();
      stack.pop_back();
      ++count;
      const int y = static_cast<int>(p / w), x = static_cast<int>(p % w);
      for (int dy = -1; dy <= 1; ++dy)
        for (int dx = -1; dx <= 1; ++dx) {
          const int ny = y + dy, nx = x + dx;
          if (ny < 0 || ny >= h || nx < 0 || nx >= w) continue;
          const int64_t q = static_cast<int64_t>(ny) * w + nx;
          if ((m[q] != 0) == (value != 0) && !labels[q]) {
            labels[q] = id;
            stack.push_back(q);
          }
        }
    }
    sizes.push_back(count);
  }
  return sizes;
}

}  // namespace

bool remove_small_regions(std::vector<uint8_t>& mask, int h, int w, int64_t min_area, RegionMode mode) {
  if (h <= 0 || w <= 0 || mask.size() != static_cast<size_t>(h) * w)
    fail("remove_small_regions: mask of {} bytes is not {}x{}", mask.size(), w, h);
  const bool holes = mode == RegionMode::Holes;
  std::vector<int32_t> labels;
  std::vector<int64_t> sizes = label_components(mask, h, w, holes ? 0 : 1, labels);
  std::vector<char> small(sizes.size(), 0);
  bool any_small = false;
  for (size_t i = 1; i < sizes.size(); ++i)
    if (sizes[i] < min_area) small[i] = 1, any_small = true;
  if (!any_small) return false;
  if (holes) {
    for (size_t p = 0; p < mask.size(); ++p)
      if (labels[p] && small[labels[p]]) mask[p] = 1;
    return true;
  }
  // Islands: keep the big components; if none is big, keep the largest one.
  std::vector<char> keep(sizes.size(), 0);
  bool any_kept = false;
  for (size_t i = 1; i < sizes.size(); ++i)
    if (!small[i]) keep[i] = 1, any_kept = true;
  if (!any_kept) keep[std::max_element(sizes.begin() + 1, sizes.end()) - sizes.begin()] = 1;
  for (size_t p = 0; p < mask.size(); ++p) mask[p] = labels[p] && keep[labels[p]] ? 1 : 0;
  return true;
}

}  // namespace argus::tasks::segment
