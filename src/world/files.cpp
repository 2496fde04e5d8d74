#include "world/files.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "util/error.h"

namespace argus::world {

void make_directories(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) fail("cannot create directory {}: {}", dir, ec.message());
  if (!std::filesystem::is_directory(dir, ec)) fail("cannot create directory {}: a file of that name exists", dir);
}

void write_file_atomic(const std::string& path, const void* data, size_t size) {
  const std::string tmp = path + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) fail("cannot write {}: {}", path, std::strerror(errno));
  const bool written = std::fwrite(data, 1, size, f) == size;
  const int write_errno = errno;
  if (std::fclose(f) != 0 || !written) {
    std::remove(tmp.c_str());
    fail("cannot write {}: {}", path, std::strerror(written ? errno : write_errno));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int e = errno;
    std::remove(tmp.c_str());
    fail("cannot write {}: rename failed: {}", path, std::strerror(e));
  }
}

}  // namespace argus::world
