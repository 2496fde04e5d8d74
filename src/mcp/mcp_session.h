// A Model Context Protocol server session (the tools capability only), independent of
// the transport and of what the tools are: it answers one JSON-RPC line at a time.
//   initialize                 protocol version negotiation, capabilities {tools}
//   notifications/initialized  the client is ready (no answer)
//   ping                       {}
//   tools/list                 the provider's tools with their inputSchema
//   tools/call                 the provider's result: content, structuredContent, isError
// Protocol errors are JSON-RPC errors (-32700 / -32600 / -32601 / -32602); a tool that
// fails is a result with isError true, so the model can read why and try again.
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace argus::mcp {

// The versions argus speaks, newest first; a client asking for another gets the newest.
extern const char* const kProtocolVersions[];
extern const size_t kProtocolVersionCount;

class ToolProvider {
 public:
  virtual ~ToolProvider() = default;
  // [{"name", "description", "inputSchema"}...]
  virtual nlohmann::json list_tools() = 0;
  virtual bool has_tool(const std::string& name) = 0;
  // A CallToolResult: {"content": [...], "structuredContent"?: {...}, "isError"?: bool}.
  // `arguments` is an object. Must not throw for a tool's own failures (isError).
  virtual nlohmann::json call_tool(const std::string& name, const nlohmann::json& arguments) = 0;
};

class McpSession {
 public:
  McpSession(ToolProvider& tools, std::string server_name, std::string server_version, std::string instructions = "")
      : tools_(tools), name_(std::move(server_name)), version_(std::move(server_version)),
        instructions_(std::move(instructions)) {}

  // The answer to one line (without its newline), or nothing for notifications and
  // responses. Never throws.
  std::optional<std::string> handle_line(std::string_view line);

  bool initialized() const { return initialized_; }
  const std::string& protocol_version() const { return protocol_; }

 private:
  nlohmann::json dispatch(const std::string& method, const nlohmann::json& params);
  nlohmann::json initialize(const nlohmann::json& params);

  ToolProvider& tools_;
  std::string name_, version_, instructions_;
  std::string protocol_;
  bool initialized_ = false;  // an initialize request was answered
};

}  // namespace argus::mcp
