// JSON-RPC 2.0 messages as MCP's stdio transport carries them: one JSON object per
// line, UTF-8, no embedded newlines. Parsing is of untrusted bytes (a client's), so it
// never throws: a line that is not JSON is a parse error (-32700), JSON that is not a
// request or notification is an invalid request (-32600), each with the id when one
// could be read. Batches (JSON arrays) are refused: MCP 2025-06-18 removed them.
#pragma once
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace argus::mcp {

enum RpcCode {
  kParseError = -32700,
  kInvalidRequest = -32600,
  kMethodNotFound = -32601,
  kInvalidParams = -32602,
  kInternalError = -32603,
};

struct RpcMessage {
  enum class Kind { Request, Notification, Response };
  Kind kind = Kind::Request;
  nlohmann::json id;  // string or integer (requests and responses)
  std::string method;
  nlohmann::json params = nlohmann::json::object();  // an object, or absent -> {}
};

struct RpcParse {
  bool ok = false;
  RpcMessage message;  // when ok
  // When not ok: the error to answer with, and the id to answer to (null if unknown).
  int code = 0;
  std::string error;
  nlohmann::json id;
};

RpcParse parse_rpc(std::string_view line);

// A response line's JSON (dump() it with no newlines: nlohmann escapes them in strings).
nlohmann::json rpc_result(const nlohmann::json& id, nlohmann::json result);
nlohmann::json rpc_error(const nlohmann::json& id, int code, const std::string& message);

}  // namespace argus::mcp
