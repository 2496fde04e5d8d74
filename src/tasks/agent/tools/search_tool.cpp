#include <cstdio>
#include <filesystem>

#include <fmt/format.h>

#include "image/decode.h"
#include "tasks/agent/tools/tool_args.h"
#include "tasks/agent/tools/tools.h"
#include "tasks/image_index.h"
#include "util/error.h"

namespace argus::tasks::agent {

Tool search_tool() {
  Tool t;
  t.name = "search";
  t.description = "Searches the image collection (an argus index) by a text or by an image. Returns the best matches "
                  "as new image ids with their similarity, best first.";
  t.parameters = object_schema(
      {{"text", {{"type", "string"}, {"description", "what the images should show"}, {"minLength", 1}, {"maxLength", 500}}},
       {"image", image_param("id of an image to find similar ones to")},
       {"k", {{"type", "integer"}, {"description", "how many results (default 3)"}, {"minimum", 1}, {"maximum", 10}}}},
      {});
  t.needs = {Expert::Index};
  t.run = [](const nlohmann::json& args, ToolContext& ctx) {
    if (args.contains("text") == args.contains("image")) fail("search needs either a text or an image (not both)");
    const int k = args.value("k", 3);
    auto& clip = ctx.experts.clip();
    auto& index = ctx.experts.index();
    const image::Image* query = args.contains("image") ? &image_arg(args, ctx) : nullptr;
    std::vector<SearchHit> hits;
    try {
      hits = query ? index.search_image(clip, *query, k) : index.search_text(clip, args["text"].get<std::string>(), k);
    } catch (const Error& e) {
      // The index's errors name its files and the model's directory: the operator's business.
      std::fprintf(stderr, "argus: search failed: %s\n", e.what());
      fail("the image index could not be searched");
    }
    ToolResult out;
    nlohmann::json results = nlohmann::json::array();
    for (const auto& h : hits) {
      // The hit enters the store; the caller sees its id and file name, never where it lies.
      std::string id;
      try {
        id = ctx.images.add("result", image::load_image(h.path));
      } catch (const std::exception&) {
        continue;  // a file gone since the index was built is no result
      }
      const std::string name = std::filesystem::path(h.path).filename().string();
      results.push_back({{"image", id}, {"name", name}, {"score", h.score}});
      out.text += fmt::format("{}{} ({}) {:.3f}", out.text.empty() ? "" : "; ", id, name, h.score);
    }
    if (results.empty()) out.text = "no matches";
    out.data = {{"results", results}};
    return out;
  };
  return t;
}

}  // namespace argus::tasks::agent
