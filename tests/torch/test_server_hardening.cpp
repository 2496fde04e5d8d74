// Issue 24, items 5, 10 and 15: what a hostile or careless client can do to the
// server's connections. Ambiguous framing is refused and the connection closed (request
// smuggling); requests httplib refuses before routing are not given a latency; a client
// that hangs up stops its generation and frees the model; a handful of connections
// trickling header bytes do not starve /health. Over raw sockets where an HTTP client
// library would not misbehave on purpose.
#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <thread>
#include <vector>

#include "raw_http.h"
#include "server/request_guard.h"
#include "server_fixture.h"

using namespace argus;
using json = nlohmann::json;

namespace {

// No models: framing and connection handling come before any.
test::TestServer& bare_server() {
  static test::TestServer s([] {
    server::ServerOptions o;
    o.port = 0;
    return o;
  }());
  return s;
}

// The llava fixture only (a decoder with a tokenizer): generations to abandon.
test::TestServer& chat_server() {
  static test::TestServer s([] {
    server::ServerOptions o;
    o.port = 0;
    o.models = {{"llava", test::fixture("llava")}};
    o.max_tokens = 512;
    return o;
  }());
  return s;
}

size_t count_of(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t pos = haystack.find(needle); pos != std::string::npos; pos = haystack.find(needle, pos + 1)) ++n;
  return n;
}

// The value of one exposition line of /metrics ("name{labels}"), 0 when absent.
double metric(test::TestServer& s, const std::string& series) {
  auto r = s.client().Get("/metrics");
  if (!r) return -1;
  const std::string& text = r->body;
  const size_t at = text.find(series + " ");
  return at == std::string::npos ? 0 : std::stod(text.substr(at + series.size() + 1));
}

const std::string kHead = "POST /v1/embeddings HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n";
// A second request hidden in the first one's body, as a proxy framing it the other
// way would pass it on.
const std::string kSmuggled = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

}  // namespace

TEST(ServerFraming, DuplicateContentLengthIsRefusedAndTheConnectionClosed) {
  const std::string body = "{}";
  const std::string reply = test::raw_exchange(
      bare_server().port(), kHead + "Content-Length: 2\r\nContent-Length: 2\r\n\r\n" + body + kSmuggled);
  EXPECT_EQ(reply.rfind("HTTP/1.1 400", 0), 0u) << reply;
  EXPECT_NE(reply.find("more than one Content-Length"), std::string::npos) << reply;
  EXPECT_NE(reply.find("Connection: close"), std::string::npos) << reply;
  // The connection ended after the refusal: the hidden request was never answered.
  EXPECT_EQ(count_of(reply, "HTTP/1.1 "), 1u) << reply;
}

