#include "server/chat_tools.h"

#include <algorithm>
#include <random>

#include <fmt/format.h>

#include "server/api_error.h"

namespace argus::server {

namespace {

using ordered = nlohmann::ordered_json;

// OpenAI's rule for function names: a-z, A-Z, 0-9, underscores and dashes, at most 64.
bool valid_function_name(const std::string& n) {
  return !n.empty() && n.size() <= 64 && std::all_of(n.begin(), n.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
         });
}

template <class Json>
void only_keys(const Json& obj, std::initializer_list<const char*> known, const std::string& where) {
  for (auto it = obj.begin(); it != obj.end(); ++it)
    if (std::none_of(known.begin(), known.end(), [&](const char* k) { return it.key() == k; }))
      bad_request(fmt::format("Unrecognized request argument supplied: {}.{}", where, it.key()),
                  where + "." + it.key());
}

// A function's parameters: OpenAI requires an object schema; properties must be schemas
// and required must name properties.
void check_parameters(const ordered& p, const std::string& where, const std::string& fn) {
  auto invalid = [&](const std::string& why) {
    bad_request(fmt::format("Invalid schema for function '{}': {}", fn, why), where);
  };
  if (!p.is_object()) invalid("parameters must be a JSON Schema object");
  if (auto t = p.find("type"); t != p.end() && *t != "object")
    invalid(fmt::format("schema must be a JSON Schema of 'type: \"object\"', got 'type: {}'", t->dump()));
  auto props = p.find("properties");
  if (props != p.end()) {
    if (!props->is_object()) invalid("'properties' must be an object");
    for (auto it = props->begin(); it != props->end(); ++it)
      if (!it.value().is_object() && !it.value().is_boolean())
        invalid(fmt::format("property '{}' must be a schema (an object), not {}", it.key(), it.value().dump()));
  }
  if (auto req = p.find("required"); req != p.end()) {
    if (!req->is_array()) invalid("'required' must be a list of property names");
    for (const auto& r : *req)
      if (!r.is_string() || props == p.end() || !props->contains(r.get<std::string>()))
        invalid(fmt::format("'required' names {}, which is not among its properties", r.dump()));
  }
}

std::string new_call_id() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  return fmt::format("call_{:016x}", rng());
}

// Where a call may begin in the text so far, for the syntax: npos when none can.
size_t call_start(const std::string& text, text::ToolCallSyntax syntax, bool& partial) {
  partial = false;
  if (syntax == text::ToolCallSyntax::Llama3) {
    // The whole answer is the call: it starts with '{' or the python tag.
    static const std::string kTag = "<|python_tag|>";
    const size_t b = text.find_first_not_of(" \t\r\n");
    if (b == std::string::npos) {
      partial = true;  // only whitespace yet
      return 0;
    }
    if (text[b] == '{') return 0;
    const std::string head = text.substr(b, kTag.size());
    if (kTag.compare(0, head.size(), head) == 0) {
      partial = head.size() < kTag.size();
      return 0;
    }
    return std::string::npos;
  }
  const std::string marker = syntax == text::ToolCallSyntax::Mistral ? "[TOOL_CALLS]" : "<tool_call>";
  if (size_t at = text.find(marker); at != std::string::npos) return at;
  // A prefix of the marker at the very end: hold it back until the next piece says.
  for (size_t n = std::min(marker.size() - 1, text.size()); n > 0; --n)
    if (text.compare(text.size() - n, n, marker, 0, n) == 0) {
      partial = true;
      return text.size() - n;
    }
  return std::string::npos;
}

}  // namespace

