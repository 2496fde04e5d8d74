#include <fmt/format.h>

#include "image/mask_rle.h"
#include "tasks/agent/tools/tool_args.h"
#include "tasks/agent/tools/tools.h"
#include "tasks/segment/prompt_masks.h"
#include "util/error.h"

namespace argus::tasks::agent {

Tool segment_tool() {
  Tool t;
  t.name = "segment";
  t.description = "Segments one object (SAM) given a point on it and/or a box around it. Returns a mask image id, "
                  "the mask's area in pixels and its bounding box [x0, y0, x1, y1], and an overlay.";
  t.parameters = object_schema(
      {{"image", image_param()},
       {"point", {{"type", "array"}, {"description", "[x, y]: a pixel on the object"}, {"items", {{"type", "number"}}},
                  {"minItems", 2}, {"maxItems", 2}}},
       {"box", box_param("a box around the object")}},
      {"image"});
  t.needs = {Expert::Segmenter};
  t.run = [](const nlohmann::json& args, ToolContext& ctx) {
    const auto& img = image_arg(args, ctx);
    if (!args.contains("point") && !args.contains("box")) fail("segment needs a point or a box (or both)");
    segment::Prompt prompt;
    if (args.contains("point")) prompt.points.push_back({args["point"][0].get<double>(), args["point"][1].get<double>(), 1});
    if (args.contains("box")) {
      auto b = box_arg(args, "box", img);
      prompt.box = segment::Box{b[0], b[1], b[2], b[3]};
    }
    auto masks = segment::segment_prompt(ctx.experts.segmenter(), img, prompt, false);
    const auto& m = masks.at(0);
    auto pixels = image::rle_decode(m.rle);
    ToolResult out = mask_result(ctx, img, pixels.data());
    out.data["score"] = m.iou_pred;
    out.text += fmt::format("; score {:.2f}", m.iou_pred);
    return out;
  };
  return t;
}

}  // namespace argus::tasks::agent