TEST(ServerFraming, ContentLengthWithTransferEncodingIsRefused) {
  // A front end that honours Content-Length: 5 forwards "0\r\n\r\n" and then, as a
  // second request, the GET; argus (chunked) would have read the GET as its own.
  const std::string reply = test::raw_exchange(
      bare_server().port(), kHead + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + kSmuggled);
  EXPECT_EQ(reply.rfind("HTTP/1.1 400", 0), 0u) << reply;
  EXPECT_NE(reply.find("Content-Length together with Transfer-Encoding"), std::string::npos) << reply;
  EXPECT_EQ(count_of(reply, "HTTP/1.1 "), 1u) << reply;
  // Codings httplib does not frame as chunked ("gzip, chunked") would leave the body to
  // be read as the next request.
  const std::string coded = test::raw_exchange(
      bare_server().port(), kHead + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n" + kSmuggled);
  EXPECT_EQ(coded.rfind("HTTP/1.1 400", 0), 0u) << coded;
  EXPECT_EQ(count_of(coded, "HTTP/1.1 "), 1u) << coded;
  // Two Transfer-Encoding headers, and a Content-Length that is not a number.
  EXPECT_EQ(test::raw_exchange(bare_server().port(),
                               kHead + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
                .rfind("HTTP/1.1 400", 0),
            0u);
  EXPECT_EQ(test::raw_exchange(bare_server().port(), kHead + "Content-Length: +2\r\n\r\n{}").rfind("HTTP/1.1 400", 0), 0u);
}

TEST(ServerFraming, AnUnambiguousRequestStillKeepsItsConnection) {
  // One Content-Length, then (once the first is answered: httplib 0.11 does not keep
  // pipelined bytes) a second request on the same connection: both answered.
  const int fd = test::raw_connect(bare_server().port());
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(test::raw_send(fd, kHead + "Content-Length: 2\r\n\r\n{}"));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  ASSERT_TRUE(test::raw_send(fd, "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"));
  const std::string reply = test::raw_read_all(fd);
  ::close(fd);
  EXPECT_EQ(count_of(reply, "HTTP/1.1 "), 2u) << reply;
  EXPECT_NE(reply.find("\"status\":\"ok\""), std::string::npos) << reply;
}

TEST(ServerLog, RequestsRefusedBeforeRoutingGetNoLatency) {
  auto& s = bare_server();
  // A timed request first, so that this worker thread has a start time to reuse.
  ASSERT_TRUE(s.client().Get("/no-such-route"));
  const double timed = metric(s, "argus_request_seconds_count{route=\"(unrouted)\"}");
  const std::string reply = test::raw_exchange(s.port(), "NOT AN HTTP REQUEST LINE\r\n\r\n");
  EXPECT_EQ(reply.rfind("HTTP/1.1 400", 0), 0u) << reply;
  EXPECT_EQ(metric(s, "argus_requests_total{route=\"(unrouted)\",status=\"400\"}"), 1);
  // Counted, but not in the latency histogram: it was never timed.
  EXPECT_EQ(metric(s, "argus_request_seconds_count{route=\"(unrouted)\"}"), timed);
}

TEST(ServerCancellation, AClientThatHangsUpStopsItsGenerationAndFreesTheModel) {
  auto& s = chat_server();
  // Greedy on the fixture: a live client gets this many tokens.
  const json body = {{"model", "llava"}, {"prompt", {1, 2, 3}}, {"max_tokens", 400}, {"temperature", 0}};
  auto live = s.client().Post("/v1/completions", body.dump(), "application/json");
  ASSERT_TRUE(live);
  ASSERT_EQ(live->status, 200) << live->body;
  const int64_t full = json::parse(live->body)["usage"]["completion_tokens"];
  ASSERT_GE(full, 100) << "the fixture stops early; the test needs a long generation";

  // A response is logged (and counted) just after its last byte is sent: wait for it.
  const std::string served = "argus_requests_total{route=\"/v1/completions\",status=\"200\"}";
  const std::string tokens = "argus_tokens_total{kind=\"completion\"}";
  auto wait_served = [&](double n) {
    for (int i = 0; i < 600 && metric(s, served) < n; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    return metric(s, served) >= n;
  };
  double requests = 1;
  ASSERT_TRUE(wait_served(requests));
  for (bool stream : {false, true}) {
    json b = body;
    b["stream"] = stream;
    const double before = metric(s, tokens);
    // Send the whole request and hang up without reading the answer.
    const std::string text = b.dump();
    const int fd = test::raw_connect(s.port());
    ASSERT_GE(fd, 0);
    ASSERT_TRUE(test::raw_send(fd, "POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                                   "Content-Length: " + std::to_string(text.size()) + "\r\n\r\n" + text));
    ::close(fd);
    // Its tokens are counted when its generation ends, before it is logged.
    ASSERT_TRUE(wait_served(++requests)) << "the abandoned request never ended";
    const double abandoned = metric(s, tokens) - before;
    EXPECT_LT(abandoned, static_cast<double>(full) / 2) << (stream ? "streamed" : "non-streamed")
                                                        << ": the generation ran on after its client left";
    // The model is free: the next request is answered in full.
    auto next = s.client().Post("/v1/completions", body.dump(), "application/json");
    ASSERT_TRUE(next);
    EXPECT_EQ(next->status, 200) << next->body;
    EXPECT_EQ(json::parse(next->body)["usage"]["completion_tokens"], full);
    ASSERT_TRUE(wait_served(++requests));
  }
}

TEST(ServerSlowloris, TricklingConnectionsDoNotStarveHealth) {
  // max_queue 1: the fixed pool this replaced had max_queue + 4 = 5 threads.
  static test::TestServer s([] {
    server::ServerOptions o;
    o.port = 0;
    o.max_queue = 1;
    return o;
  }());
  const int kSlow = 8;
  std::vector<int> fds;
  for (int i = 0; i < kSlow; ++i) {
    const int fd = test::raw_connect(s.port());
    ASSERT_GE(fd, 0);
    ASSERT_TRUE(test::raw_send(fd, "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n"));
    fds.push_back(fd);
  }
  // One header line per connection every 0.5 s (well inside the read timeout), for 8 s.
  std::atomic<bool> stop{false};
  std::thread trickle([&] {
    for (int round = 0; round < 16 && !stop; ++round) {
      for (int fd : fds) test::raw_send(fd, "X-Slow: " + std::to_string(round) + "\r\n");
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
  });
  std::this_thread::sleep_for(std::chrono::seconds(1));
  auto c = s.client(4);
  auto r = c.Get("/health");
  const bool answered = r && r->status == 200;
  // The slow connections were still being read (nothing answered yet): they held their
  // threads while /health was served.
  char byte;
  const ssize_t pending = ::recv(fds[0], &byte, 1, MSG_DONTWAIT);
  const int err = errno;
  stop = true;
  trickle.join();
  for (int fd : fds) ::close(fd);
  EXPECT_TRUE(answered) << "/health was starved by " << kSlow << " trickling connections";
  EXPECT_TRUE(pending < 0 && (err == EAGAIN || err == EWOULDBLOCK));
}

TEST(ServerSlowloris, AConnectionSilentPastTheReadTimeoutIsDropped) {
  static test::TestServer s([] {
    server::ServerOptions o;
    o.port = 0;
    o.read_timeout_s = 1;
    return o;
  }());
  const int fd = test::raw_connect(s.port(), 20);
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(test::raw_send(fd, "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n"));
  // The header never ends. The server gives up on it (an answer or a close, not a
  // silent wait) well before the client's 20 s.
  const auto t0 = std::chrono::steady_clock::now();
  (void)test::raw_read_all(fd);
  const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ::close(fd);
  EXPECT_LT(waited, 15) << "the connection was kept past its read timeout";
}

TEST(FramingRule, OnlyUnambiguousFramingPasses) {
  using server::check_framing;
  EXPECT_FALSE(check_framing({}, {}));
  EXPECT_FALSE(check_framing({"12"}, {}));
  EXPECT_FALSE(check_framing({}, {"chunked"}));
  EXPECT_FALSE(check_framing({}, {"Chunked"}));
  EXPECT_TRUE(check_framing({"12", "12"}, {}));
  EXPECT_TRUE(check_framing({"12"}, {"chunked"}));
  EXPECT_TRUE(check_framing({}, {"chunked", "chunked"}));
  EXPECT_TRUE(check_framing({}, {"gzip, chunked"}));
  EXPECT_TRUE(check_framing({}, {"xchunked"}));
  for (const char* bad : {"", "-1", "+5", "0x10", "1 2", "99999999999999999999"})
    EXPECT_TRUE(check_framing({bad}, {})) << bad;
}
