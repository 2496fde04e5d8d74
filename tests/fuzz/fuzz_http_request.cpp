// libFuzzer target: what argus itself does with an HTTP request before a model sees
// it. The input is "Host\nOrigin\nContent-Length values\nTransfer-Encoding values\nbody"
// (header values separated by ','): the framing rule (request smuggling), the
// Origin/Host rule (cross-site use, DNS rebinding) and its CORS answer, the JSON body
// parsed as the server parses it, and every image reference in it ("image", "url")
// resolved and decoded under a policy with a real image root. Nothing may crash, hang
// or read outside the root; refusals are argus::Error (ApiError) only.
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/api_error.h"
#include "server/request_guard.h"
#include "server/request_image.h"

namespace {

using argus::server::ImagePolicy;

// A root holding one small valid image and a file outside it that must never be read.
const ImagePolicy& policy() {
  static ImagePolicy p = [] {
    namespace fs = std::filesystem;
    const fs::path dir = fs::temp_directory_path() / ("argus_fuzz_http_" + std::to_string(::getpid()));
    fs::create_directories(dir / "root");
    // A 1x1 PNG.
    static const unsigned char png[] = {
        0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00,
        0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02, 0x00, 0x00, 0x00, 0x90, 0x77, 0x53, 0xde, 0x00,
        0x00, 0x00, 0x0c, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0x00, 0x00, 0x03, 0x01,
        0x01, 0x00, 0xc9, 0xfe, 0x92, 0xef, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60,
        0x82};
    std::ofstream(dir / "root" / "a.png", std::ios::binary).write(reinterpret_cast<const char*>(png), sizeof png);
    std::ofstream(dir / "secret.png", std::ios::binary).write(reinterpret_cast<const char*>(png), sizeof png);
    ImagePolicy out;
    out.image_root = fs::canonical(dir / "root").string();
    out.max_pixels = 1 << 16;
    out.max_bytes = 1 << 16;
    return out;
  }();
  return p;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  if (s.empty()) return out;
  size_t pos = 0;
  for (size_t next; (next = s.find(sep, pos)) != std::string::npos; pos = next + 1) out.push_back(s.substr(pos, next - pos));
  out.push_back(s.substr(pos));
  return out;
}

void images_in(const nlohmann::json& j, int depth) {
  if (depth > 8) return;
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it) {
      if ((it.key() == "image" || it.key() == "url") && it->is_string()) {
        try {
          auto im = argus::server::load_request_image(it->get<std::string>(), policy(), it.key());
          if (im.width <= 0 || im.height <= 0) std::abort();
          if (static_cast<int64_t>(im.width) * im.height > policy().max_pixels) std::abort();
        } catch (const argus::server::ApiError& e) {
          // A path outside the root is 403, never read; the one file there decodes.
          if (e.status() != 400 && e.status() != 403 && e.status() != 404) std::abort();
        } catch (const argus::Error&) {
        }
      }
      images_in(*it, depth + 1);
    }
  } else if (j.is_array()) {
    for (const auto& x : j) images_in(x, depth + 1);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> lines;
  size_t pos = 0;
  for (int i = 0; i < 4; ++i) {
    const size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) {
      lines.push_back(text.substr(std::min(pos, text.size())));
      pos = text.size();
    } else {
      lines.push_back(text.substr(pos, nl - pos));
      pos = nl + 1;
    }
  }
  const std::string body = text.substr(std::min(pos, text.size()));
  const std::string &host = lines[0], &origin = lines[1];

  if (auto r = argus::server::check_framing(split(lines[2], ','), split(lines[3], ',')))
    if (r->status != 400 || r->message.empty()) std::abort();

  for (const char* bind : {"127.0.0.1", "0.0.0.0"}) {
    argus::server::OriginPolicy p{bind, {"http://allowed.example"}, {"argus.lan"}};
    auto refused = argus::server::check_origin(p, host, origin);
    if (refused && (refused->status != 403 || refused->message.empty())) std::abort();
    // CORS is granted only to an allowed origin, and only ever names that origin.
    const std::string cors = argus::server::cors_allow_origin(p, origin);
    if (!cors.empty() && cors != origin) std::abort();
  }
  (void)argus::server::host_name(host);

  nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_discarded()) images_in(j, 0);
  return 0;
}
