// MCP's stdio transport: messages are lines on the server's stdin and stdout. A line
// over `max_line_bytes` is answered with a parse error and skipped (its bytes are not
// kept). Returns when stdin ends (the client closed it, or exited) or stdout is gone.
#pragma once
#include <cstddef>

#include "mcp/mcp_session.h"

namespace argus::mcp {

// Room for a tool call carrying a 32 MiB image as base64, and its JSON around it.
constexpr size_t kMaxLineBytes = 48u << 20;

// Reads `in_fd`, answers on `out_fd`. Returns 0 at the end of input, 1 when the output
// could not be written (the client went away).
int serve_stdio(McpSession& session, int in_fd, int out_fd, size_t max_line_bytes = kMaxLineBytes);

}  // namespace argus::mcp
