#include "tasks/agent/tools/tool_args.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "image/overlay.h"
#include "tasks/segment/mask_record.h"
#include "util/error.h"

namespace argus::tasks::agent {

ordered image_param(const std::string& what) { return {{"type", "string"}, {"description", what}, {"maxLength", 64}}; }

ordered box_param(const std::string& what) {
  return {{"type", "array"},
          {"description", what + ": [x0, y0, x1, y1] in the image's pixels"},
          {"items", {{"type", "number"}}},
          {"minItems", 4},
          {"maxItems", 4}};
}

ordered object_schema(ordered properties, std::vector<std::string> required) {
  return {{"type", "object"}, {"properties", std::move(properties)}, {"required", std::move(required)},
          {"additionalProperties", false}};
}

const image::Image& image_arg(const nlohmann::json& args, ToolContext& ctx, const char* key) {
  return ctx.images.get(args.at(key).get<std::string>());
}

std::array<double, 4> box_arg(const nlohmann::json& args, const char* key, const image::Image& img) {
  const auto& v = args.at(key);
  std::array<double, 4> b{v[0].get<double>(), v[1].get<double>(), v[2].get<double>(), v[3].get<double>()};
  if (!(b[2] > b[0] && b[3] > b[1])) fail("{}: needs x1 > x0 and y1 > y0, got {}", key, v.dump());
  b[0] = std::max(b[0], 0.0);
  b[1] = std::max(b[1], 0.0);
  b[2] = std::min(b[2], static_cast<double>(img.width));
  b[3] = std::min(b[3], static_cast<double>(img.height));
  if (!(b[2] > b[0] && b[3] > b[1]))
    fail("{}: {} lies outside the {}x{} image", key, v.dump(), img.width, img.height);
  return b;
}

std::string box_text(const std::array<double, 4>& b) {
  return fmt::format("[{:.0f}, {:.0f}, {:.0f}, {:.0f}]", b[0], b[1], b[2], b[3]);
}

std::string box_text(const std::array<float, 4>& b) { return box_text(std::array<double, 4>{b[0], b[1], b[2], b[3]}); }

image::Image mask_image(const uint8_t* mask, int height, int width) {
  image::Image out = image::make_image(width, height);
  for (size_t i = 0; i < static_cast<size_t>(width) * height; ++i)
    if (mask[i]) out.pixels[3 * i] = out.pixels[3 * i + 1] = out.pixels[3 * i + 2] = 255;
  return out;
}

ToolResult mask_result(ToolContext& ctx, const image::Image& img, const uint8_t* mask) {
  auto rec = segment::summarize_mask(mask, img.height, img.width);
  image::Image overlay = img;
  image::draw_mask(overlay, mask, img.height, img.width, image::palette(0), 0.5f);
  ToolResult out;
  const std::string mask_id = ctx.images.add("mask", mask_image(mask, img.height, img.width));
  out.image_id = ctx.images.add("overlay", std::move(overlay));
  const std::array<double, 4> bbox{double(rec.bbox[0]), double(rec.bbox[1]), double(rec.bbox[0] + rec.bbox[2]),
                                   double(rec.bbox[1] + rec.bbox[3])};
  out.data = {{"mask", mask_id}, {"area", rec.area}, {"bbox", bbox}, {"overlay", out.image_id}};
  out.text = rec.area == 0 ? fmt::format("{}: empty (nothing matches)", mask_id)
                           : fmt::format("{}: area {} px, bbox {}; overlay {}", mask_id, rec.area, box_text(bbox),
                                         out.image_id);
  return out;
}

}  // namespace argus::tasks::agent
