// Function calling and structured output on /v1/chat/completions: tools reach the chat
// template, bad tool input is an OpenAI error naming the field, the model's calls come
// back as message.tool_calls or streamed delta.tool_calls, forced calls and
// response_format are generated valid against their schemas, and schemas outside the
// supported subset are refused by name.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "../common/temp_dir.h"
#include "server/chat_tools.h"
#include "server_fixture.h"
#include "tool_model.h"

using namespace argus;
using json = nlohmann::json;
using ordered = nlohmann::ordered_json;
namespace fs = std::filesystem;

namespace {

using test::tool_model_dir;
using test::tool_template;

test::TestServer& tools_server() {
  static test::TestServer s([] {
    auto o = test::fixture_server_options();
    o.models["tooled"] = tool_model_dir();
    return o;
  }());
  return s;
}

struct Reply {
  int status = 0;
  json body;
  std::string raw;
};

Reply post(const std::string& body) {
  auto r = tools_server().client().Post("/v1/chat/completions", body, "application/json");
  Reply out;
  if (!r) return out;
  out.status = r->status;
  out.raw = r->body;
  out.body = json::parse(r->body, nullptr, false);
  return out;
}
Reply post(const json& body) { return post(body.dump()); }

json user_chat(const std::string& model = "tooled") {
  return {{"model", model}, {"max_tokens", 4}, {"temperature", 0},
          {"messages", {{{"role", "user"}, {"content", "Hi"}}}}};
}

const json kTool = {{"type", "function"},
                    {"function",
                     {{"name", "get_weather"},
                      {"description", "Weather at a place"},
                      {"parameters",
                       {{"type", "object"},
                        {"properties", {{"city", {{"type", "string"}, {"maxLength", 10}}}}},
                        {"required", {"city"}}}}}}};

json with_tools(json body) {
  body["tools"] = json::array({kTool});
  return body;
}

// A 400 whose OpenAI error names `param`.
void expect_refused(const Reply& r, const std::string& param) {
  EXPECT_EQ(r.status, 400) << r.raw;
  ASSERT_TRUE(r.body.is_object() && r.body.contains("error")) << r.raw;
  EXPECT_EQ(r.body["error"]["param"], param) << r.raw;
}

server::ToolRequest hermes_request() {
  return server::tool_request(ordered::parse(with_tools(user_chat()).dump()), tool_template(), "m");
}

}  // namespace

TEST(ServerStructuredOutput, SchemaOutsideTheSubsetIsRefusedByName) {
  json body = user_chat();
  body["response_format"] = {{"type", "json_schema"},
                             {"json_schema", {{"name", "x"}, {"schema", {{"type", "string"}, {"pattern", "^a"}}}}}};
  auto r = post(body);
  expect_refused(r, "response_format.json_schema.schema");
  EXPECT_NE(r.raw.find("'pattern' is not supported"), std::string::npos) << r.raw;
  body["stream"] = true;  // refused before any event, too
  expect_refused(post(body), "response_format.json_schema.schema");
  body = user_chat();
  body["response_format"] = {{"type", "xml"}};
  expect_refused(post(body), "response_format.type");
  body["response_format"] = {{"type", "json_schema"}, {"json_schema", {{"schema", json::object()}}}};
  expect_refused(post(body), "response_format.json_schema.name");
  // A tool whose parameters cannot be forced is refused when a call is forced.
  body = user_chat();
  json t = kTool;
  t["function"]["parameters"]["properties"]["city"]["pattern"] = "^[A-Z]";
  body["tools"] = json::array({t});
  body["tool_choice"] = "required";
  expect_refused(post(body), "tools");
  body["tool_choice"] = {{"type", "function"}, {"function", {{"name", "get_weather"}}}};
  expect_refused(post(body), "tools[0].function.parameters");
  // Both a format and a forced call: refused by name.
  body = with_tools(user_chat());
  body["tool_choice"] = "required";
  body["response_format"] = {{"type", "json_object"}};
  expect_refused(post(body), "response_format");
}

