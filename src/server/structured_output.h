// Constrained output on /v1/chat/completions: `response_format` (json_object, or
// json_schema with its schema compiled to a grammar; text = none) and the grammar that
// tool_choice "required" / a named function imposes (the call's arguments forced to the
// tool's parameter schema).
#pragma once
#include <memory>

#include <nlohmann/json.hpp>

#include "server/chat_tools.h"
#include "text/constrain/json_schema_grammar.h"

namespace argus::server {

// Null for no response_format or {"type": "text"}; a 400 naming the field for anything
// malformed or outside the supported schema subset.
std::shared_ptr<const text::constrain::JsonGrammar> response_format_grammar(const nlohmann::ordered_json& body);

// Null unless the request forces a call. Named: the output is the function's arguments
// (an object valid against its parameters). Required: {"name": one of the tools,
// "arguments": {...}}, any tool's name with that tool's parameters.
std::shared_ptr<const text::constrain::JsonGrammar> forced_call_grammar(const ToolRequest& req);

}  // namespace argus::server
