// Image -> model input, as the transformers image processors compute it.
// The 8-bit steps (resize, crop) are bit-exact with PIL; rescale + normalise use
// transformers' fused float32 arithmetic, (u8 - mean*255) / (std*255).
#pragma once
#include <array>
#include <vector>

#include <nlohmann/json.hpp>

#include "image/image.h"
#include "image/processor_config.h"

namespace argus::image {

struct PixelValues {
  int channels = 3, height = 0, width = 0;
  std::vector<float> data;  // CHW
  // Geometry that post-processing needs (SAM prompt scaling and mask cropping,
  // box rescaling): the decoded size and the size after resizing, before crop/pad.
  int original_height = 0, original_width = 0;
  int resized_height = 0, resized_width = 0;
};

struct Size2 {
  int height = 0, width = 0;
};

// CLIP: short side -> shortest_edge, long side -> int(shortest_edge * long / short).
Size2 shortest_edge_size(int height, int width, int shortest_edge);
// SAM: scale = longest_edge / max(h, w), each side int(side * scale + 0.5).
Size2 longest_edge_size(int height, int width, int longest_edge);
// DETR: shortest edge, capped so the long side stays <= longest_edge.
Size2 shortest_longest_edge_size(int height, int width, int shortest_edge, int longest_edge);
// The output size a processor's `size` asks for.
Size2 resize_target(int height, int width, const SizeSpec& size, ProcessorKind kind);

struct Normalization {
  bool do_rescale = true;
  double rescale_factor = 1.0 / 255.0;
  bool do_normalize = true;
  std::array<double, 3> mean{}, std{};
};

// uint8 HWC -> float CHW.
PixelValues normalize(const Image& im, const Normalization& n);

// Extends to height x width, new pixels (bottom and right) set to `value`.
void pad_bottom_right(PixelValues& pv, int height, int width, float value);

// OWLv2 (transformers 5): rescale to [0,1], zero-pad bottom/right to a square,
// Gaussian blur when downscaling, bilinear resize (half-pixel centres, edge clamp),
// normalise. Float all the way, so it matches the reference to ~1e-6, not in u8 steps.
PixelValues owlv2_preprocess(const Image& im, const ImageProcessorConfig& c);

PixelValues preprocess(const Image& im, const ImageProcessorConfig& c);
PixelValues preprocess(const Image& im, const nlohmann::json& preprocessor_config);

}  // namespace argus::image
