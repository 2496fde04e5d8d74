// Raw TCP to a test server, for what an HTTP client library will not send or wait for:
// malformed or ambiguous framing, trickled headers, a client that hangs up mid-request.
#pragma once
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <string>

namespace argus::test {

// A connected socket to 127.0.0.1:port (-1 on failure) whose reads time out after
// `recv_timeout_s`.
inline int raw_connect(int port, int recv_timeout_s = 10) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  timeval tv{recv_timeout_s, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

inline bool raw_send(int fd, const std::string& data) {
  for (size_t sent = 0; sent < data.size();) {
    const ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

// Everything the server sends until it closes the connection (or the read times out).
inline std::string raw_read_all(int fd) {
  std::string reply;
  char buf[4096];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) reply.append(buf, static_cast<size_t>(n));
  return reply;
}

// Writes `request` on a fresh connection and reads until the server closes it.
inline std::string raw_exchange(int port, const std::string& request, int recv_timeout_s = 10) {
  const int fd = raw_connect(port, recv_timeout_s);
  if (fd < 0) return "";
  std::string reply;
  if (raw_send(fd, request)) reply = raw_read_all(fd);
  ::close(fd);
  return reply;
}

}  // namespace argus::test
