#include "text/tool_calls.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "text/python_call.h"

namespace argus::text {

namespace {

using ordered = nlohmann::ordered_json;

constexpr const char* kSpace = " \t\r\n";

std::string trim(const std::string& s) {
  const size_t b = s.find_first_not_of(kSpace);
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(kSpace) - b + 1);
}

// {"name": str, <args_key>: object} (args may also be a string holding a JSON object, as
// some fine-tunes write them) -> a call; anything else -> false.
bool call_from(const ordered& j, ParsedToolCall& out) {
  if (!j.is_object() || !j.contains("name") || !j["name"].is_string() || j["name"].get<std::string>().empty())
    return false;
  const ordered* args = nullptr;
  for (const char* key : {"arguments", "parameters"})
    if (auto it = j.find(key); it != j.end()) args = &*it;
  ordered a = args ? *args : ordered::object();
  if (a.is_string()) a = ordered::parse(a.get<std::string>(), nullptr, false);
  if (!a.is_object()) return false;
  out.name = j["name"].get<std::string>();
  out.arguments = a.dump();
  return true;
}

bool parse_json(const std::string& s, ordered& out) {
  out = ordered::parse(s, nullptr, false);
  return !out.is_discarded();
}

// <tool_call> JSON </tool_call> blocks; a last block may lack its closing tag when the
// answer ended (eos or a length limit) right after the JSON.
ParsedReply parse_hermes(const std::string& text) {
  static const std::string kOpen = "<tool_call>", kClose = "</tool_call>";
  ParsedReply r;
  std::string rest;
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t open = text.find(kOpen, pos);
    if (open == std::string::npos) break;
    const size_t body = open + kOpen.size();
    const size_t close = text.find(kClose, body);
    const size_t end = close == std::string::npos ? text.size() : close + kClose.size();
    ordered j;
    ParsedToolCall call;
    if (parse_json(text.substr(body, (close == std::string::npos ? text.size() : close) - body), j) &&
        call_from(j, call)) {
      rest += text.substr(pos, open - pos);
      r.tool_calls.push_back(std::move(call));
    } else {
      rest += text.substr(pos, end - pos);  // not a call: it stays text
    }
    pos = end;
  }
  rest += text.substr(std::min(pos, text.size()));
  r.content = r.tool_calls.empty() ? text : trim(rest);
  return r;
}

// The whole answer is the calls: one JSON object, or several joined by ';'.
ParsedReply parse_llama3(const std::string& text) {
  ParsedReply r;
  std::string body = trim(text);
  static const std::string kTag = "<|python_tag|>";
  const bool tagged = body.compare(0, kTag.size(), kTag) == 0;
  if (tagged) body = trim(body.substr(kTag.size()));
  std::vector<ParsedToolCall> calls;
  ordered j;
  if (tagged && !body.empty() && body[0] != '{') {
    // A built-in tool: name.call(keyword=literal, ...).
    if (auto pc = parse_python_call(body)) calls.push_back({pc->name, pc->arguments.dump()});
  } else if (parse_json(body, j)) {
    ParsedToolCall c;
    if (call_from(j, c)) calls.push_back(std::move(c));
  } else {
    // ';' may also sit inside a string; a split that breaks a value fails to parse and the
    // answer stays text, which is the safe side.
    size_t start = 0;
    while (start <= body.size()) {
      size_t semi = body.find(';', start);
      std::string part = trim(body.substr(start, semi == std::string::npos ? std::string::npos : semi - start));
      ParsedToolCall c;
      if (part.empty() || !parse_json(part, j) || !call_from(j, c)) {
        calls.clear();
        break;
      }
      calls.push_back(std::move(c));
      if (semi == std::string::npos) break;
      start = semi + 1;
    }
  }
  if (calls.empty()) {
    r.content = text;
  } else {
    r.tool_calls = std::move(calls);
  }
  return r;
}

// Text, then [TOOL_CALLS] and a JSON list of calls.
ParsedReply parse_mistral(const std::string& text) {
  static const std::string kTag = "[TOOL_CALLS]";
  ParsedReply r;
  r.content = text;
  const size_t at = text.find(kTag);
  if (at == std::string::npos) return r;
  ordered j;
  if (!parse_json(trim(text.substr(at + kTag.size())), j)) return r;
  if (j.is_object()) j = ordered::array({j});
  if (!j.is_array() || j.empty()) return r;
  std::vector<ParsedToolCall> calls;
  for (const auto& item : j) {
    ParsedToolCall c;
    if (!call_from(item, c)) return r;
    calls.push_back(std::move(c));
  }
  r.tool_calls = std::move(calls);
  r.content = trim(text.substr(0, at));
  return r;
}

}  // namespace

ToolCallSyntax tool_call_syntax_of(const std::string& src) {
  if (src.find("[TOOL_CALLS]") != std::string::npos) return ToolCallSyntax::Mistral;
  if (src.find("<tool_call>") != std::string::npos) return ToolCallSyntax::Hermes;
  // Llama 3.1+ print past calls as {"name": ..., "parameters": ...} in an assistant header.
  if (src.find("<|python_tag|>") != std::string::npos ||
      (src.find("<|start_header_id|>") != std::string::npos && src.find("\"parameters\": ") != std::string::npos))
    return ToolCallSyntax::Llama3;
  return ToolCallSyntax::None;
}

const char* tool_call_syntax_name(ToolCallSyntax s) {
  switch (s) {
    case ToolCallSyntax::Hermes: return "hermes";
    case ToolCallSyntax::Llama3: return "llama3";
    case ToolCallSyntax::Mistral: return "mistral";
    case ToolCallSyntax::None: break;
  }
  return "none";
}

ParsedReply parse_tool_calls(const std::string& text, ToolCallSyntax syntax) {
  switch (syntax) {
    case ToolCallSyntax::Hermes: return parse_hermes(text);
    case ToolCallSyntax::Llama3: return parse_llama3(text);
    case ToolCallSyntax::Mistral: return parse_mistral(text);
    case ToolCallSyntax::None: break;
  }
  return {text, {}};
}

}  // namespace argus::text
