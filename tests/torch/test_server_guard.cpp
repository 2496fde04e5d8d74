// The server's gate before any route runs: which origins and Host names it answers
// (cross-site use and DNS rebinding), JSON-only POST bodies, and a body limit that
// holds however the body is sent.
#include <gtest/gtest.h>

#include "raw_http.h"
#include "server/request_guard.h"
#include "server_fixture.h"

using namespace argus;
using json = nlohmann::json;

namespace {

server::OriginPolicy loopback(std::vector<std::string> origins = {}, std::vector<std::string> hosts = {}) {
  return {"127.0.0.1", std::move(origins), std::move(hosts)};
}

// A server with no models: the gate answers before any model would be needed.
test::TestServer& gated_server() {
  static test::TestServer s([] {
    server::ServerOptions o;
    o.port = 0;
    o.max_body_bytes = 4096;
    o.allow_origins = {"http://tools.example:3000"};
    o.allow_hosts = {"argus.lan"};
    return o;
  }());
  return s;
}

httplib::Result post(const std::string& body, httplib::Headers headers, const char* type = "application/json") {
  return gated_server().client().Post("/v1/embeddings", headers, body, type);
}

const json kBody = {{"model", "none"}, {"input", "a dog"}};

}  // namespace

TEST(OriginPolicy, OwnOriginAndOriginlessClientsPass) {
  EXPECT_FALSE(server::check_origin(loopback(), "127.0.0.1:8080", ""));
  EXPECT_FALSE(server::check_origin(loopback(), "127.0.0.1:8080", "http://127.0.0.1:8080"));
  EXPECT_FALSE(server::check_origin(loopback(), "localhost:8080", "http://LOCALHOST:8080"));
  EXPECT_FALSE(server::check_origin(loopback(), "[::1]:8080", "http://[::1]:8080"));
}

TEST(OriginPolicy, OtherOriginsAreRefusedUnlessAllowed) {
  auto r = server::check_origin(loopback(), "127.0.0.1:8080", "https://evil.example");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
  EXPECT_NE(r->message.find("--allow-origin https://evil.example"), std::string::npos) << r->message;
  // Another port of the same host is another origin.
  EXPECT_TRUE(server::check_origin(loopback(), "127.0.0.1:8080", "http://127.0.0.1:9999"));
  EXPECT_TRUE(server::check_origin(loopback(), "127.0.0.1:8080", "null"));
  EXPECT_FALSE(server::check_origin(loopback({"https://evil.example"}), "127.0.0.1:8080", "https://evil.example"));
  EXPECT_FALSE(server::check_origin(loopback({"*"}), "127.0.0.1:8080", "https://any.example"));
  EXPECT_EQ(server::cors_allow_origin(loopback({"https://a.example"}), "https://a.example"), "https://a.example");
  EXPECT_EQ(server::cors_allow_origin(loopback({"https://a.example"}), "https://b.example"), "");
}

TEST(OriginPolicy, ALoopbackServerAnswersOnlyLoopbackHostNames) {
  // DNS rebinding: attacker.example resolves to 127.0.0.1, so the page is same-origin.
  auto r = server::check_origin(loopback(), "attacker.example:8080", "http://attacker.example:8080");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
  EXPECT_NE(r->message.find("--allow-host attacker.example"), std::string::npos) << r->message;
  EXPECT_TRUE(server::check_origin(loopback(), "127.0.0.1.attacker.example", ""));
  EXPECT_TRUE(server::check_origin(loopback(), "127.1", ""));  // not a dotted quad
  EXPECT_FALSE(server::check_origin(loopback(), "127.0.0.2:80", ""));
  EXPECT_FALSE(server::check_origin(loopback(), "app.localhost", ""));
  EXPECT_FALSE(server::check_origin(loopback({}, {"argus.lan"}), "argus.lan:8080", ""));
  // A server on all interfaces is reached by names it cannot know.
  EXPECT_FALSE(server::check_origin({"0.0.0.0", {}, {}}, "box.lan:8080", ""));
}

TEST(OriginPolicy, HostNamesParse) {
  EXPECT_EQ(server::host_name("Example.COM:80"), "example.com");
  EXPECT_EQ(server::host_name("[::1]:8080"), "[::1]");
  EXPECT_EQ(server::host_name("[::1"), "[::1");
  EXPECT_EQ(server::host_name(""), "");
}

