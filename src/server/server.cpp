#include "server/server.h"

#include <chrono>
#include <cstdio>
#include <filesystem>

#include <httplib.h>

#include "server/context.h"
#include "server/routes.h"
#include "server/web_page.h"

namespace argus::server {

namespace {

using Clock = std::chrono::steady_clock;

void send_json(httplib::Response& res, int status, const nlohmann::json& j) {
  res.status = status;
  res.set_content(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), "application/json");
}

void send_error(httplib::Response& res, int status, const std::string& message) {
  send_json(res, status, error_body(message, error_type_for_status(status)));
}

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
    setup();
  }

  Context ctx;
  httplib::Server http;
  int port = 0;

  // A JSON POST route: admission, body parsing, errors in OpenAI's shape.
  template <class Fn>
  void post_json(const std::string& path, Fn fn) {
    http.Post(path, [this, fn](const httplib::Request& req, httplib::Response& res) {
      auto slot = std::make_shared<Admission>(ctx.metrics);
      if (ctx.metrics.queue_depth > ctx.options.max_queue) {
        res.set_header("Retry-After", "1");
        return send_json(res, 429, error_body("the server is at capacity (--max-queue); retry shortly",
                                              "rate_limit_error", "", "rate_limit_exceeded"));
      }
      nlohmann::json body;
      try {
        body = nlohmann::json::parse(req.body);
      } catch (const std::exception&) {
        return send_json(res, 400, error_body("the request body is not valid JSON", "invalid_request_error"));
      }
      if (!body.is_object())
        return send_json(res, 400, error_body("the request body must be a JSON object", "invalid_request_error"));
      try {
        fn(body, res, slot);
      } catch (const ApiError& e) {
        send_json(res, e.status(), e.body());
      } catch (const Error& e) {
        send_json(res, 400, error_body(e.what(), "invalid_request_error"));
      } catch (const std::exception& e) {
        send_json(res, 500, error_body(std::string("internal error: ") + e.what(), "server_error"));
      }
    });
  }

  // Streams a prepared job's server-sent events (the request was validated, and its
  // errors answered as JSON, when the job was made). An error while streaming can
  // only be reported as an event.
  void stream(httplib::Response& res, std::shared_ptr<Admission> slot, StreamJob job) {
    res.set_header("Cache-Control", "no-cache");
    res.set_chunked_content_provider("text/event-stream", [job = std::move(job), slot](size_t, httplib::DataSink& sink) {
      try {
        job([&](const std::string& data) { return sink.is_writable() && sink.write(data.data(), data.size()); });
      } catch (const ApiError& e) {
        std::string data = "data: " + e.body().dump() + "\n\n";
        sink.write(data.data(), data.size());
      } catch (const std::exception& e) {
        std::string data = "data: " + error_body(e.what(), "server_error").dump() + "\n\n";
        sink.write(data.data(), data.size());
      }
      sink.done();
      return true;
    });
  }

  void setup() {
    const auto& o = ctx.options;
    http.set_payload_max_length(o.max_body_bytes);
    // Enough workers for every admitted request plus the cheap routes.
    const int workers = o.max_queue + 4;
    http.new_task_queue = [workers] { return new httplib::ThreadPool(static_cast<size_t>(workers)); };

    http.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
      request_start() = Clock::now();
      // /health for probes, and the page itself (a browser cannot send a key when it
      // opens it); the page's API calls carry the key the user types in.
      if (ctx.options.api_key.empty() || req.path == "/health" || (req.path == "/" && req.method == "GET"))
        return httplib::Server::HandlerResponse::Unhandled;
      if (req.get_header_value("Authorization") == "Bearer " + ctx.options.api_key)
        return httplib::Server::HandlerResponse::Unhandled;
      send_json(res, 401, error_body("Incorrect API key provided", "invalid_request_error", "", "invalid_api_key"));
      return httplib::Server::HandlerResponse::Handled;
    });
    http.set_error_handler([](const httplib::Request&, httplib::Response& res) {
      if (!res.body.empty()) return;  // a route already wrote its error
      const char* msg = res.status == 404   ? "no such route"
                        : res.status == 413 ? "the request body is over the server's limit"
                        : res.status == 405 ? "method not allowed"
                                            : "request failed";
      send_error(res, res.status, msg);
    });
    http.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
      std::string what = "internal error";
      try {
        if (ep) std::rethrow_exception(ep);
      } catch (const std::exception& e) {
        what = e.what();
      }
      send_error(res, 500, what);
    });
    http.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
      const double s = std::chrono::duration<double>(Clock::now() - request_start()).count();
      ctx.metrics.record(req.path, res.status, s);
      std::fprintf(stderr, "%s %s %s %d %.3fs\n", req.remote_addr.c_str(), req.method.c_str(), req.path.c_str(),
                   res.status, s);
    });

    http.Get("/health", [this](const httplib::Request&, httplib::Response& res) {
      send_json(res, 200, {{"status", "ok"}, {"models_loaded", ctx.pool.loaded_count()}});
    });
    http.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
      res.set_content(ctx.metrics.prometheus(ctx.pool.loaded_count()), "text/plain; version=0.0.4");
    });
    http.Get("/", [](const httplib::Request&, httplib::Response& res) { res.set_content(kWebPage, "text/html"); });
    http.Get("/v1/models", [this](const httplib::Request&, httplib::Response& res) {
      send_json(res, 200, list_models(ctx));
    });

    post_json("/v1/chat/completions", [this](const nlohmann::json& body, httplib::Response& res, auto slot) {
      if (wants_stream(body)) return stream(res, slot, chat_completions_stream(ctx, body));
      send_json(res, 200, chat_completions(ctx, body));
    });
    post_json("/v1/completions", [this](const nlohmann::json& body, httplib::Response& res, auto slot) {
      if (wants_stream(body)) return stream(res, slot, completions_stream(ctx, body));
      send_json(res, 200, completions(ctx, body));
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
  // one request run on one worker thread, so the start is kept per thread.
  static Clock::time_point& request_start() {
    static thread_local Clock::time_point t;
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
