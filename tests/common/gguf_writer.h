// Builds GGUF images byte by byte for tests, from the format's definition (little-endian
// header, typed key/values, tensor infos, aligned data) -- independent of argus's reader,
// so a reader that misplaces a field fails against it.
#pragma once
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace argus::test {

class GgufWriter {
 public:
  // GGUF value type ids.
  enum : uint32_t { U8 = 0, I8 = 1, U16 = 2, I16 = 3, U32 = 4, I32 = 5, F32 = 6, BOOL = 7, STRING = 8, ARRAY = 9,
                    U64 = 10, I64 = 11, F64 = 12 };

  template <typename T>
  static void put(std::string& out, T v) {
    char b[sizeof(T)];
    std::memcpy(b, &v, sizeof(T));
    out.append(b, sizeof(T));
  }
  static void put_string(std::string& out, const std::string& s) {
    put<uint64_t>(out, s.size());
    out += s;
  }

  void kv_u32(const std::string& key, uint32_t v) { key_(key, U32); put(kv_, v); }
  void kv_f32(const std::string& key, float v) { key_(key, F32); put(kv_, v); }
  void kv_string(const std::string& key, const std::string& v) { key_(key, STRING); put_string(kv_, v); }
  void kv_strings(const std::string& key, const std::vector<std::string>& v) {
    key_(key, ARRAY);
    put<uint32_t>(kv_, STRING);
    put<uint64_t>(kv_, v.size());
    for (const auto& s : v) put_string(kv_, s);
  }
  void kv_raw(const std::string& key, uint32_t type, const std::string& payload) {
    key_(key, type);
    kv_ += payload;
  }

  // ne in ggml order (fastest first); `bytes` is the tensor's encoded data.
  void tensor(const std::string& name, const std::vector<uint64_t>& ne, uint32_t type, const std::string& bytes) {
    while (data_.size() % alignment_) data_ += '\0';
    put_string(infos_, name);
    put<uint32_t>(infos_, static_cast<uint32_t>(ne.size()));
    for (uint64_t d : ne) put<uint64_t>(infos_, d);
    put<uint32_t>(infos_, type);
    put<uint64_t>(infos_, data_.size());
    data_ += bytes;
    ++n_tensors_;
  }

  void set_alignment(uint32_t a) {
    alignment_ = a;
    kv_u32("general.alignment", a);
  }

  std::string bytes(uint32_t version = 3) const {
    std::string out = "GGUF";
    put<uint32_t>(out, version);
    put<uint64_t>(out, n_tensors_);
    put<uint64_t>(out, n_kv_);
    out += kv_;
    out += infos_;
    while (out.size() % alignment_) out += '\0';
    return out + data_;
  }

 private:
  void key_(const std::string& key, uint32_t type) {
    put_string(kv_, key);
    put<uint32_t>(kv_, type);
    ++n_kv_;
  }
  std::string kv_, infos_, data_;
  uint64_t n_kv_ = 0, n_tensors_ = 0;
  uint32_t alignment_ = 32;
};

}  // namespace argus::test
