// MCP messages from an untrusted client: any line must get a well-formed JSON-RPC
// answer (or none), never a crash or an exception.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <nlohmann/json.hpp>

#include "mcp/jsonrpc.h"
#include "mcp/mcp_session.h"

namespace {

class NoTools : public argus::mcp::ToolProvider {
 public:
  nlohmann::json list_tools() override { return nlohmann::json::array(); }
  bool has_tool(const std::string& name) override { return name == "t"; }
  nlohmann::json call_tool(const std::string&, const nlohmann::json& a) override {
    return {{"content", nlohmann::json::array()}, {"structuredContent", a}};
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view line(reinterpret_cast<const char*>(data), size);
  argus::mcp::parse_rpc(line);
  NoTools tools;
  argus::mcp::McpSession session(tools, "argus", "fuzz");
  // Initialised first, so tools/* requests reach the dispatch.
  session.handle_line(R"({"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18"}})");
  if (auto out = session.handle_line(line)) {
    auto j = nlohmann::json::parse(*out, nullptr, false);
    if (j.is_discarded() || j.value("jsonrpc", "") != "2.0" || out->find('\n') != std::string::npos) std::abort();
  }
  return 0;
}
