// Checking a value against a JSON schema: the arguments a tool caller (an LLM, an MCP
// client) sends are untrusted, so each is checked before the tool runs. The subset is
// the one the tools' schemas use: type (one or a list), properties, required,
// additionalProperties false, enum, const, items, minItems / maxItems,
// minLength / maxLength, minimum / maximum. Annotations (description, title, default,
// examples) are ignored; any other keyword in the schema is an argus::Error naming it,
// so a schema cannot promise a check that is not made.
#pragma once
#include <string>

#include <nlohmann/json_fwd.hpp>

namespace argus::text::constrain {

// "" when `value` is valid, else one line naming the first failing place
// ("box[2]: expected a number, got a string"). `root` names the value itself in
// messages about it ("arguments").
std::string schema_violation(const nlohmann::json& value, const nlohmann::json& schema,
                             const std::string& root = "arguments");

}  // namespace argus::text::constrain
