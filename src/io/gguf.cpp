#include "io/gguf.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <limits>
#include <numeric>

#include "util/error.h"

namespace argus::io {

namespace {

// Bounds beyond which a file is refused rather than believed. Real files stay far
// below them (a 256k-token vocabulary, chat templates of tens of KB, 4-d tensors).
constexpr uint64_t kMaxStringBytes = 16ull << 20;
constexpr uint64_t kMaxArrayElems = 1ull << 24;
constexpr int kMaxArrayDepth = 4;
constexpr uint32_t kMaxDims = 4;  // GGML_MAX_DIMS
constexpr uint64_t kMaxNumel = 1ull << 48;

enum ValueType : uint32_t {
  kU8 = 0, kI8 = 1, kU16 = 2, kI16 = 3, kU32 = 4, kI32 = 5, kF32 = 6, kBool = 7,
  kString = 8, kArray = 9, kU64 = 10, kI64 = 11, kF64 = 12,
};

// The fewest bytes a value of each type occupies, to bound counts by what is left.
uint64_t min_value_bytes(uint32_t t) {
  switch (t) {
    case kU8: case kI8: case kBool: return 1;
    case kU16: case kI16: return 2;
    case kU32: case kI32: case kF32: return 4;
    case kU64: case kI64: case kF64: case kString: return 8;
    case kArray: return 12;
    default: return 0;
  }
}

class Cursor {
 public:
  Cursor(const uint8_t* p, size_t n) : p_(p), n_(n) {}
  size_t pos() const { return pos_; }
  uint64_t left() const { return n_ - pos_; }

  const uint8_t* take(uint64_t k, const char* what) {
    if (k > left()) fail("GGUF: file ends inside {} (needs {} bytes at offset {}, {} left)", what, k, pos_, left());
    const uint8_t* r = p_ + pos_;
    pos_ += static_cast<size_t>(k);
    return r;
  }
  template <typename T>
  T read(const char* what) {
    T v;
    std::memcpy(&v, take(sizeof(T), what), sizeof(T));  // the format is little-endian, as argus's targets
    return v;
  }
  std::string string(const char* what) {
    const auto len = read<uint64_t>(what);
    if (len > kMaxStringBytes) fail("GGUF: {} is {} bytes long (limit {})", what, len, kMaxStringBytes);
    const uint8_t* s = take(len, what);
    return std::string(reinterpret_cast<const char*>(s), static_cast<size_t>(len));
  }