TEST(ServerGate, CrossSiteAndRebindingRequestsAreRefusedBeforeAnyRoute) {
  auto r = post(kBody.dump(), {{"Origin", "https://evil.example"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403) << r->body;
  EXPECT_EQ(json::parse(r->body)["error"]["type"], "permission_error");
  r = post(kBody.dump(), {{"Host", "attacker.example"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403) << r->body;
  // The allowed origin and host get through the gate (to the route's own 404: no such model).
  r = post(kBody.dump(), {{"Origin", "http://tools.example:3000"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404) << r->body;
  EXPECT_EQ(r->get_header_value("Access-Control-Allow-Origin"), "http://tools.example:3000");
  r = post(kBody.dump(), {{"Host", "argus.lan:8080"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404) << r->body;
}

TEST(ServerGate, PreflightIsAnsweredForAllowedOriginsOnly) {
  auto c = gated_server().client();
  auto r = c.Options("/v1/embeddings", {{"Origin", "http://tools.example:3000"},
                                        {"Access-Control-Request-Method", "POST"},
                                        {"Access-Control-Request-Headers", "content-type, authorization"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 204);
  EXPECT_EQ(r->get_header_value("Access-Control-Allow-Origin"), "http://tools.example:3000");
  EXPECT_NE(r->get_header_value("Access-Control-Allow-Headers").find("Content-Type"), std::string::npos);
  r = c.Options("/v1/embeddings", {{"Origin", "https://evil.example"}, {"Access-Control-Request-Method", "POST"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
  EXPECT_FALSE(r->has_header("Access-Control-Allow-Origin"));
}

TEST(ServerGate, JsonRoutesTakeOnlyJsonBodies) {
  // text/plain is what a cross-site form or fetch can send without a preflight.
  auto r = post(kBody.dump(), {}, "text/plain");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 415) << r->body;
  EXPECT_NE(r->body.find("application/json"), std::string::npos);
  r = post(kBody.dump(), {}, "application/json; charset=utf-8");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404) << r->body;  // through to the route
}

TEST(ServerGate, AChunkedBodyOverTheLimitIsRefusedWithoutBufferingIt) {
  // 64 chunks of 1 KiB against a 4 KiB limit, written whole before reading the answer
  // (over a raw socket: httplib's client gives up on a server that stops reading).
  std::string chunked;
  for (int i = 0; i < 64; ++i) chunked += "400\r\n" + std::string(1024, ' ') + "\r\n";
  const std::string reply = test::raw_exchange(gated_server().port(), "POST /v1/embeddings HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                         "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" +
                                         chunked + "0\r\n\r\n");
  EXPECT_EQ(reply.rfind("HTTP/1.1 413", 0), 0u) << reply;
  EXPECT_NE(reply.find("--max-body-bytes"), std::string::npos) << reply;
  // A chunked body under the limit is read whole and reaches the route.
  const std::string small = kBody.dump();
  auto r = gated_server().client().Post(
      "/v1/embeddings",
      [&, done = false](size_t, httplib::DataSink& sink) mutable {
        if (!done) sink.write(small.data(), small.size());
        else sink.done();
        done = true;
        return true;
      },
      "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404) << r->body;
}

TEST(ServerGate, AKnownPathAskedWithAnotherMethodIs405WithAllow) {
  auto c = gated_server().client();
  auto r = c.Get("/v1/embeddings");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405) << r->body;
  EXPECT_EQ(r->get_header_value("Allow"), "POST");
  r = c.Post("/health", "{}", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405) << r->body;
  EXPECT_EQ(r->get_header_value("Allow"), "GET, HEAD");
  r = c.Get("/no/such/route");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
}

TEST(ServerGate, HeadAndGetOfThePageAgreeOnTheKey) {
  server::ServerOptions o;
  o.port = 0;
  o.api_key = "sekrit";
  test::TestServer s(o);
  auto c = s.client();
  auto get = c.Get("/");
  auto head = c.Head("/");
  ASSERT_TRUE(get && head);
  EXPECT_EQ(get->status, 200);
  EXPECT_EQ(head->status, 200);
  auto models = c.Get("/v1/models");
  ASSERT_TRUE(models);
  EXPECT_EQ(models->status, 401);
}
