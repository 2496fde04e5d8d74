#include "server/server.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>
#include <vector>

#include <fmt/format.h>
#include <httplib.h>

#include "server/context.h"
#include "server/request_guard.h"
#include "util/log_safe.h"
#include "server/routes.h"
#include "server/web_page.h"

namespace argus::server {

namespace {

using Clock = std::chrono::steady_clock;

// Requests one kept-alive connection may carry before it is closed.
constexpr size_t kKeepAliveRequests = 100;

void send_json(httplib::Response& res, int status, const nlohmann::json& j) {
  res.status = status;
  res.set_content(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), "application/json");
}

void send_error(httplib::Response& res, int status, const std::string& message) {
  send_json(res, status, error_body(message, error_type_for_status(status)));
}

// What went wrong inside (a LibTorch message can carry a backtrace with addresses and
// library paths) goes to the server's log only; the client learns that it failed.
void send_internal_error(httplib::Response& res, const httplib::Request& req, const std::string& what) {
  std::fprintf(stderr, "internal error on %s: %s\n", util::log_safe(req.path).c_str(), util::log_safe(what, 2000).c_str());
  send_error(res, 500, "internal error (details are in the server's log)");
}

bool is_json_content_type(const std::string& value) {
  std::string type = value.substr(0, value.find(';'));
  while (!type.empty() && type.back() == ' ') type.pop_back();
  for (auto& c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return type == "application/json";
}

// httplib 0.11 keeps a connection open whatever the response's Connection header says.
// When the request's body was left unread (it would be parsed as the next request) or
// its framing is in doubt, the response is sent through a content provider that reports
// failure once the whole body is written, which makes httplib close the socket.
void close_after(httplib::Response& res) {
  auto body = std::make_shared<std::string>(std::move(res.body));
  res.body.clear();
  std::string type = res.get_header_value("Content-Type");
  res.headers.erase("Content-Type");
  res.set_header("Connection", "close");
  res.set_content_provider(body->size(), type, [body](size_t offset, size_t length, httplib::DataSink& sink) {
    sink.write(body->data() + offset, length);
    return false;
  });
}

std::vector<std::string> header_values(const httplib::Request& req, const char* name) {
  std::vector<std::string> out;
  for (size_t i = 0, n = req.get_header_value_count(name); i < n; ++i) out.push_back(req.get_header_value(name, i));
  return out;
}

// One thread per connection, started on demand up to `max` and then reused. httplib
// reads a request's header with a per-read timeout but no deadline for the whole, so a
// connection that trickles bytes holds its thread; with a fixed pool of a few threads a
// handful of such clients starve every other one (/health included). Past `max`
// connections wait for a free thread.
class ConnectionThreads : public httplib::TaskQueue {
 public:
  explicit ConnectionThreads(size_t max) : max_(max) {}

  void enqueue(std::function<void()> fn) override {
    std::lock_guard<std::mutex> lock(mu_);
    jobs_.push_back(std::move(fn));
    if (jobs_.size() > idle_ && threads_.size() < max_)
      threads_.emplace_back([this] { work(); });
    else
      cv_.notify_one();
  }

  void shutdown() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_) t.join();
  }

 private:
  void work() {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      ++idle_;
      cv_.wait(lock, [this] { return stop_ || !jobs_.empty(); });
      --idle_;
      if (jobs_.empty()) return;  // stopping, nothing left
      auto fn = std::move(jobs_.front());
      jobs_.pop_front();
      lock.unlock();
      fn();
      lock.lock();
    }
  }

  const size_t max_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  std::vector<std::thread> threads_;
  size_t idle_ = 0;
  bool stop_ = false;
};

// Holds one admission slot for as long as the request (or its stream) lives.
struct Admission {
  explicit Admission(Metrics& m) : metrics(m) { ++metrics.queue_depth; }
  ~Admission() { --metrics.queue_depth; }
  Metrics& metrics;
};

}  // namespace