TEST(ServerStructuredOutput, JsonSchemaAndJsonObjectOutputParses) {
  const json schema = json::parse(R"({"type": "object", "properties": {"colour": {"enum": ["red", "blue"]},
      "count": {"type": "integer"}, "names": {"type": "array", "items": {"type": "string", "maxLength": 6}, "maxItems": 2}},
      "required": ["colour", "count"]})");
  json body = user_chat("llava");
  body["max_tokens"] = 64;
  body["temperature"] = 1.0;
  body["seed"] = 3;
  body["response_format"] = {{"type", "json_schema"}, {"json_schema", {{"name", "scene"}, {"strict", true}, {"schema", schema}}}};
  auto r = post(body);
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body["choices"][0]["finish_reason"], "stop") << r.raw;
  json v = json::parse(r.body["choices"][0]["message"]["content"].get<std::string>(), nullptr, false);
  ASSERT_TRUE(v.is_object()) << r.raw;
  EXPECT_TRUE(v["colour"] == "red" || v["colour"] == "blue") << r.raw;
  EXPECT_TRUE(v["count"].is_number_integer()) << r.raw;
  body["response_format"] = {{"type", "json_object"}};
  auto o = post(body);
  ASSERT_EQ(o.status, 200) << o.raw;
  if (o.body["choices"][0]["finish_reason"] == "stop")
    EXPECT_TRUE(json::parse(o.body["choices"][0]["message"]["content"].get<std::string>(), nullptr, false).is_object())
        << o.raw;
  body["response_format"] = {{"type", "text"}};
  EXPECT_EQ(post(body).status, 200);
}

TEST(ServerToolCalls, ForcedCallsFollowTheToolsSchema) {
  // The random fixture never chooses to call; forced, it must, with valid arguments.
  json body = with_tools(user_chat());
  body["max_tokens"] = 64;  // the server's limit; the calls fit well within it
  body["tools"].push_back({{"type", "function"},
                           {"function", {{"name", "get_time"}, {"parameters", {{"type", "object"},
                            {"properties", {{"zone", {{"enum", {"UTC", "CET"}}}}}}, {"required", {"zone"}}}}}}});
  for (const json& choice : {json{{"type", "function"}, {"function", {{"name", "get_time"}}}}, json("required")}) {
    body["tool_choice"] = choice;
    auto r = post(body);
    ASSERT_EQ(r.status, 200) << r.raw;
    const auto& c = r.body["choices"][0];
    EXPECT_EQ(c["finish_reason"], "tool_calls") << r.raw;
    ASSERT_EQ(c["message"]["tool_calls"].size(), 1u) << r.raw;
    const auto& call = c["message"]["tool_calls"][0];
    EXPECT_TRUE(c["message"]["content"].is_null()) << r.raw;
    const std::string name = call["function"]["name"];
    json args = json::parse(call["function"]["arguments"].get<std::string>());
    if (choice.is_object()) EXPECT_EQ(name, "get_time");
    if (name == "get_time") {
      EXPECT_TRUE(args["zone"] == "UTC" || args["zone"] == "CET") << args;
    } else {
      ASSERT_EQ(name, "get_weather");
      EXPECT_TRUE(args["city"].is_string()) << args;
    }
  }
  // Streamed: one call, its name in the first delta, the arguments in fragments that add
  // up to a JSON object.
  body["tool_choice"] = {{"type", "function"}, {"function", {{"name", "get_weather"}}}};
  body["stream"] = true;
  auto st = tools_server().client().Post("/v1/chat/completions", body.dump(), "application/json");
  ASSERT_TRUE(st);
  ASSERT_EQ(st->status, 200) << st->body;
  std::string args, finish;
  int named = 0;
  size_t pos = 0;
  while ((pos = st->body.find("data: ", pos)) != std::string::npos) {
    size_t end = st->body.find("\n\n", pos);
    std::string ev = st->body.substr(pos + 6, end - pos - 6);
    pos = end;
    if (ev == "[DONE]") break;
    const json chunk = json::parse(ev);
    const auto& ch = chunk["choices"][0];
    if (!ch["finish_reason"].is_null()) finish = ch["finish_reason"];
    if (!ch["delta"].contains("tool_calls")) continue;
    const auto& d = ch["delta"]["tool_calls"][0];
    EXPECT_EQ(d["index"], 0);
    if (d["function"].contains("name")) {
      ++named;
      EXPECT_EQ(d["function"]["name"], "get_weather");
      EXPECT_EQ(d["type"], "function");
    }
    args += d["function"].value("arguments", "");
  }
  EXPECT_EQ(named, 1);
  EXPECT_EQ(finish, "tool_calls");
  EXPECT_TRUE(json::parse(args)["city"].is_string()) << args;
}

