// Read-only memory map of a whole file. Checkpoint tensors point straight into it,
// so a multi-GB checkpoint is paged in by the kernel instead of copied to the heap.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace argus {

class MappedFile {
 public:
  static std::shared_ptr<MappedFile> open(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return data_; }
  // Drops the resident pages wholly inside [p, p + n) from this process (they are
  // re-read from the file if touched again): after a tensor has been copied out,
  // its pages need not count towards the loader's memory.
  void release(const uint8_t* p, size_t n) const;
  size_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  MappedFile() = default;
  std::string path_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

// Whole file into a string (small files: configs, vocabularies, message lists). Only a
// regular file of at most max_bytes is read: a FIFO, a device such as /dev/zero or a
// directory is an error naming it, before any read. Throws argus::Error.
std::string read_file(const std::string& path, size_t max_bytes = size_t{256} << 20);

}  // namespace argus
