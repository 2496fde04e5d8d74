// Streaming hashes for checking downloads against the hub's ETags: SHA-256 for LFS
// files, git's blob SHA-1 ("blob <size>\0" + bytes) for the rest (OpenSSL's EVP).
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace argus::hub {

class Digest {
 public:
  enum Kind { sha256, git_sha1 };
  // git_sha1 needs the file's size up front, as git hashes it into the prefix.
  Digest(Kind kind, uint64_t size);
  ~Digest();
  void add(const void* data, size_t n);
  std::string hex();  // lowercase; ends the digest

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

// The hex digest of a whole file ("" when it cannot be read).
std::string file_digest(const std::string& path, Digest::Kind kind);

}  // namespace argus::hub
