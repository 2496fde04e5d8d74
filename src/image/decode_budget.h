// The memory a decoded image may take, whatever the pixel limit of the caller: the
// decoders refuse an image whose pixel buffers would exceed it, from the header's size
// and before allocating them. Pixel limits alone are not enough: PIL's (179 megapixels)
// lets a 493 KB 13000 x 13000 PNG decode to 507 MB of RGB, which the processors'
// resampling passes then copy (2.1 GB peak in `ask`). 384 MiB takes a 100-megapixel RGB
// photograph (300 MB), and bounds what one image can cost the server or the CLI at
// about three times the budget once resized.
#pragma once
#include <cstdint>

namespace argus::image {

constexpr int64_t kDecodeBudgetBytes = int64_t{384} << 20;

// Whether width x height at bytes_per_pixel (RGB 3, plus 1 for a kept alpha plane, plus
// a codec's own full-size buffer) fits the budget; the sizes are header values,
// possibly absurd (both below 2^32, so the product cannot overflow).
bool within_decode_budget(int64_t width, int64_t height, int bytes_per_pixel);

// Throws argus::Error naming the size, the memory it needs and the budget.
void check_decode_budget(int64_t width, int64_t height, int bytes_per_pixel, const char* what);

}  // namespace argus::image
