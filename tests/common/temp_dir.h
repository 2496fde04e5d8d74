// A fresh, empty directory under the system temp dir, unique to this test process (ctest
// runs test processes in parallel).
#pragma once
#include <unistd.h>

#include <filesystem>
#include <string>

namespace argus::test {

inline std::string fresh_temp_dir(const std::string& name) {
  auto d = std::filesystem::temp_directory_path() / ("argus_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  return d.string();
}

}  // namespace argus::test
