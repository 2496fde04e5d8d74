// Element types a checkpoint can store, independent of LibTorch.
#pragma once
#include <cstddef>
#include <string>

namespace argus::io {

enum class DType { F64, F32, F16, BF16, I64, I32, I16, I8, U8, Bool, F8_E4M3, F8_E5M2 };

size_t dtype_size(DType t);
const char* dtype_name(DType t);  // safetensors spelling ("F32", "BF16", ...)
// Parses the safetensors spelling; throws argus::Error naming the unknown type.
DType parse_dtype(const std::string& s);

}  // namespace argus::io
