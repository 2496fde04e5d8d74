#include "mcp/jsonrpc.h"

namespace argus::mcp {

namespace {

using json = nlohmann::json;

RpcParse refused(int code, std::string error, json id = nullptr) {
  RpcParse p;
  p.code = code;
  p.error = std::move(error);
  p.id = std::move(id);
  return p;
}

bool valid_id(const json& id) { return id.is_string() || id.is_number_integer() || id.is_number_unsigned(); }

}  // namespace

RpcParse parse_rpc(std::string_view line) {
  json j = json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return refused(kParseError, "parse error: the line is not valid JSON");
  if (j.is_array()) return refused(kInvalidRequest, "batches are not supported: send one message per line");
  if (!j.is_object()) return refused(kInvalidRequest, "a message must be a JSON object");
  json id = nullptr;
  const bool has_id = j.contains("id");
  if (has_id && valid_id(j["id"])) id = j["id"];
  if (j.value("jsonrpc", json()) != "2.0") return refused(kInvalidRequest, "\"jsonrpc\" must be \"2.0\"", id);
  if (has_id && !valid_id(j["id"])) return refused(kInvalidRequest, "\"id\" must be a string or an integer");
  RpcParse p;
  p.message.id = id;
  if (!j.contains("method")) {
    // A response to a request of ours: argus sends none, but a client may answer anyway.
    if (!has_id || (!j.contains("result") && !j.contains("error")))
      return refused(kInvalidRequest, "a message needs a \"method\" (or is a response with \"result\" or \"error\")", id);
    p.message.kind = RpcMessage::Kind::Response;
    p.ok = true;
    return p;
  }
  if (!j["method"].is_string()) return refused(kInvalidRequest, "\"method\" must be a string", id);
  p.message.method = j["method"].get<std::string>();
  if (j.contains("params")) {
    // MCP's params are always objects (JSON-RPC would allow arrays).
    if (!j["params"].is_object()) return refused(kInvalidRequest, "\"params\" must be an object", id);
    p.message.params = j["params"];
  }
  p.message.kind = has_id ? RpcMessage::Kind::Request : RpcMessage::Kind::Notification;
  p.ok = true;
  return p;
}

json rpc_result(const json& id, json result) {
  return {{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}};
}

json rpc_error(const json& id, int code, const std::string& message) {
  return {{"jsonrpc", "2.0"}, {"id", id}, {"error", {{"code", code}, {"message", message}}}};
}

}  // namespace argus::mcp
