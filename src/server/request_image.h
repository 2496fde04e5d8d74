// Images named in API requests: a data: URI (base64), an http(s) URL (only with
// --allow-remote-images), or a local path (only under --image-root, after
// resolving symlinks and "..", so no request can read outside it).
#pragma once
#include <string>

#include "image/image.h"

namespace argus::server {

struct ImagePolicy {
  std::string image_root;  // canonical directory; empty: local paths refused
  bool allow_remote = false;
  int64_t max_pixels = 40'000'000;
  size_t max_bytes = 32u << 20;
};

// Decoded RGB image; every refusal is an ApiError (400, or 403 for paths outside the root).
image::Image load_request_image(const std::string& ref, const ImagePolicy& policy, const std::string& param);

}  // namespace argus::server
