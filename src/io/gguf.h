// GGUF reader (llama.cpp's model files, versions 2 and 3): a little-endian header
// ("GGUF", version, tensor count, metadata count), typed metadata key/values, tensor
// infos (name, dims with the fastest-varying first, ggml type, offset), then the
// tensor data from an aligned start. Everything is validated against the bytes that
// are really there before anything is exposed: counts, string and array lengths,
// types, dims, offsets inside the file, alignment, no overlaps, no duplicate names.
// Torch-free, so the fuzzer and the sanitizer build cover it.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "io/ggml_types.h"
#include "util/mapped_file.h"

namespace argus::io {

struct GgufTensor {
  std::string name;
  GgmlType type = GgmlType::F32;
  std::vector<int64_t> ne;  // ggml order: ne[0] varies fastest
  uint64_t offset = 0;      // from the start of the data section
  size_t nbytes = 0;
  const uint8_t* data = nullptr;
  int64_t numel() const;
  // Row-major shape as PyTorch sees the same tensor (ne reversed): a [out, in] weight
  // is stored with ne = {in, out}.
  std::vector<int64_t> shape() const;
};

struct GgufHeader {
  uint32_t version = 0;
  // Metadata in file order. Numbers, bools and strings map to JSON scalars, arrays to
  // arrays (a GGUF vocabulary is an array of strings).
  nlohmann::ordered_json metadata = nlohmann::ordered_json::object();
  std::vector<GgufTensor> tensors;  // in file order
  uint64_t alignment = 32;
  uint64_t data_start = 0;
};

// Parses a whole GGUF image in memory; tensor data pointers point into `bytes`.
// Throws argus::Error with a message naming the problem.
GgufHeader parse_gguf(const uint8_t* bytes, size_t size);

// A regular file whose name ends in ".gguf" (how commands tell a GGUF model from a
// checkpoint directory).
bool is_gguf_file(const std::string& path);

class GgufFile {
 public:
  static std::shared_ptr<GgufFile> open(const std::string& path);

  uint32_t version() const { return header_.version; }
  const nlohmann::ordered_json& metadata() const { return header_.metadata; }
  const std::vector<GgufTensor>& tensors() const { return header_.tensors; }
  const GgufTensor* find(const std::string& name) const;
  const GgufTensor& at(const std::string& name) const;  // throws naming the tensor and file
  const std::string& path() const { return file_->path(); }

  // Typed metadata lookups; a missing key or another type is an error naming it.
  std::string meta_string(const std::string& key) const;
  uint64_t meta_uint(const std::string& key) const;
  double meta_number(const std::string& key) const;
  bool has_meta(const std::string& key) const { return header_.metadata.contains(key); }

 private:
  std::shared_ptr<MappedFile> file_;
  GgufHeader header_;
  std::map<std::string, size_t> index_;
};

}  // namespace argus::io
