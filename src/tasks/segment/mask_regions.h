// Small-region cleanup of binary masks, as SAM's automatic mask generator does it
// (min_mask_region_area): fill holes and drop islands smaller than an area, with
// 8-connectivity. Torch-free.
#pragma once
#include <cstdint>
#include <vector>

namespace argus::tasks::segment {

enum class RegionMode { Holes, Islands };

// Holes: background components (border-touching ones too) under `min_area` pixels
// become foreground. Islands: foreground components under `min_area` are removed,
// except that when all are small the largest survives. Returns whether `mask`
// (row-major [h, w], 0/1) changed.
bool remove_small_regions(std::vector<uint8_t>& mask, int h, int w, int64_t min_area, RegionMode mode);

}  // namespace argus::tasks::segment
