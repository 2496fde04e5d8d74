#include "hub/digest.h"

#include <openssl/evp.h>

#include <filesystem>
#include <fstream>
#include <vector>

#include <fmt/format.h>

#include "util/error.h"

namespace argus::hub {

struct Digest::Ctx {
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  ~Ctx() { EVP_MD_CTX_free(md); }
};

Digest::Digest(Kind kind, uint64_t size) : ctx_(std::make_unique<Ctx>()) {
  if (!ctx_->md || EVP_DigestInit_ex(ctx_->md, kind == sha256 ? EVP_sha256() : EVP_sha1(), nullptr) != 1)
    fail("OpenSSL could not start a digest");
  if (kind == git_sha1) {
    const std::string prefix = "blob " + std::to_string(size);
    add(prefix.c_str(), prefix.size() + 1);  // with its NUL
  }
}

Digest::~Digest() = default;

void Digest::add(const void* data, size_t n) { EVP_DigestUpdate(ctx_->md, data, n); }

std::string Digest::hex() {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_DigestFinal_ex(ctx_->md, out, &n);
  std::string s;
  for (unsigned int i = 0; i < n; ++i) s += fmt::format("{:02x}", out[i]);
  return s;
}

std::string file_digest(const std::string& path, Digest::Kind kind) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  std::ifstream in(path, std::ios::binary);
  if (ec || !in) return "";
  Digest d(kind, size);
  std::vector<char> buf(1 << 20);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    d.add(buf.data(), static_cast<size_t>(in.gcount()));
  }
  return d.hex();
}

}  // namespace argus::hub
