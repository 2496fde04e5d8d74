#include "mcp/mcp_session.h"

#include <cstdio>

#include "mcp/jsonrpc.h"

namespace argus::mcp {

const char* const kProtocolVersions[] = {"2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"};
const size_t kProtocolVersionCount = sizeof(kProtocolVersions) / sizeof(kProtocolVersions[0]);

namespace {

using json = nlohmann::json;

// One line of output: text a tool returns (a VLM's answer) may hold invalid UTF-8,
// which is replaced rather than thrown on.
std::string line_of(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

// A protocol error raised while dispatching, answered as a JSON-RPC error.
struct RpcFailure {
  int code;
  std::string message;
};

}  // namespace

json McpSession::initialize(const json& params) {
  auto v = params.find("protocolVersion");
  if (v == params.end() || !v->is_string()) throw RpcFailure{kInvalidParams, "initialize needs params.protocolVersion (a string)"};
  // Negotiation: the client's version when argus speaks it, else argus's newest (the
  // client then decides whether it can go on).
  protocol_ = kProtocolVersions[0];
  for (size_t i = 0; i < kProtocolVersionCount; ++i)
    if (*v == kProtocolVersions[i]) protocol_ = kProtocolVersions[i];
  initialized_ = true;
  json result = {{"protocolVersion", protocol_},
                 {"capabilities", {{"tools", {{"listChanged", false}}}}},
                 {"serverInfo", {{"name", name_}, {"version", version_}}}};
  if (!instructions_.empty()) result["instructions"] = instructions_;
  return result;
}

json McpSession::dispatch(const std::string& method, const json& params) {
  if (method == "initialize") return initialize(params);
  if (method == "ping") return json::object();
  if (method == "tools/list" || method == "tools/call") {
    if (!initialized_) throw RpcFailure{kInvalidRequest, "the session is not initialized: send initialize first"};
    // One page: the list is short (a cursor from the client is accepted and ignored).
    if (method == "tools/list") return {{"tools", tools_.list_tools()}};
    auto name = params.find("name");
    if (name == params.end() || !name->is_string()) throw RpcFailure{kInvalidParams, "tools/call needs params.name (a string)"};
    json args = json::object();
    if (auto a = params.find("arguments"); a != params.end()) {
      if (!a->is_object()) throw RpcFailure{kInvalidParams, "tools/call params.arguments must be an object"};
      args = *a;
    }
    if (!tools_.has_tool(name->get<std::string>()))
      throw RpcFailure{kInvalidParams, "unknown tool \"" + name->get<std::string>() + "\""};
    return tools_.call_tool(name->get<std::string>(), args);
  }
  throw RpcFailure{kMethodNotFound, "method \"" + method + "\" is not supported (argus serves tools only)"};
}

std::optional<std::string> McpSession::handle_line(std::string_view line) {
  // A trailing CR (a client writing CRLF) is not part of the message.
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.find_first_not_of(" \t") == std::string_view::npos) return std::nullopt;  // blank lines carry nothing
  RpcParse p = parse_rpc(line);
  if (!p.ok) return line_of(rpc_error(p.id, p.code, p.error));
  const RpcMessage& m = p.message;
  if (m.kind == RpcMessage::Kind::Response) return std::nullopt;
  if (m.kind == RpcMessage::Kind::Notification) return std::nullopt;  // initialized, cancelled, ...: nothing to answer
  try {
    return line_of(rpc_result(m.id, dispatch(m.method, m.params)));
  } catch (const RpcFailure& f) {
    return line_of(rpc_error(m.id, f.code, f.message));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "argus mcp: %s failed: %s\n", m.method.c_str(), e.what());
    return line_of(rpc_error(m.id, kInternalError, "internal error"));
  }
}

}  // namespace argus::mcp
