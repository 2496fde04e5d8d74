// File output for the generator: directories created on demand, and files written
// under a temporary name then renamed, so a reader never sees a half-written file.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace argus::world {

// Creates `dir` and its parents; an error names the directory.
void make_directories(const std::string& dir);

// Writes `bytes` to `path` through `path`.tmp and a rename; errors name the path.
void write_file_atomic(const std::string& path, const void* data, size_t size);
inline void write_file_atomic(const std::string& path, const std::string& text) {
  write_file_atomic(path, text.data(), text.size());
}
inline void write_file_atomic(const std::string& path, const std::vector<uint8_t>& bytes) {
  write_file_atomic(path, bytes.data(), bytes.size());
}

}  // namespace argus::world
