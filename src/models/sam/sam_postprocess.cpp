#include "models/sam/sam_postprocess.h"

#include <algorithm>

#include "util/error.h"

namespace argus::models::sam {

ImageGeometry sam_geometry(int64_t original_height, int64_t original_width, int64_t longest_edge) {
  if (original_height <= 0 || original_width <= 0 || longest_edge <= 0)
    fail("SAM image size {}x{} (longest edge {}) is not positive", original_width, original_height, longest_edge);
  const double scale = static_cast<double>(longest_edge) / static_cast<double>(std::max(original_height, original_width));
  ImageGeometry g;
  g.original_height = original_height;
  g.original_width = original_width;
  g.resized_height = static_cast<int64_t>(original_height * scale + 0.5);
  g.resized_width = static_cast<int64_t>(original_width * scale + 0.5);
  return g;
}

at::Tensor rescale_prompt_coords(const at::Tensor& coords, const ImageGeometry& g) {
  if (!coords.defined() || coords.dim() < 1 || coords.size(-1) % 2 != 0 || coords.size(-1) == 0)
    fail("SAM prompt coordinates need x, y pairs in the last dim");
  if (g.original_height <= 0 || g.original_width <= 0) fail("SAM prompt rescaling needs the original image size");
  at::Tensor xy = coords.to(at::kDouble).reshape({-1, 2});
  const double sx = static_cast<double>(g.resized_width) / static_cast<double>(g.original_width);
  const double sy = static_cast<double>(g.resized_height) / static_cast<double>(g.original_height);
  at::Tensor scale = at::tensor({sx, sy}, at::TensorOptions().dtype(at::kDouble));
  return (xy * scale).reshape(coords.sizes());
}

at::Tensor post_process_masks(const at::Tensor& low_res_masks, const ImageGeometry& g, int64_t pad_size,
                              double threshold, bool binarize) {
  if (!low_res_masks.defined() || low_res_masks.dim() < 2)
    fail("SAM masks to post-process need at least [h, w] dims");
  if (g.resized_height <= 0 || g.resized_width <= 0 || g.resized_height > pad_size || g.resized_width > pad_size ||
      g.original_height <= 0 || g.original_width <= 0)
    fail("SAM post-processing: resized size {}x{} must be positive and within the {} padding", g.resized_width,
         g.resized_height, pad_size);
  auto lead = low_res_masks.sizes().slice(0, low_res_masks.dim() - 2).vec();
  at::Tensor m = low_res_masks.to(at::kFloat).reshape({1, -1, low_res_masks.size(-2), low_res_masks.size(-1)});
  m = at::upsample_bilinear2d(m, {pad_size, pad_size}, false);
  m = m.slice(2, 0, g.resized_height).slice(3, 0, g.resized_width);
  m = at::upsample_bilinear2d(m, {g.original_height, g.original_width}, false);
  lead.push_back(g.original_height);
  lead.push_back(g.original_width);
  m = m.reshape(lead);
  return binarize ? m > threshold : m;
}

}  // namespace argus::models::sam
