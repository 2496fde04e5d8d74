// What the tools share: the schema pieces they are written from (an image id, a box)
// and the reading of those arguments, checked against the image they refer to.
#pragma once
#include <array>
#include <string>

#include <nlohmann/json.hpp>

#include "image/image.h"
#include "tasks/agent/tool.h"

namespace argus::tasks::agent {

using ordered = nlohmann::ordered_json;

// {"type":"string", "description": ...} for an image id.
ordered image_param(const std::string& what = "id of the image (e.g. \"image_1\", \"crop_2\")");
// Four numbers x0, y0, x1, y1 in the image's pixels.
ordered box_param(const std::string& what);
// An object schema with these properties, all `required`, no others.
ordered object_schema(ordered properties, std::vector<std::string> required);

// The image args[key] names.
const image::Image& image_arg(const nlohmann::json& args, ToolContext& ctx, const char* key = "image");

// args[key] as a box with x1 > x0 and y1 > y0, clipped to the image; a box with
// nothing inside the image is an error naming `key`.
std::array<double, 4> box_arg(const nlohmann::json& args, const char* key, const image::Image& img);

// "[x0, y0, x1, y1]" rounded to pixels, for the compact text results.
std::string box_text(const std::array<double, 4>& b);
std::string box_text(const std::array<float, 4>& b);

// A mask (row-major, non-zero = foreground) as an image for the store: white on black.
image::Image mask_image(const uint8_t* mask, int height, int width);

// The result of a tool that made one mask of `img`: the mask and an overlay (the mask
// tinted on the image) enter the store; data {"mask", "area", "bbox" (x0, y0, x1, y1),
// "overlay"} and the text "mask_N: area A px, bbox [...]; overlay overlay_M".
ToolResult mask_result(ToolContext& ctx, const image::Image& img, const uint8_t* mask);

}  // namespace argus::tasks::agent
