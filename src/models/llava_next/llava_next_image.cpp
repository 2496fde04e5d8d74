#include "models/llava_next/llava_next_image.h"

#include <filesystem>
#include <vector>

#include "image/geometry.h"
#include "image/preprocess.h"
#include "image/resample.h"
#include "io/json_file.h"
#include "util/error.h"

namespace argus::models::llava_next {

namespace {

at::Tensor normalized(const image::Image& view, const image::ImageProcessorConfig& p) {
  image::PixelValues pv = image::preprocess(view, p);
  return at::tensor(pv.data, at::kFloat).view({pv.channels, pv.height, pv.width});
}

}  // namespace

image::ImageProcessorConfig load_llava_next_processor(const std::string& dir, const LlavaNextConfig& c) {
  image::ImageProcessorConfig p = image::load_image_processor_config(dir);
  const int64_t tile = c.tile();
  // The base view is resized to (shortest_edge, shortest_edge) or (height, width), the
  // tiles cut at crop_size.height; the tower takes tile x tile.
  const image::SizeSpec& s = p.size;
  const bool size_ok = s.shortest_edge > 0 ? s.shortest_edge == tile : s.height == tile && s.width == tile;
  if (!size_ok) fail("{}: the image processor's size must be {} (the vision tower's image_size)", dir, tile);
  if (p.crop_height > 0 && (p.crop_height != tile || p.crop_width != tile))
    fail("{}: the image processor's crop_size {}x{} is not the vision tower's {}x{} tile", dir, p.crop_width,
         p.crop_height, tile, tile);
  namespace fs = std::filesystem;
  for (const char* name : {"preprocessor_config.json", "processor_config.json"}) {
    const fs::path path = fs::path(dir) / name;
    if (!fs::exists(path)) continue;
    nlohmann::json j = io::read_json(path.string());
    if (j.contains("image_processor") && j["image_processor"].is_object()) j = j["image_processor"];
    if (j.contains("image_grid_pinpoints") && !j["image_grid_pinpoints"].is_null() &&
        parse_grid_pinpoints(j["image_grid_pinpoints"], name) != c.image_grid_pinpoints)
      fail("{}: image_grid_pinpoints differ from config.json's, so the processor would tile images the model "
           "cannot lay out",
           path.string());
    break;  // the file load_image_processor_config read
  }
  return p;
}

at::Tensor llava_next_pixel_values(const image::Image& im, const image::ImageProcessorConfig& p,
                                   const LlavaNextConfig& c) {
  const Resolution size{im.height, im.width};
  const AnyresLayout l = c.layout(size);
  const int tile = static_cast<int>(c.tile());
  const Resolution fit = fit_inside(size, l.pinpoint);
  image::Image resized = image::resize(im, static_cast<int>(fit.width), static_cast<int>(fit.height), p.resample);
  // Centred, the odd pixel of padding going to the bottom / right (Python's divmod).
  const int pad_y = static_cast<int>(l.pinpoint.height - fit.height);
  const int pad_x = static_cast<int>(l.pinpoint.width - fit.width);
  image::Image padded = image::pad(resized, pad_y / 2, pad_y - pad_y / 2, pad_x / 2, pad_x - pad_x / 2);

  std::vector<at::Tensor> views;
  views.push_back(normalized(image::resize(im, tile, tile, p.resample), p));
  for (int64_t r = 0; r < l.rows; ++r)
    for (int64_t col = 0; col < l.cols; ++col)
      views.push_back(
          normalized(image::crop(padded, static_cast<int>(col) * tile, static_cast<int>(r) * tile, tile, tile), p));
  return at::stack(views);
}

}  // namespace argus::models::llava_next
