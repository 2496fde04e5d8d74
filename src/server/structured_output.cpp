#include "server/structured_output.h"

#include <fmt/format.h>

#include "server/api_error.h"

namespace argus::server {

namespace {

using ordered = nlohmann::ordered_json;
using text::constrain::JsonGrammar;

std::shared_ptr<const JsonGrammar> compile(const ordered& schema, const std::string& param) {
  try {
    return JsonGrammar::compile(schema);
  } catch (const Error& e) {
    bad_request(fmt::format("{}: {}", param, e.what()), param);
  }
}

// A tool's parameters, or any object when it declares none.
ordered parameters_of(const ordered& tool) {
  const auto& f = tool["function"];
  if (auto p = f.find("parameters"); p != f.end()) return *p;
  return {{"type", "object"}};
}

}  // namespace

std::shared_ptr<const JsonGrammar> response_format_grammar(const ordered& body) {
  auto rf = body.find("response_format");
  if (rf == body.end() || rf->is_null()) return nullptr;
  if (!rf->is_object() || !rf->contains("type") || !(*rf)["type"].is_string())
    bad_request("'response_format' must be {\"type\": \"text\" | \"json_object\" | \"json_schema\", ...}",
                "response_format");
  const std::string type = (*rf)["type"].get<std::string>();
  for (auto it = rf->begin(); it != rf->end(); ++it)
    if (it.key() != "type" && !(type == "json_schema" && it.key() == "json_schema"))
      bad_request(fmt::format("Unrecognized request argument supplied: response_format.{}", it.key()),
                  "response_format." + it.key());
  if (type == "text") return nullptr;
  if (type == "json_object") return JsonGrammar::any_object();
  if (type != "json_schema")
    bad_request(fmt::format("response_format.type \"{}\" is not one of text, json_object, json_schema", type),
                "response_format.type");
  auto js = rf->find("json_schema");
  if (js == rf->end() || !js->is_object())
    bad_request("response_format.json_schema must be {\"name\", \"schema\", \"strict\"}", "response_format.json_schema");
  for (auto it = js->begin(); it != js->end(); ++it)
    if (it.key() != "name" && it.key() != "schema" && it.key() != "strict" && it.key() != "description")
      bad_request(fmt::format("Unrecognized request argument supplied: response_format.json_schema.{}", it.key()),
                  "response_format.json_schema." + it.key());
  if (!js->contains("name") || !(*js)["name"].is_string())
    bad_request("response_format.json_schema.name is required", "response_format.json_schema.name");
  if (auto s = js->find("strict"); s != js->end() && !s->is_boolean() && !s->is_null())
    bad_request("response_format.json_schema.strict must be a boolean", "response_format.json_schema.strict");
  // strict or not, the output is generated valid against the schema: constrained
  // decoding gives what strict mode promises.
  auto schema = js->find("schema");
  return compile(schema == js->end() ? ordered::object() : *schema, "response_format.json_schema.schema");
}

std::shared_ptr<const JsonGrammar> forced_call_grammar(const ToolRequest& req) {
  if (!req.forced()) return nullptr;
  for (size_t i = 0; i < req.names.size(); ++i)
    if (req.choice == "function:" + req.names[i])
      return compile(parameters_of(req.tools[i]), fmt::format("tools[{}].function.parameters", i));
  ordered alternatives = ordered::array();
  for (size_t i = 0; i < req.names.size(); ++i)
    alternatives.push_back({{"type", "object"},
                            {"properties", {{"name", {{"const", req.names[i]}}}, {"arguments", parameters_of(req.tools[i])}}},
                            {"required", {"name", "arguments"}}});
  return compile({{"anyOf", alternatives}}, "tools");
}

}  // namespace argus::server
