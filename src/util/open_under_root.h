// Reading a file named by an untrusted request under a directory it must not leave
// (the server's --image-root). The check is made on the file actually opened, in one
// step, so that swapping a symlink between a path check and the open cannot serve a
// file from elsewhere: openat2(RESOLVE_BENEATH) from the root's descriptor where the
// kernel has it (Linux >= 5.6; the kernel refuses any resolution that leaves the root),
// else open() and then the opened descriptor's own path (/proc/self/fd) must lie under
// the root. Symlinks that stay inside the root are followed.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace argus {

struct RootedFile {
  enum class Status { Ok, BadName, Outside, Missing, NotRegular, TooLarge, Unreadable };
  Status status = Status::Unreadable;
  std::vector<uint8_t> bytes;  // the whole file when Ok
};

// `root` is a canonical directory path; `relative` is a path relative to it (no NUL
// byte: one is BadName, as C strings would truncate there). Nothing is read unless the
// opened file is a regular file under the root of at most max_bytes.
RootedFile read_file_under_root(const std::string& root, const std::string& relative, size_t max_bytes);

}  // namespace argus
