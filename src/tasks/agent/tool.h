// One vision expert as a tool an LLM or an MCP client can call: a name, a description,
// a JSON schema for its arguments, and a function that runs it on the ImageStore.
// A result is a compact text for the model, the same facts as structured JSON for a
// program, and the id of an image the tool made (an overlay, a crop, a mask), if any.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tasks/agent/experts.h"
#include "tasks/agent/image_store.h"

namespace argus::tasks::agent {

struct ToolResult {
  std::string text;
  nlohmann::json data = nlohmann::json::object();
  std::string image_id;  // "" when the tool made no image
};

struct ToolContext {
  ImageStore& images;
  Experts& experts;
};

struct Tool {
  std::string name;
  std::string description;
  nlohmann::ordered_json parameters;  // JSON schema of the arguments (an object)
  std::vector<Expert> needs;  // the models it runs; the tool is offered only when they are configured
  // Runs on arguments already checked against `parameters`; bad values the schema cannot
  // express (an unknown image id, a box outside the image) are an argus::Error.
  std::function<ToolResult(const nlohmann::json& args, ToolContext& ctx)> run;
};

}  // namespace argus::tasks::agent