TEST(ServerTools, BadToolInputIsAnErrorNamingTheField) {
  auto bad_tool = [](json tool) {
    json body = user_chat();
    body["tools"] = json::array({tool});
    return post(body);
  };
  json t = kTool;
  t["type"] = "retrieval";
  expect_refused(bad_tool(t), "tools[0].type");
  t = kTool;
  t["function"]["name"] = "has spaces";
  expect_refused(bad_tool(t), "tools[0].function.name");
  t = kTool;
  t["function"]["parameters"] = {{"type", "string"}};  // not an object schema
  expect_refused(bad_tool(t), "tools[0].function.parameters");
  t = kTool;
  t["function"]["parameters"]["required"] = {"country"};  // not among the properties
  expect_refused(bad_tool(t), "tools[0].function.parameters");
  t = kTool;
  t["function"]["parameters"]["properties"]["city"] = "string";  // a property that is no schema
  expect_refused(bad_tool(t), "tools[0].function.parameters");
  t = kTool;
  t["function"]["frobnicate"] = true;
  expect_refused(bad_tool(t), "tools[0].function.frobnicate");
  // The same name twice.
  json body = user_chat();
  body["tools"] = json::array({kTool, kTool});
  expect_refused(post(body), "tools[1].function.name");
  // tool_choice: unknown names and values, or given without tools.
  body = with_tools(user_chat());
  body["tool_choice"] = {{"type", "function"}, {"function", {{"name", "get_time"}}}};
  expect_refused(post(body), "tool_choice");
  body["tool_choice"] = "sometimes";
  expect_refused(post(body), "tool_choice");
  body = user_chat();
  body["tool_choice"] = "auto";
  expect_refused(post(body), "tool_choice");
  body = with_tools(user_chat());
  body["parallel_tool_calls"] = "yes";
  expect_refused(post(body), "parallel_tool_calls");
  // A template without tool calling cannot take tools (the model would never see them).
  expect_refused(post(with_tools(user_chat("llava"))), "tools");
}

TEST(ServerTools, ToolMessagesMustAnswerAnEarlierCall) {
  json call = {{"id", "call_1"}, {"type", "function"},
               {"function", {{"name", "get_weather"}, {"arguments", "{\"city\": \"Paris\"}"}}}};
  json body = with_tools(user_chat());
  body["messages"] = {{{"role", "user"}, {"content", "Weather in Paris?"}},
                      {{"role", "assistant"}, {"content", nullptr}, {"tool_calls", {call}}},
                      {{"role", "tool"}, {"tool_call_id", "call_1"}, {"content", "22 C"}}};
  auto ok = post(body);
  EXPECT_EQ(ok.status, 200) << ok.raw;
  // An orphan result: no earlier call has its id.
  body["messages"][2]["tool_call_id"] = "call_2";
  expect_refused(post(body), "messages[2].tool_call_id");
  body["messages"][2].erase("tool_call_id");
  expect_refused(post(body), "messages[2].tool_call_id");
  // A call whose arguments are not a JSON object.
  body["messages"][2]["tool_call_id"] = "call_1";
  body["messages"][1]["tool_calls"][0]["function"]["arguments"] = "{not json";
  expect_refused(post(body), "messages[1].tool_calls[0].function.arguments");
  // Without tools in the request, the history's calls and results still render.
  body["messages"][1]["tool_calls"][0]["function"]["arguments"] = "{}";
  body.erase("tools");
  EXPECT_EQ(post(body).status, 200);
}

TEST(ServerTools, ToolsReachTheTemplateInTheClientsKeyOrder) {
  // Same request, with and without tools: the tools' JSON makes the prompt longer by
  // exactly its tokens; and keys sent as "type", "properties" stay in that order (the raw
  // body is what is parsed, not a sorted copy).
  std::string raw = R"({"model": "tooled", "max_tokens": 1, "temperature": 0,
    "messages": [{"role": "user", "content": "Hi"}],
    "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object", "properties": {}}}}]})";
  auto with = post(raw);
  ASSERT_EQ(with.status, 200) << with.raw;
  auto without = post(user_chat());
  ASSERT_EQ(without.status, 200) << without.raw;
  EXPECT_GT(with.body["usage"]["prompt_tokens"].get<int>(), without.body["usage"]["prompt_tokens"].get<int>());
  // tool_choice "none": the model is not shown the tools.
  json none = json::parse(raw);
  none["tool_choice"] = "none";
  none["max_tokens"] = 4;
  auto n = post(none);
  ASSERT_EQ(n.status, 200) << n.raw;
  EXPECT_EQ(n.body["usage"]["prompt_tokens"], without.body["usage"]["prompt_tokens"]);
  EXPECT_FALSE(n.body["choices"][0]["message"].contains("tool_calls"));
}