 private:
  const uint8_t* p_;
  size_t n_;
  size_t pos_ = 0;
};

nlohmann::ordered_json read_value(Cursor& c, uint32_t type, const std::string& key, int depth) {
  switch (type) {
    case kU8: return c.read<uint8_t>("a metadata value");
    case kI8: return c.read<int8_t>("a metadata value");
    case kU16: return c.read<uint16_t>("a metadata value");
    case kI16: return c.read<int16_t>("a metadata value");
    case kU32: return c.read<uint32_t>("a metadata value");
    case kI32: return c.read<int32_t>("a metadata value");
    case kF32: return c.read<float>("a metadata value");
    case kU64: return c.read<uint64_t>("a metadata value");
    case kI64: return c.read<int64_t>("a metadata value");
    case kF64: return c.read<double>("a metadata value");
    case kBool: {
      const auto b = c.read<uint8_t>("a metadata value");
      if (b > 1) fail("GGUF: metadata \"{}\" holds a bool of value {}", key, b);
      return b == 1;
    }
    case kString: return c.string("a metadata string");
    case kArray: {
      if (depth >= kMaxArrayDepth) fail("GGUF: metadata \"{}\" nests arrays deeper than {}", key, kMaxArrayDepth);
      const auto elem = c.read<uint32_t>("an array type");
      const auto count = c.read<uint64_t>("an array length");
      const uint64_t min = min_value_bytes(elem);
      if (min == 0) fail("GGUF: metadata \"{}\" is an array of unknown type {}", key, elem);
      if (count > kMaxArrayElems)
        fail("GGUF: metadata \"{}\" has {} elements (limit {})", key, count, kMaxArrayElems);
      if (count > c.left() / min)
        fail("GGUF: metadata \"{}\" claims {} elements but only {} bytes are left", key, count, c.left());
      auto arr = nlohmann::ordered_json::array();
      arr.get_ref<nlohmann::ordered_json::array_t&>().reserve(static_cast<size_t>(count));
      for (uint64_t i = 0; i < count; ++i) arr.push_back(read_value(c, elem, key, depth + 1));
      return arr;
    }
    default: fail("GGUF: metadata \"{}\" has unknown value type {}", key, type);
  }
}

uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

GgufTensor read_tensor_info(Cursor& c) {
  GgufTensor t;
  t.name = c.string("a tensor name");
  if (t.name.empty()) fail("GGUF: a tensor has an empty name");
  const auto n_dims = c.read<uint32_t>("a tensor's dimension count");
  if (n_dims == 0 || n_dims > kMaxDims)
    fail("GGUF: tensor \"{}\" has {} dimensions (1 to {} allowed)", t.name, n_dims, kMaxDims);
  uint64_t numel = 1;
  for (uint32_t i = 0; i < n_dims; ++i) {
    const auto d = c.read<uint64_t>("a tensor dimension");
    if (d == 0 || d > kMaxNumel || numel > kMaxNumel / d)
      fail("GGUF: tensor \"{}\" has dimension {} = {}, outside 1..2^48 in total", t.name, i, d);
    numel *= d;
    t.ne.push_back(static_cast<int64_t>(d));
  }
  const auto type = c.read<uint32_t>("a tensor type");
  const GgmlTypeInfo* info = ggml_type_info(type);
  if (!info) fail("GGUF: tensor \"{}\" is stored as {}, which argus does not read", t.name, ggml_type_name(type));
  t.type = info->type;
  if (t.ne[0] % info->block_elems != 0)
    fail("GGUF: tensor \"{}\" rows of {} values are not whole {} blocks of {}", t.name, t.ne[0], info->name,
         info->block_elems);
  t.nbytes = static_cast<size_t>(numel / static_cast<uint64_t>(info->block_elems) * info->block_bytes);
  t.offset = c.read<uint64_t>("a tensor offset");
  return t;
}

}  // namespace

int64_t GgufTensor::numel() const {
  return std::accumulate(ne.begin(), ne.end(), int64_t{1}, std::multiplies<int64_t>());
}

std::vector<int64_t> GgufTensor::shape() const { return {ne.rbegin(), ne.rend()}; }

GgufHeader parse_gguf(const uint8_t* bytes, size_t size) {
  Cursor c(bytes, size);
  if (size < 4 || std::memcmp(bytes, "GGUF", 4) != 0) fail("GGUF: not a GGUF file (no \"GGUF\" magic)");
  c.take(4, "the magic");
  GgufHeader h;
  h.version = c.read<uint32_t>("the version");
  if ((h.version & 0xFFFF) == 0 && h.version != 0)
    fail("GGUF: the file is big-endian (version field {:#x}); argus reads little-endian GGUF", h.version);
  if (h.version == 1) fail("GGUF: version 1 files are not supported (convert again with a current llama.cpp)");
  if (h.version != 2 && h.version != 3) fail("GGUF: version {} is not one argus reads (2 or 3)", h.version);
  const auto n_tensors = c.read<uint64_t>("the tensor count");
  const auto n_kv = c.read<uint64_t>("the metadata count");
  // Each key/value takes at least 8+1+4+1 bytes and each tensor info 8+1+4+8+4+8.
  if (n_kv > c.left() / 14) fail("GGUF: header claims {} metadata entries but the file has {} bytes left", n_kv, c.left());
  if (n_tensors > c.left() / 33) fail("GGUF: header claims {} tensors but the file has {} bytes left", n_tensors, c.left());

  for (uint64_t i = 0; i < n_kv; ++i) {
    std::string key = c.string("a metadata key");
    if (key.empty()) fail("GGUF: metadata entry {} has an empty key", i);
    if (h.metadata.contains(key)) fail("GGUF: metadata key \"{}\" appears twice", key);
    const auto type = c.read<uint32_t>("a metadata type");
    if (key == "general.alignment") {
      if (type != kU32) fail("GGUF: general.alignment must be a uint32 (type {})", type);
      const auto a = c.read<uint32_t>("general.alignment");
      if (a == 0 || (a & (a - 1)) != 0) fail("GGUF: general.alignment {} is not a power of two", a);
      h.alignment = a;
      h.metadata[key] = a;
      continue;
    }
    h.metadata[key] = read_value(c, type, key, 0);
  }

  std::map<std::string, size_t> seen;
  for (uint64_t i = 0; i < n_tensors; ++i) {
    GgufTensor t = read_tensor_info(c);
    if (!seen.emplace(t.name, h.tensors.size()).second) fail("GGUF: tensor \"{}\" appears twice", t.name);
    if (t.offset % h.alignment != 0)
      fail("GGUF: tensor \"{}\" offset {} is not a multiple of the alignment {}", t.name, t.offset, h.alignment);
    h.tensors.push_back(std::move(t));
  }

  h.data_start = align_up(c.pos(), h.alignment);
  if (h.tensors.empty()) return h;
  if (h.data_start > size) fail("GGUF: the data section starts at {}, past the end of the file ({})", h.data_start, size);
  const uint64_t data_bytes = size - h.data_start;
  std::vector<size_t> order(h.tensors.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return h.tensors[a].offset < h.tensors[b].offset; });
  uint64_t end_of_previous = 0;
  const GgufTensor* previous = nullptr;
  for (size_t k : order) {
    GgufTensor& t = h.tensors[k];
    if (t.offset > data_bytes || t.nbytes > data_bytes - t.offset)
      fail("GGUF: tensor \"{}\" ({} bytes at data offset {}) runs past the end of the file ({} data bytes)", t.name,
           t.nbytes, t.offset, data_bytes);
    if (previous && t.offset < end_of_previous)
      fail("GGUF: tensors \"{}\" and \"{}\" overlap", previous->name, t.name);
    end_of_previous = t.offset + t.nbytes;
    previous = &t;
    t.data = bytes + h.data_start + t.offset;
  }
  return h;
}

