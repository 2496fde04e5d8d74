#include "image/decode_budget.h"

#include "util/error.h"

namespace argus::image {

bool within_decode_budget(int64_t width, int64_t height, int bytes_per_pixel) {
  return width > 0 && height > 0 && width * height <= kDecodeBudgetBytes / bytes_per_pixel;
}

void check_decode_budget(int64_t width, int64_t height, int bytes_per_pixel, const char* what) {
  if (within_decode_budget(width, height, bytes_per_pixel)) return;
  fail("{}: an image of {}x{} pixels needs {} MB to decode, over argus's decode budget of {} MB", what, width, height,
       width * height * bytes_per_pixel >> 20, kDecodeBudgetBytes >> 20);
}

}  // namespace argus::image
