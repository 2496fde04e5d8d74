// `argus serve`: the HTTP front end. OpenAI-compatible routes, vision routes, the
// web page, /health and /metrics on cpp-httplib; bounded admission (429 with
// Retry-After past --max-queue), body-size limit (413), optional Bearer API key
// (every route but /health and the page at /), OpenAI-shaped error JSON and one access-log line per
// request on stderr.
#pragma once
#include <memory>

#include "server/server_options.h"

namespace argus::server {

class Server {
 public:
  explicit Server(const ServerOptions& options);  // checks every model directory now
  ~Server();
  // Binds host:port (port 0 = a free one) and returns the port.
  int bind();
  // Serves until stop() (from another thread or a signal handler's thread).
  void serve();
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace argus::server
