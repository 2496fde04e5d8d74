#include "tasks/agent/tool_table.h"

#include <algorithm>
#include <cstdio>

#include "tasks/agent/tools/tools.h"
#include "text/constrain/json_schema_validate.h"
#include "util/error.h"

namespace argus::tasks::agent {

const std::vector<Tool>& all_tools() {
  static const std::vector<Tool> tools = {load_image_tool(), classify_tool(), detect_tool(), segment_tool(),
                                          ground_tool(),     refseg_tool(),   crop_tool(),   caption_tool(),
                                          ask_tool(),        search_tool(),   ocr_tool()};
  return tools;
}

namespace {

bool available(const Tool& t, const Experts& experts) {
  if (t.name == "load_image") return true;  // bytes always work; paths need the image root (said at the call)
  return std::all_of(t.needs.begin(), t.needs.end(), [&](Expert e) { return experts.configured(e); });
}

std::string names_of(const std::vector<const Tool*>& tools) {
  std::string s;
  for (const auto* t : tools) s += (s.empty() ? "" : ", ") + t->name;
  return s.empty() ? "none" : s;
}

}  // namespace

std::vector<const Tool*> offered_tools(const Experts& experts, const std::vector<std::string>& names) {
  std::vector<const Tool*> out;
  for (const auto& t : all_tools())
    if (available(t, experts) && (names.empty() || std::count(names.begin(), names.end(), t.name))) out.push_back(&t);
  for (const auto& n : names) {
    auto it = std::find_if(all_tools().begin(), all_tools().end(), [&](const Tool& t) { return t.name == n; });
    if (it == all_tools().end()) {
      std::vector<const Tool*> every;
      for (const auto& t : all_tools()) every.push_back(&t);
      fail("there is no tool \"{}\" (tools: {})", n, names_of(every));
    }
    if (!available(*it, experts)) fail("the {} tool needs a model that is not configured", n);
  }
  return out;
}

ToolOutcome call_tool(const std::vector<const Tool*>& tools, const std::string& name, const nlohmann::json& args,
                      ToolContext& ctx) {
  ToolOutcome out;
  auto it = std::find_if(tools.begin(), tools.end(), [&](const Tool* t) { return t->name == name; });
  if (it == tools.end()) {
    out.error = "there is no tool \"" + name + "\" (tools: " + names_of(tools) + ")";
    return out;
  }
  const Tool& tool = **it;
  if (!args.is_object()) {
    out.error = name + ": the arguments must be a JSON object";
    return out;
  }
  try {
    if (auto bad = text::constrain::schema_violation(args, tool.parameters); !bad.empty()) {
      out.error = name + ": " + bad;
      return out;
    }
    out.result = tool.run(args, ctx);
    out.ok = true;
  } catch (const Error& e) {
    out.error = name + ": " + e.what();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "argus: the %s tool failed: %s\n", name.c_str(), e.what());
    out.error = "the " + name + " tool failed (an internal error; the server's log has the detail)";
  }
  return out;
}

nlohmann::ordered_json function_specs(const std::vector<const Tool*>& tools) {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const auto* t : tools)
    list.push_back({{"type", "function"},
                    {"function", {{"name", t->name}, {"description", t->description}, {"parameters", t->parameters}}}});
  return list;
}

}  // namespace argus::tasks::agent