ToolRequest tool_request(const ordered& body, const std::string& template_source, const std::string& model_name) {
  ToolRequest r;
  auto tools = body.find("tools");
  if (tools != body.end() && !tools->is_null()) {
    if (!tools->is_array()) bad_request("'tools' must be an array of {\"type\": \"function\", \"function\": {...}}", "tools");
    if (tools->size() > 128) bad_request("at most 128 tools", "tools");
    for (size_t i = 0; i < tools->size(); ++i) {
      const auto& t = (*tools)[i];
      const std::string where = fmt::format("tools[{}]", i);
      if (!t.is_object()) bad_request(where + " must be an object", where);
      only_keys(t, {"type", "function"}, where);
      if (!t.contains("type") || t["type"] != "function")
        bad_request(where + ".type must be \"function\" (the only tool type)", where + ".type");
      auto f = t.find("function");
      if (f == t.end() || !f->is_object()) bad_request(where + ".function must be an object", where + ".function");
      only_keys(*f, {"name", "description", "parameters", "strict"}, where + ".function");
      auto n = f->find("name");
      if (n == f->end() || !n->is_string() || !valid_function_name(n->get<std::string>()))
        bad_request(where + ".function.name must be 1-64 letters, digits, '_' or '-'", where + ".function.name");
      const std::string name = n->get<std::string>();
      if (std::find(r.names.begin(), r.names.end(), name) != r.names.end())
        bad_request(fmt::format("{}: function name '{}' is given twice", where, name), where + ".function.name");
      if (auto d = f->find("description"); d != f->end() && !d->is_string())
        bad_request(where + ".function.description must be a string", where + ".function.description");
      if (auto s = f->find("strict"); s != f->end() && !s->is_boolean() && !s->is_null())
        bad_request(where + ".function.strict must be a boolean", where + ".function.strict");
      if (auto p = f->find("parameters"); p != f->end()) check_parameters(*p, where + ".function.parameters", name);
      r.names.push_back(name);
    }
    if (!r.names.empty()) r.tools = *tools;
  }
  if (auto c = body.find("tool_choice"); c != body.end() && !c->is_null()) {
    if (r.names.empty()) bad_request("'tool_choice' is only allowed when 'tools' are specified", "tool_choice");
    if (c->is_string()) {
      r.choice = c->get<std::string>();
      if (r.choice != "none" && r.choice != "auto" && r.choice != "required")
        bad_request(fmt::format("tool_choice \"{}\" is not one of none, auto, required or "
                                "{{\"type\": \"function\", \"function\": {{\"name\": ...}}}}", r.choice),
                    "tool_choice");
    } else if (c->is_object() && c->value("type", "") == "function" && c->contains("function") &&
               (*c)["function"].is_object() && (*c)["function"].contains("name") &&
               (*c)["function"]["name"].is_string()) {
      const std::string name = (*c)["function"]["name"].get<std::string>();
      if (std::find(r.names.begin(), r.names.end(), name) == r.names.end())
        bad_request(fmt::format("tool_choice names function '{}', which is not among 'tools'", name),
                    "tool_choice");
      r.choice = "function:" + name;
    } else {
      bad_request("'tool_choice' must be \"none\", \"auto\", \"required\" or "
                  "{\"type\": \"function\", \"function\": {\"name\": ...}}",
                  "tool_choice");
    }
  }
  if (auto p = body.find("parallel_tool_calls"); p != body.end() && !p->is_null()) {
    if (!p->is_boolean()) bad_request("'parallel_tool_calls' must be a boolean", "parallel_tool_calls");
    r.parallel = p->get<bool>();
  }
  if (!r.names.empty()) {
    r.syntax = text::tool_call_syntax_of(template_source);
    if (r.syntax == text::ToolCallSyntax::None)
      bad_request(fmt::format("the chat template of model `{}` has no tool calling (it prints no tool calls), so it "
                              "cannot take 'tools'",
                              model_name),
                  "tools");
  }
  return r;
}

void add_tool_fields(const nlohmann::json& m, const std::string& where, ordered& out,
                     std::vector<std::string>& known_ids) {
  const std::string role = out.value("role", "");
  if (role == "assistant") {
    auto calls = m.find("tool_calls");
    if (calls == m.end() || calls->is_null()) return;
    if (!calls->is_array() || calls->empty())
      bad_request(where + ".tool_calls must be a non-empty array", where + ".tool_calls");
    ordered list = ordered::array();
    for (size_t k = 0; k < calls->size(); ++k) {
      const auto& c = (*calls)[k];
      const std::string cw = fmt::format("{}.tool_calls[{}]", where, k);
      if (!c.is_object() || !c.contains("id") || !c["id"].is_string() || !c.contains("function") ||
          !c["function"].is_object())
        bad_request(cw + " must be {\"id\", \"type\": \"function\", \"function\": {\"name\", \"arguments\"}}", cw);
      const auto& f = c["function"];
      if (!f.contains("name") || !f["name"].is_string()) bad_request(cw + ".function.name is required", cw + ".function.name");
      // The API sends arguments as a JSON string; templates print them with tojson and
      // expect the object (as transformers' apply_chat_template documents).
      ordered args = ordered::object();
      if (auto a = f.find("arguments"); a != f.end() && a->is_string()) {
        args = ordered::parse(a->get<std::string>(), nullptr, false);
        if (args.is_discarded() || !args.is_object())
          bad_request(cw + ".function.arguments must be a JSON object (as a string)", cw + ".function.arguments");
      } else if (a != f.end() && a->is_object()) {
        args = *a;
      } else if (a != f.end()) {
        bad_request(cw + ".function.arguments must be a JSON string", cw + ".function.arguments");
      }
      const std::string id = c["id"].get<std::string>();
      known_ids.push_back(id);
      list.push_back({{"id", id}, {"type", "function"}, {"function", {{"name", f["name"]}, {"arguments", args}}}});
    }
    out["tool_calls"] = std::move(list);
  } else if (role == "tool") {
    auto id = m.find("tool_call_id");
    if (id == m.end() || !id->is_string())
      bad_request(where + ".tool_call_id is required for a tool message", where + ".tool_call_id");
    if (std::find(known_ids.begin(), known_ids.end(), id->get<std::string>()) == known_ids.end())
      bad_request(fmt::format("{}.tool_call_id '{}' answers no tool call of an earlier assistant message", where,
                              id->get<std::string>()),
                  where + ".tool_call_id");
    out["tool_call_id"] = *id;
  }
}

