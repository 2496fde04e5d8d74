#include "tasks/chat/weight_dtype.h"

#include "util/error.h"

namespace argus::tasks {

at::ScalarType weight_dtype(const std::string& dtype, size_t float32_bytes, size_t narrower_bytes) {
  if (dtype == "float32") return at::kFloat;
  if (dtype == "bfloat16") return at::kBFloat16;
  if (dtype != "auto") fail("dtype \"{}\" must be auto, float32 or bfloat16", dtype);
  return narrower_bytes > float32_bytes ? at::kBFloat16 : at::kFloat;
}

}  // namespace argus::tasks
