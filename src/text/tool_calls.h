// Tool calls in a model's output. Each family writes its calls its own way, the way its
// chat template prints past calls, so the syntax is read off the template:
//   hermes   <tool_call>{"name": ..., "arguments": {...}}</tool_call>, one block per call
//            (Qwen2/2.5, Hermes 2 Pro / 3, and other ChatML tool templates)
//   llama3   {"name": ..., "parameters": {...}}, the whole answer, after an optional
//            <|python_tag|>; several calls separated by ';' (Llama 3.1+); a built-in
//            tool's <|python_tag|>brave_search.call(query="...") (text/python_call)
//   mistral  [TOOL_CALLS] [{"name": ..., "arguments": {...}}, ...] (Mistral v0.3 tool tokens)
// Text that looks like a call but does not parse as one stays text: a reply is never
// turned into a call the model did not make.
#pragma once
#include <string>
#include <vector>

namespace argus::text {

enum class ToolCallSyntax { None, Hermes, Llama3, Mistral };

// The syntax a chat template's source prints tool calls in; None when it prints none.
ToolCallSyntax tool_call_syntax_of(const std::string& template_source);
const char* tool_call_syntax_name(ToolCallSyntax s);

struct ParsedToolCall {
  std::string name;
  std::string arguments;  // a JSON object as text, keys in the model's order
};

struct ParsedReply {
  std::string content;  // the text outside the calls (trimmed when there are calls)
  std::vector<ParsedToolCall> tool_calls;
};

ParsedReply parse_tool_calls(const std::string& text, ToolCallSyntax syntax);

}  // namespace argus::text
