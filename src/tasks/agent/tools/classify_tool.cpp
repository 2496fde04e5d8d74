#include <algorithm>
#include <numeric>

#include <fmt/format.h>

#include "tasks/agent/tools/tool_args.h"
#include "tasks/agent/tools/tools.h"
#include "tasks/classify.h"

namespace argus::tasks::agent {

Tool classify_tool() {
  Tool t;
  t.name = "classify";
  t.description = "Zero-shot classification (CLIP): how well each candidate label describes the image. "
                  "Returns the labels with probabilities, best first.";
  t.parameters = object_schema(
      {{"image", image_param()},
       {"labels", {{"type", "array"}, {"description", "candidate labels, e.g. [\"a red circle\", \"a blue square\"]"},
                   {"items", {{"type", "string"}, {"minLength", 1}, {"maxLength", 200}}}, {"minItems", 1}, {"maxItems", 64}}}},
      {"image", "labels"});
  t.needs = {Expert::Clip};
  t.run = [](const nlohmann::json& args, ToolContext& ctx) {
    const auto& img = image_arg(args, ctx);
    auto labels = args.at("labels").get<std::vector<std::string>>();
    check_classify_request(labels, "{}");
    auto r = classify(ctx.experts.clip(), img, labels);
    std::vector<size_t> order(r.labels.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return r.probs[a] > r.probs[b]; });
    ToolResult out;
    nlohmann::json ranked = nlohmann::json::array();
    for (size_t i : order) {
      ranked.push_back({{"label", r.labels[i]}, {"prob", r.probs[i]}});
      out.text += fmt::format("{}{}: {:.2f}", out.text.empty() ? "" : "; ", r.labels[i], r.probs[i]);
    }
    out.data = {{"labels", ranked}};
    return out;
  };
  return t;
}

}  // namespace argus::tasks::agent
