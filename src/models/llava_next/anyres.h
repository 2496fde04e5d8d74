// LLaVA-NeXT's "anyres" geometry, as transformers computes it: which grid pinpoint an
// image is tiled at, the size it is resized to inside that pinpoint, which part of the
// re-assembled feature grid is the image rather than padding, and so how many image
// tokens it becomes. Plain integer arithmetic, shared by the processor, the model's
// feature packing and the prompt's image-token expansion, so the three cannot disagree.
#pragma once
#include <cstdint>
#include <vector>

namespace argus::models::llava_next {

struct Resolution {
  int64_t height = 0, width = 0;
  bool operator==(const Resolution& o) const { return height == o.height && width == o.width; }
};

// transformers' select_best_resolution: the pinpoint ([height, width]) at which the image,
// scaled to fit inside it, keeps the most of its own pixels (the effective resolution,
// capped at the original's); ties go to the one that wastes the least area, then to the
// earlier one. `pinpoints` must not be empty.
Resolution select_best_resolution(Resolution image, const std::vector<Resolution>& pinpoints);

// get_patch_output_size: the image scaled to fit `target` keeping its aspect ratio; the
// tighter side is exact, the other ceil()ed (and capped at the target).
Resolution fit_inside(Resolution image, Resolution target);

// The rows [top, top + height) and columns [left, left + width) of a `grid` (the tiles'
// features laid out side by side) that hold the image, not the padding around it:
// transformers' unpad_image, which trims the axis the aspect ratio left padded.
struct Region {
  int64_t top = 0, left = 0, height = 0, width = 0;
};
Region unpadded_region(Resolution image, Resolution grid);

// How an image is cut: the pinpoint it is tiled at, its tiles (rows x cols of `tile`
// pixels) and the feature grid that results (`side` features per tile side).
struct AnyresLayout {
  Resolution pinpoint;
  int64_t rows = 0, cols = 0;  // tiles
  Region region;               // of the (rows * side) x (cols * side) feature grid
  // Features the image becomes: the base view's side * side, then per kept grid row its
  // features plus one image_newline.
  int64_t tokens = 0;
};
AnyresLayout anyres_layout(Resolution image, const std::vector<Resolution>& pinpoints, int64_t tile, int64_t side);

}  // namespace argus::models::llava_next
