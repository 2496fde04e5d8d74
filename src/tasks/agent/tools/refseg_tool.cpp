#include "tasks/agent/tools/tool_args.h"
#include "tasks/agent/tools/tools.h"
#include "tasks/ground/referring_segmenter.h"

namespace argus::tasks::agent {

Tool refseg_tool() {
  Tool t;
  t.name = "refseg";
  t.description = "Referring segmentation (CLIPSeg): the region a phrase describes, as a mask. Returns the mask id, "
                  "its area in pixels and bounding box, and an overlay.";
  t.parameters = object_schema(
      {{"image", image_param()},
       {"phrase", {{"type", "string"}, {"description", "what to segment, e.g. \"the red circle\""}, {"minLength", 1},
                   {"maxLength", 200}}}},
      {"image", "phrase"});
  t.needs = {Expert::RefSeg};
  t.run = [](const nlohmann::json& args, ToolContext& ctx) {
    const auto& img = image_arg(args, ctx);
    auto r = ctx.experts.refseg().segment(img, args.at("phrase").get<std::string>());
    return mask_result(ctx, img, r.mask.data());
  };
  return t;
}

}  // namespace argus::tasks::agent
