// The agent's tools in one table, and the one way to call them: arguments checked
// against the tool's schema, the tool run, every failure turned into a message fit for
// the caller (an LLM or an MCP client). Failures never carry host paths or internals:
// argus's own errors are written for users; anything else (a LibTorch error, a bug) is
// reported as "the TOOL tool failed" with the detail on the operator's stderr.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tasks/agent/tool.h"

namespace argus::tasks::agent {

// Every tool, in a fixed order.
const std::vector<Tool>& all_tools();

// The tools whose experts `experts` has configured, limited to `names` when it is not
// empty (a name that is no tool, or whose expert is missing, is an argus::Error naming it).
std::vector<const Tool*> offered_tools(const Experts& experts, const std::vector<std::string>& names = {});

struct ToolOutcome {
  bool ok = false;
  ToolResult result;  // when ok
  std::string error;  // when not: one line for the caller
};

// Runs `name` from `tools` on `args` (a JSON object). An unknown name, arguments that
// fail the schema and errors the tool raises all come back as !ok with a message.
ToolOutcome call_tool(const std::vector<const Tool*>& tools, const std::string& name, const nlohmann::json& args,
                      ToolContext& ctx);

// The OpenAI-style function list chat templates render:
// [{"type":"function","function":{"name","description","parameters"}}...].
nlohmann::ordered_json function_specs(const std::vector<const Tool*>& tools);

}  // namespace argus::tasks::agent