bool is_gguf_file(const std::string& path) {
  std::error_code ec;
  return path.size() > 5 && path.compare(path.size() - 5, 5, ".gguf") == 0 &&
         std::filesystem::is_regular_file(path, ec);
}

std::shared_ptr<GgufFile> GgufFile::open(const std::string& path) {
  auto f = std::shared_ptr<GgufFile>(new GgufFile());
  f->file_ = MappedFile::open(path);
  try {
    f->header_ = parse_gguf(f->file_->data(), f->file_->size());
  } catch (const Error& e) {
    fail("{}: {}", path, e.what());
  }
  for (size_t i = 0; i < f->header_.tensors.size(); ++i) f->index_[f->header_.tensors[i].name] = i;
  return f;
}

const GgufTensor* GgufFile::find(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &header_.tensors[it->second];
}

const GgufTensor& GgufFile::at(const std::string& name) const {
  if (const auto* t = find(name)) return *t;
  fail("{}: no tensor \"{}\"", path(), name);
}

std::string GgufFile::meta_string(const std::string& key) const {
  auto it = header_.metadata.find(key);
  if (it == header_.metadata.end()) fail("{}: metadata \"{}\" is missing", path(), key);
  if (!it->is_string()) fail("{}: metadata \"{}\" is not a string", path(), key);
  return it->get<std::string>();
}

uint64_t GgufFile::meta_uint(const std::string& key) const {
  auto it = header_.metadata.find(key);
  if (it == header_.metadata.end()) fail("{}: metadata \"{}\" is missing", path(), key);
  if (!it->is_number_unsigned() && !(it->is_number_integer() && it->get<int64_t>() >= 0))
    fail("{}: metadata \"{}\" is not a non-negative integer", path(), key);
  return it->get<uint64_t>();
}

double GgufFile::meta_number(const std::string& key) const {
  auto it = header_.metadata.find(key);
  if (it == header_.metadata.end()) fail("{}: metadata \"{}\" is missing", path(), key);
  if (!it->is_number()) fail("{}: metadata \"{}\" is not a number", path(), key);
  return it->get<double>();
}

}  // namespace argus::io
