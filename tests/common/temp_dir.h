// Per-process scratch directories under the system temp dir (ctest runs test processes in
// parallel, so each name carries the pid). Every directory handed out is removed when the
// process exits normally, so a passing suite leaves nothing behind in /tmp.
#pragma once
#include <unistd.h>

#include <filesystem>
#include <mutex>
#include <set>
#include <string>
#include <system_error>

namespace argus::test {

namespace detail {

struct TempDirCleanup {
  std::mutex mu;
  std::set<std::filesystem::path> dirs;
  ~TempDirCleanup() {
    std::error_code ec;
    for (const auto& d : dirs) std::filesystem::remove_all(d, ec);
  }
};

inline TempDirCleanup& temp_dir_cleanup() {
  static TempDirCleanup c;
  return c;
}

}  // namespace detail

// argus_<name>_<pid>, created if missing and kept across calls within the process.
inline std::string process_temp_dir(const std::string& name) {
  auto d = std::filesystem::temp_directory_path() / ("argus_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::create_directories(d);
  auto& c = detail::temp_dir_cleanup();
  std::lock_guard<std::mutex> lock(c.mu);
  c.dirs.insert(d);
  return d.string();
}

// The same directory, emptied first.
inline std::string fresh_temp_dir(const std::string& name) {
  auto d = std::filesystem::temp_directory_path() / ("argus_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(d);
  return process_temp_dir(name);
}

}  // namespace argus::test
