// ggml's tensor element types, as GGUF files store them: plain floats and the
// block-quantised formats (a block of `block_elems` values packed into `block_bytes`
// with its own scale). Torch-free; the dequantisers are written from the formats'
// definitions (see ggml_types.cpp for the bit layouts).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace argus::io {

// The numeric ids are the file format's; ids not listed are unknown or unsupported.
enum class GgmlType : uint32_t {
  F32 = 0,
  F16 = 1,
  Q4_0 = 2,
  Q4_1 = 3,
  Q5_0 = 6,
  Q5_1 = 7,
  Q8_0 = 8,
  Q4_K = 12,
  Q5_K = 13,
  Q6_K = 14,
  BF16 = 30,
};

struct GgmlTypeInfo {
  GgmlType type;
  const char* name;    // llama.cpp's spelling: "Q4_K", "BF16", ...
  int64_t block_elems;  // values per block (1 for plain floats)
  size_t block_bytes;   // bytes per block
};

// The info of a supported type id, or nullptr.
const GgmlTypeInfo* ggml_type_info(uint32_t id);
// A readable name for any id, including types llama.cpp defines that argus does not
// read (Q2_K, IQ4_XS, ...), for error messages.
std::string ggml_type_name(uint32_t id);

// Decodes `n` consecutive values (a whole number of blocks) stored as `type` at `src`
// into `dst`. Throws argus::Error if n is not a multiple of the block size.
void dequantize(GgmlType type, const uint8_t* src, int64_t n, float* dst);

float half_to_float(uint16_t h);
float bf16_to_float(uint16_t h);

}  // namespace argus::io