TEST(ServerToolCalls, ReplyBecomesToolCalls) {
  auto req = hermes_request();
  ASSERT_EQ(req.syntax, text::ToolCallSyntax::Hermes);
  std::string content;
  auto calls = server::reply_tool_calls(
      req, "Checking.<tool_call>{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}</tool_call>", content);
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0]["type"], "function");
  EXPECT_EQ(calls[0]["function"]["name"], "get_weather");
  EXPECT_EQ(calls[0]["function"]["arguments"], "{\"city\":\"Paris\"}");  // a JSON string
  EXPECT_EQ(calls[0]["id"].get<std::string>().rfind("call_", 0), 0u);
  EXPECT_EQ(content, "Checking.");
  // A function it was not given stays text.
  const std::string other = "<tool_call>{\"name\": \"launch\", \"arguments\": {}}</tool_call>";
  EXPECT_TRUE(server::reply_tool_calls(req, other, content).empty());
  EXPECT_EQ(content, other);
  // parallel_tool_calls false: one call at most.
  const std::string two = "<tool_call>{\"name\": \"get_weather\", \"arguments\": {\"city\": \"A\"}}</tool_call>"
                          "<tool_call>{\"name\": \"get_weather\", \"arguments\": {\"city\": \"B\"}}</tool_call>";
  EXPECT_EQ(server::reply_tool_calls(req, two, content).size(), 2u);
  req.parallel = false;
  EXPECT_EQ(server::reply_tool_calls(req, two, content).size(), 1u);
  // tool_choice none: never parsed.
  req.choice = "none";
  EXPECT_TRUE(server::reply_tool_calls(req, two, content).empty());
}

TEST(ServerToolCalls, StreamHoldsBackWhatMayBeACall) {
  auto req = hermes_request();
  server::ToolCallStream s(req);
  std::string shown;
  for (const char* piece : {"Let me ", "look.<to", "ol_call>{\"name\": \"get_weather\", ", "\"arguments\": {\"city\": \"Rome\"}}",
                            "</tool_call>"})
    shown += s.push(piece);
  EXPECT_EQ(shown, "Let me look.");  // "<to" was held until it turned out to be the marker
  auto end = s.finish();
  EXPECT_EQ(end.content, "");
  ASSERT_EQ(end.tool_calls.size(), 1u);
  // OpenAI's delta shape: index, id, type and name first (arguments ""), then fragments.
  auto deltas = server::tool_call_deltas(end.tool_calls);
  ASSERT_GE(deltas.size(), 2u);
  const auto& first = deltas[0]["tool_calls"][0];
  EXPECT_EQ(first["index"], 0);
  EXPECT_EQ(first["id"], end.tool_calls[0]["id"]);
  EXPECT_EQ(first["type"], "function");
  EXPECT_EQ(first["function"]["name"], "get_weather");
  EXPECT_EQ(first["function"]["arguments"], "");
  std::string args;
  for (size_t i = 1; i < deltas.size(); ++i) {
    EXPECT_FALSE(deltas[i]["tool_calls"][0].contains("id"));
    args += deltas[i]["tool_calls"][0]["function"]["arguments"].get<std::string>();
  }
  EXPECT_EQ(args, "{\"city\":\"Rome\"}");

  // A held prefix that turns out not to be a call is shown after all; a marker that does
  // not parse comes back as content at the end.
  server::ToolCallStream t(req);
  EXPECT_EQ(t.push("a <to"), "a ");
  EXPECT_EQ(t.push("p>"), "<top>");
  EXPECT_EQ(t.push("<tool_call>{broken"), "");
  auto e = t.finish();
  EXPECT_TRUE(e.tool_calls.empty());
  EXPECT_EQ(e.content, "<tool_call>{broken");
}

TEST(ServerToolCalls, StreamedAnswerWithToolsStillAddsUp) {
  // The random fixture calls no tool; with tools given, the streamed deltas still add up to
  // the non-streamed answer and end in [DONE].
  json body = with_tools(user_chat());
  body["max_tokens"] = 6;
  auto plain = post(body);
  ASSERT_EQ(plain.status, 200) << plain.raw;
  body["stream"] = true;
  auto st = tools_server().client().Post("/v1/chat/completions", body.dump(), "application/json");
  ASSERT_TRUE(st);
  ASSERT_EQ(st->status, 200) << st->body;
  std::string text;
  size_t pos = 0;
  std::string last;
  while ((pos = st->body.find("data: ", pos)) != std::string::npos) {
    size_t end = st->body.find("\n\n", pos);
    last = st->body.substr(pos + 6, end - pos - 6);
    pos = end;
    if (last == "[DONE]") break;
    text += json::parse(last)["choices"][0]["delta"].value("content", "");
  }
  EXPECT_EQ(last, "[DONE]");
  const auto& msg = plain.body["choices"][0]["message"];
  if (!msg.contains("tool_calls")) EXPECT_EQ(text, msg["content"].get<std::string>());
}
