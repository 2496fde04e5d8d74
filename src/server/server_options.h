// What `argus serve` is told on its command line.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace argus::server {

struct ServerOptions {
  std::map<std::string, std::string> models;  // name -> checkpoint dir (or SAM .pth)
  std::map<std::string, std::string> loras;   // chat model name -> PEFT LoRA adapter dir, folded in at load
  std::string host = "127.0.0.1";
  int port = 8080;                 // 0: any free port (tests)
  std::string api_key;             // empty: no authentication
  std::string image_root;          // local image paths allowed under this directory only; empty: none
  bool allow_remote_images = false;
  std::vector<std::string> allow_origins;  // browser origins allowed cross-site ("*": any)
  std::vector<std::string> allow_hosts;    // Host names a loopback server answers beyond loopback ones
  size_t max_body_bytes = 32u << 20;
  int64_t max_image_pixels = 40'000'000;
  int64_t max_tokens = 4096;       // upper bound on a request's max_tokens
  int64_t max_prompt_tokens = 0;   // 0: the model's context length
  int max_queue = 16;              // requests admitted at once (waiting or running); more get 429
  int max_connections = 256;       // connections served at once, one thread each; more wait
  int read_timeout_s = 5;          // a connection silent this long between reads (or idle) is closed
  double request_timeout_s = 300;  // waiting for a model + generating
  size_t memory_budget_bytes = 0;  // loaded checkpoints' size; 0: unbounded. LRU models unload past it
  int threads = 0;                 // compute threads; 0: one per core
};

}  // namespace argus::server
