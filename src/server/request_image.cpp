#include "server/request_image.h"

#include <filesystem>

#include <httplib.h>

#include "image/decode.h"
#include "server/api_error.h"
#include "util/base64.h"
#include "util/open_under_root.h"

namespace argus::server {

namespace fs = std::filesystem;

namespace {

image::Image decode_bytes(const std::vector<uint8_t>& bytes, const ImagePolicy& policy, const std::string& param) {
  image::DecodeLimits limits;
  limits.max_pixels = policy.max_pixels;
  try {
    return image::decode_image(bytes.data(), bytes.size(), limits);
  } catch (const Error& e) {
    bad_request(std::string("the image could not be used: ") + e.what(), param);
  }
}

image::Image from_data_uri(const std::string& ref, const ImagePolicy& policy, const std::string& param) {
  // data:[<mediatype>][;base64],<data>
  const size_t comma = ref.find(',');
  if (comma == std::string::npos) bad_request("malformed data: URI (no ',')", param);
  const std::string meta = ref.substr(5, comma - 5);
  if (meta.size() < 7 || meta.compare(meta.size() - 7, 7, ";base64") != 0)
    bad_request("data: URIs must be base64-encoded (data:image/png;base64,...)", param);
  std::vector<uint8_t> bytes;
  try {
    bytes = util::base64_decode(std::string_view(ref).substr(comma + 1), policy.max_bytes);
  } catch (const Error& e) {
    bad_request(std::string("the data: URI is not valid base64: ") + e.what(), param);
  }
  return decode_bytes(bytes, policy, param);
}

image::Image from_path(const std::string& ref, const ImagePolicy& policy, const std::string& param) {
  if (policy.image_root.empty())
    throw ApiError(403, "local image paths are disabled: start the server with --image-root DIR", "permission_error",
                   param);
  // C strings end at a NUL: "a.jpg\0../../x" must not become "a.jpg".
  if (ref.find('\0') != std::string::npos) bad_request("image path contains a NUL byte", param);
  std::string rel = ref.rfind("file://", 0) == 0 ? ref.substr(7) : ref;
  fs::path p = fs::path(rel).is_absolute() ? fs::path(rel) : fs::path(policy.image_root) / rel;
  std::error_code ec;
  // A path that names something outside the root is refused as such whether or not it
  // exists (this check alone is not the protection: see read_file_under_root).
  fs::path canon = fs::weakly_canonical(p, ec);
  if (ec) bad_request("image path \"" + ref + "\" cannot be resolved", param);
  const std::string root = policy.image_root;
  const std::string c = canon.string();
  auto outside = [&] {
    return ApiError(403, "image path \"" + ref + "\" is outside the image root", "permission_error", param);
  };
  if (c.compare(0, root.size(), root) != 0 || (c.size() > root.size() && c[root.size()] != '/')) throw outside();
  // Opened once, beneath the root: a link swapped since the check above cannot lead out.
  RootedFile f = read_file_under_root(root, canon.lexically_relative(root).string(), policy.max_bytes);
  using S = RootedFile::Status;
  switch (f.status) {
    case S::Ok: break;
    case S::Outside: throw outside();
    case S::Missing: throw ApiError(404, "image \"" + ref + "\" does not exist", "not_found_error", param);
    case S::NotRegular: bad_request("image \"" + ref + "\" is not a regular file", param);
    case S::TooLarge: bad_request("image \"" + ref + "\" is too large", param);
    default: bad_request("image \"" + ref + "\" could not be read", param);
  }
  return decode_bytes(f.bytes, policy, param);
}

image::Image from_http(const std::string& ref, const ImagePolicy& policy, const std::string& param) {
  // Debian's cpp-httplib has TLS: the client takes "http(s)://host[:port]" and
  // verifies certificates against the system's CA store.
  const size_t slash = ref.find('/', ref.find("://") + 3);
  const std::string host = ref.substr(0, slash), path = slash == std::string::npos ? "/" : ref.substr(slash);
  httplib::Client client(host);
  client.set_connection_timeout(5);
  client.set_read_timeout(20);
  client.set_follow_location(false);
  std::string body;
  bool too_big = false;
  auto res = client.Get(path.c_str(), [&](const char* data, size_t n) {
    if (body.size() + n > policy.max_bytes) {
      too_big = true;
      return false;
    }
    body.append(data, n);
    return true;
  });
  if (too_big) bad_request("the image at " + ref + " is larger than the request limit", param);
  if (!res) bad_request("could not fetch " + ref + ": " + httplib::to_string(res.error()), param);
  if (res->status != 200) bad_request("fetching " + ref + " gave HTTP " + std::to_string(res->status), param);
  return decode_bytes(std::vector<uint8_t>(body.begin(), body.end()), policy, param);
}

}  // namespace

image::Image load_request_image(const std::string& ref, const ImagePolicy& policy, const std::string& param) {
  if (ref.rfind("data:", 0) == 0) return from_data_uri(ref, policy, param);
  if (ref.rfind("http://", 0) == 0 || ref.rfind("https://", 0) == 0) {
    if (!policy.allow_remote)
      throw ApiError(403, "remote image URLs are disabled: start the server with --allow-remote-images, or send a "
                          "data: URI",
                     "permission_error", param);
    return from_http(ref, policy, param);
  }
  return from_path(ref, policy, param);
}

}  // namespace argus::server
