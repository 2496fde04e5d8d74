// The MCP server's protocol layer on a stand-in tool provider: initialize and version
// negotiation, tools/list and tools/call, and every protocol error a client can cause
// answered with its JSON-RPC code (and the request's id where it could be read).
#include <gtest/gtest.h>

#include <unistd.h>

#include <string>

#include <nlohmann/json.hpp>

#include "mcp/jsonrpc.h"
#include "mcp/mcp_session.h"
#include "mcp/stdio_transport.h"

using json = nlohmann::json;
using namespace argus::mcp;

namespace {

class EchoTools : public ToolProvider {
 public:
  json list_tools() override {
    return json::array({{{"name", "echo"}, {"description", "echoes"}, {"inputSchema", {{"type", "object"}}}}});
  }
  bool has_tool(const std::string& name) override { return name == "echo"; }
  json call_tool(const std::string&, const json& arguments) override {
    ++calls;
    if (arguments.contains("fail")) return {{"content", {{{"type", "text"}, {"text", "it failed"}}}}, {"isError", true}};
    return {{"content", {{{"type", "text"}, {"text", arguments.dump()}}}}, {"structuredContent", arguments}};
  }
  int calls = 0;
};

json ask(McpSession& s, const std::string& line) {
  auto out = s.handle_line(line);
  if (!out) return nullptr;
  EXPECT_EQ(out->find('\n'), std::string::npos);  // one message per line
  return json::parse(*out);
}

json init_line(const std::string& version = "2025-06-18") {
  return {{"jsonrpc", "2.0"}, {"id", 1}, {"method", "initialize"},
          {"params", {{"protocolVersion", version}, {"capabilities", json::object()},
                      {"clientInfo", {{"name", "t"}, {"version", "0"}}}}}};
}

struct Session {
  EchoTools tools;
  McpSession s{tools, "argus", "1.0"};
  Session() { ask(s, init_line().dump()); }
};

}  // namespace

TEST(McpSession, InitializeNegotiatesTheVersion) {
  EchoTools tools;
  McpSession s(tools, "argus", "1.0");
  json r = ask(s, init_line("2025-03-26").dump());
  EXPECT_EQ(r["id"], 1);
  EXPECT_EQ(r["result"]["protocolVersion"], "2025-03-26");  // one argus speaks: the client's
  EXPECT_TRUE(r["result"]["capabilities"].contains("tools"));
  EXPECT_EQ(r["result"]["serverInfo"]["name"], "argus");
  r = ask(s, init_line("1999-01-01").dump());
  EXPECT_EQ(r["result"]["protocolVersion"], kProtocolVersions[0]);  // else argus's newest
  // The initialized notification gets no answer.
  EXPECT_EQ(ask(s, R"({"jsonrpc":"2.0","method":"notifications/initialized"})"), nullptr);
}

TEST(McpSession, ListsAndCallsTools) {
  Session t;
  json r = ask(t.s, R"({"jsonrpc":"2.0","id":"a","method":"tools/list"})");
  EXPECT_EQ(r["id"], "a");
  ASSERT_EQ(r["result"]["tools"].size(), 1u);
  EXPECT_EQ(r["result"]["tools"][0]["name"], "echo");
  r = ask(t.s, R"({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo","arguments":{"x":1}}})");
  EXPECT_EQ(r["result"]["structuredContent"]["x"], 1);
  r = ask(t.s, R"({"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"echo","arguments":{"fail":1}}})");
  EXPECT_EQ(r["result"]["isError"], true);  // a tool's failure is a result, not a protocol error
  EXPECT_EQ(ask(t.s, R"({"jsonrpc":"2.0","id":4,"method":"ping"})")["result"], json::object());
}

