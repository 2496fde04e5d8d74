// An in-process `argus serve` on a free port with the fixture models, for the HTTP
// tests: started once per test binary, stopped at exit.
#pragma once
#include <memory>
#include <string>
#include <thread>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "parity.h"
#include "server/server.h"

namespace argus::test {

class TestServer {
 public:
  explicit TestServer(server::ServerOptions o) : srv_(std::make_unique<server::Server>(o)) {
    port_ = srv_->bind();
    thread_ = std::thread([this] { srv_->serve(); });
  }
  ~TestServer() {
    srv_->stop();
    thread_.join();
  }
  int port() const { return port_; }
  httplib::Client client(double timeout_s = 120) const {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(static_cast<time_t>(timeout_s));
    c.set_write_timeout(static_cast<time_t>(timeout_s));
    return c;
  }

 private:
  std::unique_ptr<server::Server> srv_;
  std::thread thread_;
  int port_ = 0;
};

inline server::ServerOptions fixture_server_options() {
  server::ServerOptions o;
  o.port = 0;
  o.models = {{"llava", fixture("llava")},   {"llama", fixture("llama")}, {"clip", fixture("clip")},
              {"owlvit", fixture("owlvit")}, {"sam", fixture("sam")}};
  o.image_root = asset("images");
  o.max_tokens = 64;
  return o;
}

}  // namespace argus::test
