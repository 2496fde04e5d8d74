// safetensors reader: an 8-byte little-endian header length, a JSON header
// {name: {dtype, shape, data_offsets:[begin,end]}, "__metadata__": {...}}, then the
// byte buffer. Everything in the header is validated before any tensor is exposed:
// lengths, offsets inside the buffer, no overlaps, byte count == product(shape)*size.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "io/dtype.h"
#include "util/mapped_file.h"

namespace argus::io {

struct TensorEntry {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  uint64_t begin = 0, end = 0;  // offsets relative to the data buffer
  const uint8_t* data = nullptr;
  size_t nbytes() const { return static_cast<size_t>(end - begin); }
  int64_t numel() const;
};

struct SafetensorsHeader {
  std::vector<TensorEntry> tensors;  // sorted by data offset
  std::map<std::string, std::string> metadata;
  uint64_t data_start = 0;  // file offset of the data buffer
};

// Parses and validates a whole safetensors image held in memory. Tensor data
// pointers point into `bytes`. Throws argus::Error with a message naming the problem.
SafetensorsHeader parse_safetensors(const uint8_t* bytes, size_t size);

class SafetensorsFile {
 public:
  static std::shared_ptr<SafetensorsFile> open(const std::string& path);

  const std::vector<TensorEntry>& tensors() const { return header_.tensors; }
  const std::map<std::string, std::string>& metadata() const { return header_.metadata; }
  const TensorEntry* find(const std::string& name) const;
  const TensorEntry& at(const std::string& name) const;  // throws naming the key
  const std::string& path() const { return file_->path(); }
  // Keeps the mapping alive for as long as someone holds a view of its bytes.
  std::shared_ptr<MappedFile> mapping() const { return file_; }

 private:
  std::shared_ptr<MappedFile> file_;
  SafetensorsHeader header_;
  std::map<std::string, size_t> index_;
};

// Writes tensors (name -> dtype, shape, raw little-endian bytes) as a safetensors file.
struct TensorBytes {
  DType dtype;
  std::vector<int64_t> shape;
  std::string bytes;
};
void write_safetensors(const std::string& path, const std::map<std::string, TensorBytes>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

}  // namespace argus::io
