// `argus serve`: the HTTP server (OpenAI-compatible API, vision routes, web page).
#include <signal.h>

#include <atomic>
#include <cstdio>
#include <thread>

#include "cli/commands.h"
#include "cli/default_models.h"
#include "hub/pull.h"
#include "server/server.h"
#include "util/error.h"

namespace argus::cli {

namespace {

server::Server* g_server = nullptr;

void on_signal(int) {
  if (g_server) g_server->stop();  // httplib's stop only flips a flag and shuts the socket
}

}  // namespace

void add_serve(CLI::App& app) {
  auto* cmd = app.add_subcommand("serve", "HTTP server: OpenAI-compatible API, vision routes and a web page");
  struct Opts {
    std::vector<std::string> models, loras;
    server::ServerOptions s;
    double budget_gb = 0;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--model", o->models,
                  "NAME=DIR (repeatable): a checkpoint directory (or SAM .pth, or a hub org/name[@rev]) served as NAME "
                  "(default: the world models, as world-clip, world-llava, world-sam and world-owl)");
  cmd->add_option("--lora", o->loras,
                  "NAME=DIR (repeatable): fold the PEFT LoRA adapter in DIR into chat model NAME at load "
                  "(serve one base twice, with and without, under two names)");
  cmd->add_option("--host", o->s.host, "address to listen on (default 127.0.0.1)");
  cmd->add_option("--port", o->s.port, "port (default 8080; 0 = any free port)");
  cmd->add_option("--api-key", o->s.api_key, "require 'Authorization: Bearer KEY' on every route but /health");
  cmd->add_option("--image-root", o->s.image_root, "allow image paths in requests, under this directory only");
  cmd->add_option("--allow-origin", o->s.allow_origins,
                  "let web pages from this origin (http://host:port, or *) call the API (repeatable); "
                  "other cross-site requests are refused");
  cmd->add_option("--allow-host", o->s.allow_hosts,
                  "answer this Host name too when listening on loopback (repeatable; default: loopback names only)");
  cmd->add_flag("--allow-remote-images", o->s.allow_remote_images, "allow http(s):// image URLs in requests");
  cmd->add_option("--max-body-bytes", o->s.max_body_bytes, "largest request body in bytes (default 33554432)");
  cmd->add_option("--max-image-pixels", o->s.max_image_pixels, "largest decoded image (default 40 megapixels)");
  cmd->add_option("--max-tokens", o->s.max_tokens, "largest max_tokens a request may ask for (default 4096)");
  cmd->add_option("--max-prompt-tokens", o->s.max_prompt_tokens, "longest prompt (default: the model's context)");
  cmd->add_option("--max-queue", o->s.max_queue, "requests admitted at once; more get 429 (default 16)");
  cmd->add_option("--max-connections", o->s.max_connections,
                  "connections served at once, a thread each; more wait (default 256)");
  cmd->add_option("--read-timeout", o->s.read_timeout_s,
                  "seconds a connection may stay silent mid-request or idle between requests (default 5)");
  cmd->add_option("--timeout", o->s.request_timeout_s, "seconds a request may wait and generate (default 300)");
  cmd->add_option("--memory-budget-gb", o->budget_gb, "unload least-recently-used models past this size (0 = off)");
  cmd->callback([o] {
    if (o->models.empty())
      for (const char* name : {"clip", "llava", "sam", "owl"}) o->models.push_back(std::string("world-") + name + "=" + default_model(name));
    auto parse = [](const std::vector<std::string>& specs, const char* flag, std::map<std::string, std::string>& into) {
      for (const auto& spec : specs) {
        auto eq = spec.find('=');
        if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size()) fail("{} \"{}\" must be NAME=DIR", flag, spec);
        if (!into.emplace(spec.substr(0, eq), spec.substr(eq + 1)).second)
          fail("{}: the name \"{}\" is given twice", flag, spec.substr(0, eq));
      }
    };
    parse(o->models, "--model", o->s.models);
    for (auto& entry : o->s.models) entry.second = hub::resolve_model(entry.second);
    parse(o->loras, "--lora", o->s.loras);
    if (o->s.max_queue < 1) fail("--max-queue must be at least 1");
    if (o->s.max_connections < 1 || o->s.max_connections > 4096)
      fail("--max-connections must be in 1..4096, got {}", o->s.max_connections);
    if (o->s.read_timeout_s < 1 || o->s.read_timeout_s > 3600)
      fail("--read-timeout must be in 1..3600 seconds, got {}", o->s.read_timeout_s);
    o->s.memory_budget_bytes = static_cast<size_t>(o->budget_gb * (1u << 30));
    server::Server srv(o->s);
    const int port = srv.bind();
    std::fprintf(stderr, "argus: serving %zu model(s) on http://%s:%d/\n", o->s.models.size(), o->s.host.c_str(), port);
    std::fflush(stderr);
    g_server = &srv;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    srv.serve();
    g_server = nullptr;
  });
}

}  // namespace argus::cli