nlohmann::json reply_tool_calls(const ToolRequest& req, const std::string& text, std::string& content) {
  content = text;
  if (!req.active()) return nlohmann::json::array();
  if (req.forced()) {
    // Constrained output: complete JSON unless the answer was cut short (then it stays text).
    auto j = ordered::parse(text, nullptr, false);
    std::string name = req.choice.rfind("function:", 0) == 0 ? req.choice.substr(9) : "";
    if (name.empty() && j.is_object() && j.contains("name") && j["name"].is_string()) {
      name = j["name"].get<std::string>();
      j = j.value("arguments", ordered());
    }
    if (name.empty() || !j.is_object()) return nlohmann::json::array();
    content.clear();
    return nlohmann::json::array(
        {{{"id", new_call_id()}, {"type", "function"}, {"function", {{"name", name}, {"arguments", j.dump()}}}}});
  }
  auto parsed = text::parse_tool_calls(text, req.syntax);
  nlohmann::json calls = nlohmann::json::array();
  for (const auto& c : parsed.tool_calls)
    if (std::find(req.names.begin(), req.names.end(), c.name) == req.names.end())
      return calls;  // a function it was not given: the answer stays text
  for (const auto& c : parsed.tool_calls) {
    calls.push_back({{"id", new_call_id()}, {"type", "function"}, {"function", {{"name", c.name}, {"arguments", c.arguments}}}});
    if (!req.parallel) break;
  }
  if (!calls.empty()) content = parsed.content;
  return calls;
}

std::string ToolCallStream::push(const std::string& piece) {
  text_ += piece;
  if (req_.forced()) holding_ = true;  // the whole answer is the call
  if (holding_) return "";
  if (!req_.active()) {
    shown_ = text_.size();
    return piece;
  }
  bool partial = false;
  const size_t at = call_start(text_, req_.syntax, partial);
  const size_t upto = at == std::string::npos ? text_.size() : std::max(at, shown_);
  if (at != std::string::npos && !partial) holding_ = true;
  std::string out = text_.substr(shown_, upto - shown_);
  shown_ = upto;
  return out;
}

ToolCallStream::End ToolCallStream::finish() {
  End e;
  std::string content;
  e.tool_calls = reply_tool_calls(req_, text_, content);
  if (e.tool_calls.empty()) {
    e.content = text_.substr(shown_);  // held text that was no call after all
  } else {
    // Text before the call was shown already; what the parse kept beyond it is sent now.
    const std::string sent = text_.substr(0, shown_);
    e.content = content.compare(0, sent.size(), sent) == 0 ? content.substr(sent.size()) : "";
  }
  return e;
}

std::vector<nlohmann::json> tool_call_deltas(const nlohmann::json& tool_calls) {
  std::vector<nlohmann::json> out;
  constexpr size_t kFragment = 24;  // arguments arrive in pieces, as a model writes them
  for (size_t i = 0; i < tool_calls.size(); ++i) {
    const auto& c = tool_calls[i];
    out.push_back({{"tool_calls",
                    {{{"index", i},
                      {"id", c["id"]},
                      {"type", "function"},
                      {"function", {{"name", c["function"]["name"]}, {"arguments", ""}}}}}}});
    const std::string args = c["function"]["arguments"].get<std::string>();
    for (size_t pos = 0; pos < args.size();) {
      size_t n = std::min(kFragment, args.size() - pos);
      // Never split a UTF-8 sequence: end a fragment before a continuation byte.
      while (pos + n < args.size() && (static_cast<unsigned char>(args[pos + n]) & 0xC0) == 0x80) ++n;
      out.push_back({{"tool_calls", {{{"index", i}, {"function", {{"arguments", args.substr(pos, n)}}}}}}});
      pos += n;
    }
  }
  return out;
}

}  // namespace argus::server
