#include <cmath>

#include <fmt/format.h>

#include "image/geometry.h"
#include "tasks/agent/tools/tool_args.h"
#include "tasks/agent/tools/tools.h"

namespace argus::tasks::agent {

Tool crop_tool() {
  Tool t;
  t.name = "crop";
  t.description = "Cuts a box out of an image as a new image (to look closer with another tool). Returns the crop's id and size.";
  t.parameters = object_schema({{"image", image_param()}, {"box", box_param("the region to keep")}}, {"image", "box"});
  t.run = [](const nlohmann::json& args, ToolContext& ctx) {
    const auto& img = image_arg(args, ctx);
    auto b = box_arg(args, "box", img);
    // Whole pixels covering the box: floor the start, ceil the end.
    const int x0 = static_cast<int>(std::floor(b[0])), y0 = static_cast<int>(std::floor(b[1]));
    const int x1 = static_cast<int>(std::ceil(b[2])), y1 = static_cast<int>(std::ceil(b[3]));
    ToolResult out;
    out.image_id = ctx.images.add("crop", image::crop(img, x0, y0, x1 - x0, y1 - y0));
    out.data = {{"crop", out.image_id}, {"box", {x0, y0, x1, y1}}, {"width", x1 - x0}, {"height", y1 - y0}};
    out.text = fmt::format("{}: {}x{} from [{}, {}, {}, {}]", out.image_id, x1 - x0, y1 - y0, x0, y0, x1, y1);
    return out;
  };
  return t;
}

}  // namespace argus::tasks::agent