struct Server::Impl {
  explicit Impl(const ServerOptions& o) : ctx{o, ModelPool(o.models, o.memory_budget_bytes, o.loras), {}, {}} {
    ctx.images.allow_remote = o.allow_remote_images;
    ctx.images.max_pixels = o.max_image_pixels;
    ctx.images.max_bytes = o.max_body_bytes;
    if (!o.image_root.empty()) {
      std::error_code ec;
      auto root = std::filesystem::canonical(o.image_root, ec);
      if (ec || !std::filesystem::is_directory(root)) fail("--image-root {} is not a directory", o.image_root);
      ctx.images.image_root = root.string();
    }
    origin_policy = {o.host, o.allow_origins, o.allow_hosts};
    setup();
  }

  Context ctx;
  httplib::Server http;
  int port = 0;
  // The paths routes were registered under: metrics are labelled by these only, so a
  // client cannot add label values (or inject exposition lines) by requesting paths.
  std::map<std::string, std::string> routes;  // path -> the methods it answers (an Allow header)
  OriginPolicy origin_policy;

  template <class Handler>
  void get(const std::string& path, Handler h) {
    routes.emplace(path, "GET, HEAD");
    http.Get(path, std::move(h));
  }

  // A JSON POST route: content type, a body bounded however it is sent, admission,
  // parsing, errors in OpenAI's shape.
  template <class Fn>
  void post_json(const std::string& path, Fn fn) {
    routes.emplace(path, "POST");
    http.Post(path, [this, fn](const httplib::Request& req, httplib::Response& res,
                               const httplib::ContentReader& read_body) {
      // A JSON type makes a browser preflight a cross-site request (text/plain would not).
      if (!is_json_content_type(req.get_header_value("Content-Type")))
        return send_json(res, 415, error_body("the request body must be sent as Content-Type: application/json",
                                              "invalid_request_error"));
      // httplib checks Content-Length against the limit, not a chunked body's running
      // size: count it here and stop reading at the limit.
      std::string text;
      bool too_big = false;
      const bool complete = read_body([&](const char* data, size_t n) {
        if (text.size() + n > ctx.options.max_body_bytes) return !(too_big = true);
        text.append(data, n);
        return true;
      });
      if (too_big || res.status == 413) {
        // The rest of the body is unread: the connection must not carry another request.
        send_json(res, 413, error_body(fmt::format("the request body is over the server's limit of {} bytes "
                                                   "(--max-body-bytes)", ctx.options.max_body_bytes),
                                       "invalid_request_error"));
        return close_after(res);
      }
      if (!complete) return send_json(res, 400, error_body("the request body could not be read", "invalid_request_error"));
      auto slot = std::make_shared<Admission>(ctx.metrics);
      if (ctx.metrics.queue_depth > ctx.options.max_queue) {
        res.set_header("Retry-After", "1");
        return send_json(res, 429, error_body("the server is at capacity (--max-queue); retry shortly",
                                              "rate_limit_error", "", "rate_limit_exceeded"));
      }
      nlohmann::json body;
      try {
        body = nlohmann::json::parse(text);
      } catch (const std::exception&) {
        return send_json(res, 400, error_body("the request body is not valid JSON", "invalid_request_error"));
      }
      if (!body.is_object())
        return send_json(res, 400, error_body("the request body must be a JSON object", "invalid_request_error"));
      try {
        // A handler may also take the body's text (to parse it again in key order).
        if constexpr (std::is_invocable_v<Fn, const nlohmann::json&, const std::string&, httplib::Response&,
                                          decltype(slot)>)
          fn(body, text, res, slot);
        else
          fn(body, res, slot);
      } catch (const ApiError& e) {
        send_json(res, e.status(), e.body());
      } catch (const Error& e) {
        send_json(res, 400, error_body(e.what(), "invalid_request_error"));
      } catch (const std::exception& e) {
        send_internal_error(res, req, e.what());
      }
    });
  }

