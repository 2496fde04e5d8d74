// The dtype a chat model's weights are kept in, from the --dtype option and the bytes
// the file stores: float32, or bfloat16 for "bfloat16" and for "auto" when most bytes
// are 16-bit or quantised (their precision is at or below bfloat16's already).
#pragma once
#include <cstddef>
#include <string>

#include <c10/core/ScalarType.h>

namespace argus::tasks {

at::ScalarType weight_dtype(const std::string& dtype, size_t float32_bytes, size_t narrower_bytes);

}  // namespace argus::tasks
