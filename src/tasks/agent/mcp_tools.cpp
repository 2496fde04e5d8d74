#include "tasks/agent/mcp_tools.h"

#include <algorithm>

#include "image/encode_png.h"
#include "util/base64.h"

namespace argus::tasks::agent {

nlohmann::json McpTools::list_tools() {
  nlohmann::json list = nlohmann::json::array();
  for (const auto* t : tools_)
    list.push_back({{"name", t->name}, {"description", t->description}, {"inputSchema", nlohmann::json(t->parameters)}});
  return list;
}

bool McpTools::has_tool(const std::string& name) {
  return std::any_of(tools_.begin(), tools_.end(), [&](const Tool* t) { return t->name == name; });
}

nlohmann::json McpTools::call_tool(const std::string& name, const nlohmann::json& arguments) {
  ToolContext ctx{images_, experts_};
  ToolOutcome o = agent::call_tool(tools_, name, arguments, ctx);
  if (!o.ok) return {{"content", {{{"type", "text"}, {"text", o.error}}}}, {"isError", true}};
  nlohmann::json content = nlohmann::json::array({{{"type", "text"}, {"text", o.result.text}}});
  if (!o.result.image_id.empty()) {
    auto png = image::encode_png(images_.get(o.result.image_id));
    content.push_back({{"type", "image"}, {"data", util::base64_encode(png.data(), png.size())}, {"mimeType", "image/png"}});
  }
  return {{"content", content}, {"structuredContent", o.result.data}, {"isError", false}};
}

}  // namespace argus::tasks::agent