TEST(McpSession, AnswersProtocolErrorsWithTheirCodes) {
  Session t;
  auto code = [&](const std::string& line) { return ask(t.s, line)["error"]["code"].get<int>(); };
  EXPECT_EQ(code("this is not json"), kParseError);
  EXPECT_EQ(code(R"({"jsonrpc":"2.0","id":1,"method":"x"}trailing)"), kParseError);
  EXPECT_EQ(code(R"([{"jsonrpc":"2.0","id":1,"method":"ping"}])"), kInvalidRequest);  // no batches
  EXPECT_EQ(code(R"({"id":1,"method":"ping"})"), kInvalidRequest);                    // no "jsonrpc"
  EXPECT_EQ(code(R"({"jsonrpc":"2.0","id":{"a":1},"method":"ping"})"), kInvalidRequest);
  EXPECT_EQ(code(R"({"jsonrpc":"2.0","id":1,"method":7})"), kInvalidRequest);
  EXPECT_EQ(code(R"({"jsonrpc":"2.0","id":1,"method":"ping","params":[1]})"), kInvalidRequest);
  EXPECT_EQ(code(R"({"jsonrpc":"2.0","id":1,"method":"resources/list"})"), kMethodNotFound);
  EXPECT_EQ(code(R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"nope"}})"), kInvalidParams);
  EXPECT_EQ(code(R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{}})"), kInvalidParams);
  EXPECT_EQ(code(R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":[1]}})"),
            kInvalidParams);
  EXPECT_EQ(code(R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{}})"), kInvalidParams);
  EXPECT_EQ(t.tools.calls, 0);  // none of these reached the tool
  // The id is echoed where it could be read, null where it could not.
  EXPECT_EQ(ask(t.s, R"({"jsonrpc":"2.0","id":9,"method":"resources/list"})")["id"], 9);
  EXPECT_TRUE(ask(t.s, "{not json")["id"].is_null());
}

TEST(McpSession, RefusesToolsBeforeInitialize) {
  EchoTools tools;
  McpSession s(tools, "argus", "1.0");
  EXPECT_EQ(ask(s, R"({"jsonrpc":"2.0","id":1,"method":"tools/list"})")["error"]["code"], kInvalidRequest);
  EXPECT_EQ(ask(s, R"({"jsonrpc":"2.0","id":2,"method":"ping"})")["result"], json::object());  // ping is always fine
}

TEST(McpSession, IgnoresBlankLinesAndResponses) {
  Session t;
  EXPECT_FALSE(t.s.handle_line("").has_value());
  EXPECT_FALSE(t.s.handle_line("  \r").has_value());
  EXPECT_FALSE(t.s.handle_line(R"({"jsonrpc":"2.0","id":5,"result":{}})").has_value());
}

namespace {

// Runs serve_stdio over pipes on `input` and returns what it wrote.
std::string serve(const std::string& input, size_t max_line, int* rc = nullptr) {
  int in[2], out[2];
  EXPECT_EQ(::pipe(in), 0);
  EXPECT_EQ(::pipe(out), 0);
  EXPECT_EQ(::write(in[1], input.data(), input.size()), static_cast<ssize_t>(input.size()));
  ::close(in[1]);
  EchoTools tools;
  McpSession s(tools, "argus", "1.0");
  int r = serve_stdio(s, in[0], out[1], max_line);
  if (rc) *rc = r;
  ::close(in[0]);
  ::close(out[1]);
  std::string got;
  char buf[4096];
  for (ssize_t n; (n = ::read(out[0], buf, sizeof buf)) > 0;) got.append(buf, static_cast<size_t>(n));
  ::close(out[0]);
  return got;
}

}  // namespace

TEST(McpStdio, AnswersLineByLineAndSkipsOverlongLines) {
  const std::string init = init_line().dump() + "\n";
  const std::string ping = R"({"jsonrpc":"2.0","id":2,"method":"ping"})";
  int rc = -1;
  // An overlong line is answered with a parse error and the next line still works; the
  // last line needs no newline.
  std::string got = serve(init + std::string(300, 'x') + "\n" + ping, 256, &rc);
  EXPECT_EQ(rc, 0);
  std::vector<json> lines;
  for (size_t pos = 0, nl; (nl = got.find('\n', pos)) != std::string::npos; pos = nl + 1)
    lines.push_back(json::parse(got.substr(pos, nl - pos)));
  ASSERT_EQ(lines.size(), 3u) << got;
  EXPECT_EQ(lines[0]["id"], 1);
  EXPECT_EQ(lines[1]["error"]["code"], kParseError);
  EXPECT_EQ(lines[2]["id"], 2);
}

TEST(McpStdio, EndsWhenTheClientStopsReading) {
  int in[2], out[2];
  ASSERT_EQ(::pipe(in), 0);
  ASSERT_EQ(::pipe(out), 0);
  ::close(out[0]);  // nobody reads the answers
  const std::string line = init_line().dump() + "\n";
  ASSERT_EQ(::write(in[1], line.data(), line.size()), static_cast<ssize_t>(line.size()));
  ::close(in[1]);
  EchoTools tools;
  McpSession s(tools, "argus", "1.0");
  signal(SIGPIPE, SIG_IGN);  // as argus mcp does: a write to a closed pipe is EPIPE
  EXPECT_EQ(serve_stdio(s, in[0], out[1]), 1);
  ::close(in[0]);
  ::close(out[1]);
}
