// The agent's tools served over MCP (argus mcp): tools/list from the tool table,
// tools/call through call_tool, results as MCP content: the compact text, the image a
// tool made as PNG image content, the JSON as structuredContent; failures as isError.
#pragma once
#include <vector>

#include "mcp/mcp_session.h"
#include "tasks/agent/tool_table.h"

namespace argus::tasks::agent {

class McpTools : public mcp::ToolProvider {
 public:
  McpTools(std::vector<const Tool*> tools, Experts& experts) : tools_(std::move(tools)), experts_(experts) {}

  nlohmann::json list_tools() override;
  bool has_tool(const std::string& name) override;
  nlohmann::json call_tool(const std::string& name, const nlohmann::json& arguments) override;

  ImageStore& images() { return images_; }

 private:
  std::vector<const Tool*> tools_;
  Experts& experts_;
  ImageStore images_;
};

}  // namespace argus::tasks::agent
