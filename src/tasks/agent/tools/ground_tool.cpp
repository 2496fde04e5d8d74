#include <map>

#include <fmt/format.h>

#include "image/mask_rle.h"
#include "tasks/agent/tools/tool_args.h"
#include "tasks/agent/tools/tools.h"
#include "tasks/ground/ground_overlay.h"
#include "tasks/ground/grounder.h"
#include "tasks/segment/mask_record.h"

namespace argus::tasks::agent {

Tool ground_tool() {
  Tool t;
  t.name = "ground";
  t.description = "Grounded segmentation: detects the objects each phrase names and segments each one (detector + SAM). "
                  "Returns per object its label, score, box, mask id and area, and an overlay.";
  t.parameters = object_schema(
      {{"image", image_param()},
       {"phrases", {{"type", "string"}, {"description", "phrases separated by '.', e.g. \"a circle. a square.\""},
                    {"minLength", 1}, {"maxLength", 1000}}}},
      {"image", "phrases"});
  t.needs = {Expert::Detector, Expert::Segmenter};
  t.run = [](const nlohmann::json& args, ToolContext& ctx) {
    const auto& img = image_arg(args, ctx);
    auto r = ground(ctx.experts.detector(), ctx.experts.segmenter(), img, args.at("phrases").get<std::string>());
    ToolResult out;
    nlohmann::json objects = nlohmann::json::array();
    std::string lines;
    for (const auto& o : r.objects) {
      auto pixels = image::rle_decode(o.rle);
      auto rec = segment::summarize_mask(pixels.data(), img.height, img.width);
      const std::string mask_id = ctx.images.add("mask", mask_image(pixels.data(), img.height, img.width));
      objects.push_back({{"label", o.detection.label}, {"score", o.detection.score}, {"box", o.detection.box},
                         {"mask", mask_id}, {"area", rec.area}});
      lines += fmt::format("; {} {:.2f} {} {} area {}", o.detection.label, o.detection.score,
                           box_text(o.detection.box), mask_id, rec.area);
    }
    image::Image overlay = img;
    draw_grounded(overlay, r);
    out.image_id = ctx.images.add("overlay", std::move(overlay));
    out.data = {{"objects", objects}, {"overlay", out.image_id}};
    out.text = fmt::format("{} object(s){}; overlay {}", r.objects.size(), lines, out.image_id);
    return out;
  };
  return t;
}

}  // namespace argus::tasks::agent