  // A non-streamed generation runs inside the response's content provider, so that it
  // sees the client leave (DataSink::is_writable peeks at the socket) between tokens and
  // stops, releasing the model for the next request. Everything that can be refused was
  // refused while preparing the job, with its status; a failure after the 200 has been
  // sent can only cut the response short.
  void generate(httplib::Response& res, std::shared_ptr<Admission> slot, GenerationJob job) {
    res.set_chunked_content_provider("application/json", [job = std::move(job), slot](size_t, httplib::DataSink& sink) {
      std::string out;
      try {
        out = job([&] { return !sink.is_writable(); })
                  .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "error while generating: %s\n", util::log_safe(e.what(), 2000).c_str());
        return false;
      }
      if (!sink.write(out.data(), out.size())) return false;  // the client has gone
      sink.done();
      return true;
    });
  }

  // Streams a prepared job's server-sent events (the request was validated, and its
  // errors answered as JSON, when the job was made). An error while streaming can
  // only be reported as an event.
  void stream(httplib::Response& res, std::shared_ptr<Admission> slot, StreamJob job) {
    res.set_header("Cache-Control", "no-cache");
    res.set_chunked_content_provider("text/event-stream", [job = std::move(job), slot](size_t, httplib::DataSink& sink) {
      try {
        job([&](const std::string& data) {
          return sink.is_writable() && (data.empty() || sink.write(data.data(), data.size()));
        });
      } catch (const ApiError& e) {
        std::string data = "data: " + e.body().dump() + "\n\n";
        sink.write(data.data(), data.size());
      } catch (const Error& e) {
        std::string data = "data: " + error_body(e.what(), "invalid_request_error").dump() + "\n\n";
        sink.write(data.data(), data.size());
      } catch (const std::exception& e) {
        std::fprintf(stderr, "internal error while streaming: %s\n", util::log_safe(e.what(), 2000).c_str());
        std::string data = "data: " + error_body("internal error (details are in the server's log)", "server_error").dump() + "\n\n";
        sink.write(data.data(), data.size());
      }
      sink.done();
      return true;
    });
  }

  void setup() {
    const auto& o = ctx.options;
    http.set_payload_max_length(o.max_body_bytes);
    // A thread per connection (up to --max-connections); a connection idle or stalled
    // for read_timeout_s between reads is dropped, and a kept-alive one serves at most
    // kKeepAliveRequests requests.
    const auto max_connections = static_cast<size_t>(std::max(o.max_connections, o.max_queue + 4));
    http.new_task_queue = [max_connections] { return new ConnectionThreads(max_connections); };
    http.set_read_timeout(o.read_timeout_s);
    http.set_keep_alive_timeout(o.read_timeout_s);
    http.set_keep_alive_max_count(kKeepAliveRequests);

    http.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
      request_start() = Clock::now();
      // Ambiguous framing (request smuggling behind a proxy): refused, and the connection
      // closed, since where this request's body ends is exactly what is in doubt.
      if (auto refused = check_framing(header_values(req, "Content-Length"), header_values(req, "Transfer-Encoding"))) {
        send_error(res, refused->status, refused->message);
        close_after(res);
        return httplib::Server::HandlerResponse::Handled;
      }
      const std::string origin = req.get_header_value("Origin");
      if (auto refused = check_origin(origin_policy, req.get_header_value("Host"), origin)) {
        send_error(res, refused->status, refused->message);
        return httplib::Server::HandlerResponse::Handled;
      }
      const std::string cors = cors_allow_origin(origin_policy, origin);
      if (!cors.empty()) {
        res.set_header("Access-Control-Allow-Origin", cors);
        res.set_header("Vary", "Origin");
      }
      // A CORS preflight carries no key; what it asks about is checked when it comes.
      if (req.method == "OPTIONS") {
        res.status = 204;
        if (!cors.empty()) {
          res.set_header("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
          res.set_header("Access-Control-Allow-Headers", "Authorization, Content-Type");
          res.set_header("Access-Control-Max-Age", "600");
        }
        return httplib::Server::HandlerResponse::Handled;
      }
      // /health for probes, and the page itself (a browser cannot send a key when it
      // opens it); the page's API calls carry the key the user types in.
      if (ctx.options.api_key.empty() || req.path == "/health" || (req.path == "/" && (req.method == "GET" || req.method == "HEAD")))
        return httplib::Server::HandlerResponse::Unhandled;
      if (req.get_header_value("Authorization") == "Bearer " + ctx.options.api_key)
        return httplib::Server::HandlerResponse::Unhandled;
      send_json(res, 401, error_body("Incorrect API key provided", "invalid_request_error", "", "invalid_api_key"));
      return httplib::Server::HandlerResponse::Handled;
    });
    http.set_error_handler([this](const httplib::Request& req, httplib::Response& res) {
      // A route already wrote its error (into the body, or a closing provider).
      if (!res.body.empty() || res.get_header_value("Connection") == "close") return;
      // httplib answers a known path asked with another method as 404.
      if (auto route = routes.find(req.path); res.status == 404 && route != routes.end()) {
        res.status = 405;
        res.set_header("Allow", route->second);
      }
      const char* msg = res.status == 404   ? "no such route"
                        : res.status == 413 ? "the request body is over the server's limit"
                        : res.status == 405 ? "method not allowed"
                                            : "request failed";
      send_error(res, res.status, msg);
    });
    http.set_exception_handler([](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
      std::string what = "unknown exception";
      try {
        if (ep) std::rethrow_exception(ep);
      } catch (const std::exception& e) {
        what = e.what();
      }
      send_internal_error(res, req, what);
    });
    http.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
      // A request httplib refused before routing (a malformed request line, say) never
      // started a clock: it is logged with "-" and counted without a latency, rather
      // than with the time since this thread's previous request.
      std::optional<double> s;
      if (request_start()) s = std::chrono::duration<double>(Clock::now() - *request_start()).count();
      request_start().reset();
      ctx.metrics.record(routes.count(req.path) ? req.path : Metrics::kUnrouted, res.status, s);
      const std::string took = s ? fmt::format("{:.3f}s", *s) : "-";
      std::fprintf(stderr, "%s %s %s %d %s\n", req.remote_addr.c_str(), util::log_safe(req.method).c_str(),
                   util::log_safe(req.path).c_str(), res.status, took.c_str());
    });

    get("/health", [this](const httplib::Request&, httplib::Response& res) {
      send_json(res, 200, {{"status", "ok"}, {"models_loaded", ctx.pool.loaded_count()}});
    });
    get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
      res.set_content(ctx.metrics.prometheus(ctx.pool.loaded_count()), "text/plain; version=0.0.4");
    });
    get("/", [](const httplib::Request&, httplib::Response& res) { res.set_content(kWebPage, "text/html"); });
    get("/v1/models", [this](const httplib::Request&, httplib::Response& res) {
      send_json(res, 200, list_models(ctx));
    });

    post_json("/v1/chat/completions", [this](const nlohmann::json& body, const std::string& text,
                                             httplib::Response& res, auto slot) {
      const auto ordered = nlohmann::ordered_json::parse(text);  // parsed once already: valid
      if (wants_stream(body)) return stream(res, slot, chat_completions_stream(ctx, body, ordered));
      generate(res, slot, chat_completions(ctx, body, ordered));
    });
    post_json("/v1/completions", [this](const nlohmann::json& body, httplib::Response& res, auto slot) {
      if (wants_stream(body)) return stream(res, slot, completions_stream(ctx, body));
      generate(res, slot, completions(ctx, body));
    });
    using Route = nlohmann::json (*)(Context&, const nlohmann::json&);
    for (auto [path, route] : {std::pair<const char*, Route>{"/v1/embeddings", embeddings},
                               {"/v1/classify", classify_route},
                               {"/v1/detect", detect_route},
                               {"/v1/segment", segment_route},
                               {"/v1/ground", ground_route}})
      post_json(path, [this, route = route](const nlohmann::json& body, httplib::Response& res, auto) {
        send_json(res, 200, route(ctx, body));
      });
  }

  // httplib has no per-request start time: routing, the handler and the logger of
  // one request run on one worker thread, so the start is kept per thread (set when
  // routing begins, cleared when the request is logged).
  static std::optional<Clock::time_point>& request_start() {
    static thread_local std::optional<Clock::time_point> t;
    return t;
  }
};

Server::Server(const ServerOptions& options) : impl_(std::make_unique<Impl>(options)) {}
Server::~Server() = default;

int Server::bind() {
  const auto& o = impl_->ctx.options;
  int port = o.port;
  if (port == 0) {
    port = impl_->http.bind_to_any_port(o.host);
  } else if (!impl_->http.bind_to_port(o.host, port)) {
    port = -1;
  }
  if (port < 0) fail("cannot listen on {}:{}", o.host, o.port);
  impl_->port = port;
  return port;
}

void Server::serve() { impl_->http.listen_after_bind(); }
void Server::stop() { impl_->http.stop(); }

}  // namespace argus::server
