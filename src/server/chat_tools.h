// Function calling on /v1/chat/completions, as OpenAI defines it: the request's `tools`,
// `tool_choice` and `parallel_tool_calls` checked and handed to the chat template; the
// history's assistant `tool_calls` and `role: "tool"` results put in the form transformers'
// templates expect; the model's calls parsed back (text/tool_calls.h) into
// `message.tool_calls`, or streamed as `delta.tool_calls` chunks.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "text/tool_calls.h"

namespace argus::server {

struct ToolRequest {
  nlohmann::ordered_json tools;  // the request's tools, in its key order; null when none
  std::vector<std::string> names;
  std::string choice = "auto";  // "auto", "none", "required" or "function:NAME"
  bool parallel = true;
  text::ToolCallSyntax syntax = text::ToolCallSyntax::None;
  // Whether calls are parsed out of the answer.
  bool active() const { return !names.empty() && choice != "none"; }
  // A call is forced: the answer is generated as JSON (structured_output.h) and is the call.
  bool forced() const { return active() && choice != "auto"; }
};

// Validates tools / tool_choice / parallel_tool_calls (each error names its field).
// `template_source` is the model's chat template: tools are refused when it prints none,
// since the model would never see them.
ToolRequest tool_request(const nlohmann::ordered_json& body, const std::string& template_source,
                         const std::string& model_name);

// One OpenAI message's tool parts for the template, checked: an assistant's `tool_calls`
// (function.arguments, a JSON string in the API, becomes the object templates print with
// tojson) and a tool message's `tool_call_id`, which must name a call made earlier.
// `known_ids` collects the calls seen so far.
void add_tool_fields(const nlohmann::json& message, const std::string& where, nlohmann::ordered_json& out,
                     std::vector<std::string>& known_ids);

// The answer's calls as OpenAI's `message.tool_calls`, or empty when it made none (or
// named a function it was not given, or several where parallel calls are off: then
// only the first is kept). `content` becomes the text outside the calls. A forced
// call's answer is its JSON: the arguments (named), or {"name", "arguments"} (required).
nlohmann::json reply_tool_calls(const ToolRequest& req, const std::string& text, std::string& content);

// Streaming: content is sent as it comes until the text may be turning into a call
// (the syntax's opening marker, or a prefix of it at the end); from there it is held
// until the answer ends and is then sent as tool_calls chunks, or as content after all
// if it did not parse as calls.
class ToolCallStream {
 public:
  explicit ToolCallStream(const ToolRequest& req) : req_(req) {}
  // The part of `piece` that can be shown as content now.
  std::string push(const std::string& piece);
  // At the end: the held text that is content after all (empty when it was calls).
  struct End {
    std::string content;
    nlohmann::json tool_calls = nlohmann::json::array();
  };
  End finish();

 private:
  const ToolRequest& req_;
  std::string text_;       // everything so far
  size_t shown_ = 0;       // bytes of text_ sent as content
  bool holding_ = false;   // a call may have started: nothing more is shown
};

// The delta.tool_calls chunks of calls, as OpenAI streams them: per call one with index,
// id, type and name (arguments ""), then its arguments in fragments.
std::vector<nlohmann::json> tool_call_deltas(const nlohmann::json& tool_calls);

}  // namespace argus::server
