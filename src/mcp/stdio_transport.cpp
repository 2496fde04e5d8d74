#include "mcp/stdio_transport.h"

#include <cerrno>
#include <string>

#include <unistd.h>

#include "mcp/jsonrpc.h"

namespace argus::mcp {

namespace {

bool write_all(int fd, const std::string& s) {
  size_t done = 0;
  while (done < s.size()) {
    ssize_t n = ::write(fd, s.data() + done, s.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

int serve_stdio(McpSession& session, int in_fd, int out_fd, size_t max_line_bytes) {
  std::string line;
  bool overlong = false;  // skipping the rest of a line that was too long
  char buf[65536];
  while (true) {
    ssize_t n = ::read(in_fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // end of input (or a read error: the pipe is gone either way)
    for (ssize_t i = 0; i < n; ++i) {
      if (buf[i] != '\n') {
        if (overlong) continue;
        if (line.size() >= max_line_bytes) {
          overlong = true;
          line.clear();
          line.shrink_to_fit();
          continue;
        }
        line.push_back(buf[i]);
        continue;
      }
      std::string answer;
      if (overlong) {
        answer = rpc_error(nullptr, kParseError, "the message is over the " + std::to_string(max_line_bytes >> 20) +
                                                     " MiB line limit").dump();
        overlong = false;
      } else if (auto a = session.handle_line(line)) {
        answer = std::move(*a);
      }
      line.clear();
      if (!answer.empty() && !write_all(out_fd, answer + "\n")) return 1;
    }
  }
  // A last message without its newline still counts: the client wrote it and closed.
  if (!overlong && !line.empty())
    if (auto a = session.handle_line(line); a && !write_all(out_fd, *a + "\n")) return 1;
  return 0;
}

}  // namespace argus::mcp
