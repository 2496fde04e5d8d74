// Llama 3.1's built-in tool calls: after <|python_tag|> the model writes a Python call,
// `brave_search.call(query="weather in Paris")`, the way the chat template prints a past
// call to a built-in tool (brave_search, wolfram_alpha, code_interpreter). Only that
// shape is read: a name, `.call(`, keyword arguments whose values are Python literals
// (strings with their escapes, integers, floats, True/False/None), `)`. Anything else —
// positional arguments, expressions, raw code — is not a call.
#pragma once
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace argus::text {

struct PythonCall {
  std::string name;
  nlohmann::ordered_json arguments;  // keyword -> value, in the model's order
};

std::optional<PythonCall> parse_python_call(const std::string& text);

}  // namespace argus::text
