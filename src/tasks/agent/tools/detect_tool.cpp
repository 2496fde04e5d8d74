#include <map>

#include <fmt/format.h>

#include "tasks/agent/tools/tool_args.h"
#include "tasks/agent/tools/tools.h"
#include "tasks/detect/detection_overlay.h"
#include "tasks/detect/detector.h"

namespace argus::tasks::agent {

Tool detect_tool() {
  Tool t;
  t.name = "detect";
  t.description = "Open-vocabulary object detection: finds every object matching each text query. Returns "
                  "boxes [x0, y0, x1, y1] in pixels with scores, the count per query, and an overlay image.";
  t.parameters = object_schema(
      {{"image", image_param()},
       {"queries", {{"type", "array"}, {"description", "what to look for, e.g. [\"a circle\", \"a triangle\"]"},
                    {"items", {{"type", "string"}, {"minLength", 1}, {"maxLength", 200}}}, {"minItems", 1}, {"maxItems", 32}}},
       {"threshold", {{"type", "number"}, {"description", "keep boxes scoring above this (default: the detector's)"},
                      {"minimum", 0}, {"maximum", 1}}}},
      {"image", "queries"});
  t.needs = {Expert::Detector};
  t.run = [](const nlohmann::json& args, ToolContext& ctx) {
    const auto& img = image_arg(args, ctx);
    auto queries = args.at("queries").get<std::vector<std::string>>();
    DetectOptions opts;
    if (args.contains("threshold")) opts.threshold = args["threshold"].get<double>();
    check_detect_request(queries.size(), 0, opts);
    Detector& detector = ctx.experts.detector();
    // A closed-set detector (DETR) finds its own classes: it is counted by what it found.
    if (detector.closed_set()) queries.clear();
    auto r = detector.detect(img, queries, {}, opts);
    std::map<std::string, int> counts;
    for (const auto& q : queries) counts[q] = 0;
    for (const auto& d : r.detections) ++counts[d.label];
    ToolResult out;
    image::Image overlay = img;
    draw_detections(overlay, r.detections);
    out.image_id = ctx.images.add("overlay", std::move(overlay));
    nlohmann::json dets = nlohmann::json::array();
    for (const auto& d : r.detections) dets.push_back({{"label", d.label}, {"score", d.score}, {"box", d.box}});
    out.data = {{"detections", dets}, {"counts", counts}, {"overlay", out.image_id}};
    std::string count_text;
    for (const auto& [label, n] : counts) count_text += fmt::format("{}{} x{}", count_text.empty() ? "" : ", ", label, n);
    out.text = fmt::format("{} detection(s) ({})", r.detections.size(), count_text);
    for (const auto& d : r.detections) out.text += fmt::format("; {} {:.2f} {}", d.label, d.score, box_text(d.box));
    out.text += "; overlay " + out.image_id;
    return out;
  };
  return t;
}

}  // namespace argus::tasks::agent
