#include "hub/download.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>

#include "hub/digest.h"
#include "util/error.h"
#include "util/progress.h"

namespace fs = std::filesystem;

namespace argus::hub {

namespace {

// An open file descriptor, closed on every path out.
struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

// Holds an exclusive flock on the blob's lock file for its lifetime.
struct BlobLock {
  Fd fd;
  explicit BlobLock(const fs::path& path) : fd(-1) {
    fs::create_directories(path.parent_path());
    fd.fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd.fd < 0) fail("cannot open lock file {}: {}", path.string(), std::strerror(errno));
    while (::flock(fd.fd, LOCK_EX) != 0)
      if (errno != EINTR) fail("cannot lock {}: {}", path.string(), std::strerror(errno));
  }
};

bool is_hex(const std::string& s, size_t n) {
  if (s.size() != n) return false;
  for (char c : s)
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

// The hash the ETag is, if it is one: LFS files carry their SHA-256, the others git's
// blob SHA-1. Other ETags (a CDN's, say) leave only the size to check.
std::optional<Digest::Kind> etag_digest(const std::string& etag) {
  if (is_hex(etag, 64)) return Digest::sha256;
  if (is_hex(etag, 40)) return Digest::git_sha1;
  return std::nullopt;
}

int64_t existing_size(const fs::path& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) ? st.st_size : 0;
}

}  // namespace

void fetch_blob(const Http& http, const RepoCache& cache, const RemoteFile& file, bool progress) {
  const fs::path blob = cache.blob(file.etag);
  std::error_code ec;
  if (fs::exists(blob, ec)) return;
  fs::create_directories(blob.parent_path());
  BlobLock lock(cache.lock_file(file.etag));
  if (fs::exists(blob, ec)) return;  // another pull finished it while we waited

  const fs::path part = blob.string() + ".incomplete";
  int64_t have = existing_size(part);
  Fd out(::open(part.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
  if (out.fd < 0) fail("cannot write {}: {}", part.string(), std::strerror(errno));
  if (have > file.size) {  // not a prefix of this file: start over
    if (::ftruncate(out.fd, 0) != 0) fail("cannot truncate {}: {}", part.string(), std::strerror(errno));
    have = 0;
  }

  const std::string what = cache.repo().id + ": " + file.name;
  Progress bar(file.name, file.size, Progress::Unit::bytes);
  if (progress && have > 0) bar.step(have);
  int status = 0, write_errno = 0;
  bool overflow = false;
  int64_t written = have;
  const bool ok = have == file.size || http.download(
      file.url, have,
      [&](int s, const std::map<std::string, std::string>&) {
        status = s;
        if (s == 200 && have > 0) {  // the server ignored the Range: take the whole body
          if (::ftruncate(out.fd, 0) != 0) {
            write_errno = errno;
            return false;
          }
          written = 0;
        }
        return s == 200 || s == 206;
      },
      [&](const char* data, size_t n) {
        if (written + static_cast<int64_t>(n) > file.size) {
          overflow = true;
          return false;
        }
        for (size_t done = 0; done < n;) {
          const ssize_t w = ::write(out.fd, data + done, n - done);
          if (w < 0 && errno == EINTR) continue;
          if (w <= 0) {
            write_errno = w < 0 ? errno : EIO;
            return false;
          }
          done += static_cast<size_t>(w);
        }
        written += static_cast<int64_t>(n);
        if (progress) bar.step(static_cast<int64_t>(n));
        return true;
      });
  // Bytes that cannot be what the hub announced are dropped; a transfer that merely
  // broke off stays as .incomplete for the next pull to resume.
  auto discard = [&] { fs::remove(part, ec); };
  if (write_errno) {
    discard();
    fail("{}: writing {} failed: {}; nothing was cached", what, part.string(), std::strerror(write_errno));
  }
  if (overflow) {
    discard();
    fail("{}: the server sent more than the {} bytes the hub announced; nothing was cached", what, file.size);
  }
  if (status != 0 && status != 200 && status != 206)
    fail("{}: downloading {} gave HTTP {}", what, file.url, status);
  if (!ok || written < file.size)
    fail("{}: the download broke off after {} of {} bytes; run the pull again to resume it", what, written,
         file.size);
  if (::fsync(out.fd) != 0) {
    discard();
    fail("{}: writing {} failed: {}; nothing was cached", what, part.string(), std::strerror(errno));
  }
  if (auto kind = etag_digest(file.etag)) {
    const std::string got = file_digest(part.string(), *kind);
    if (got != file.etag) {
      discard();
      fail("{}: the downloaded bytes have {} {}, the hub announced {}; nothing was cached", what,
           *kind == Digest::sha256 ? "sha256" : "git sha1", got, file.etag);
    }
  }
  fs::rename(part, blob);
  if (progress) bar.finish();
}

}  // namespace argus::hub
