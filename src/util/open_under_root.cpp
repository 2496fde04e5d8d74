#include "util/open_under_root.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>

namespace argus {

namespace {

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

constexpr int kFlags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY;  // NONBLOCK: a FIFO does not hang the open

// The path the kernel has for an open descriptor; "" when it cannot say.
std::string path_of(int fd) {
  char buf[PATH_MAX + 1];
  const std::string link = "/proc/self/fd/" + std::to_string(fd);
  const ssize_t n = ::readlink(link.c_str(), buf, PATH_MAX);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

bool under(const std::string& path, const std::string& root) {
  if (root == "/") return !path.empty() && path[0] == '/';
  return path.compare(0, root.size(), root) == 0 && (path.size() == root.size() || path[root.size()] == '/');
}

RootedFile::Status open_status(int err) {
  if (err == ENOENT || err == ENOTDIR) return RootedFile::Status::Missing;
  if (err == EXDEV || err == ELOOP) return RootedFile::Status::Outside;  // RESOLVE_BENEATH's refusals
  return RootedFile::Status::Unreadable;
}

}  // namespace

RootedFile read_file_under_root(const std::string& root, const std::string& relative, size_t max_bytes) {
  RootedFile out;
  using S = RootedFile::Status;
  if (relative.find('\0') != std::string::npos || relative.empty()) return out.status = S::BadName, out;
  Fd dir, file;
  dir.fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir.fd < 0) return out;
  struct open_how how {};
  how.flags = kFlags;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  file.fd = static_cast<int>(::syscall(SYS_openat2, dir.fd, relative.c_str(), &how, sizeof how));
  if (file.fd < 0 && (errno == ENOSYS || errno == EPERM)) {
    // No openat2 (an old kernel, or a seccomp filter): open, then check what was opened.
    file.fd = ::openat(dir.fd, relative.c_str(), kFlags);
    if (file.fd >= 0 && !under(path_of(file.fd), root)) return out.status = S::Outside, out;
  }
  if (file.fd < 0) return out.status = open_status(errno), out;
  struct stat st {};
  if (::fstat(file.fd, &st) != 0) return out;
  if (!S_ISREG(st.st_mode)) return out.status = S::NotRegular, out;
  if (static_cast<uint64_t>(st.st_size) > max_bytes) return out.status = S::TooLarge, out;
  out.bytes.resize(static_cast<size_t>(st.st_size));
  size_t got = 0;
  while (got < out.bytes.size()) {
    const ssize_t n = ::read(file.fd, out.bytes.data() + got, out.bytes.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // shrank under us: what was read is all there is
    got += static_cast<size_t>(n);
  }
  out.bytes.resize(got);
  out.status = S::Ok;
  return out;
}

}  // namespace argus
