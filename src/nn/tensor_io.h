// Bridges checkpoint bytes (io::TensorEntry) and LibTorch tensors.
#pragma once
#include <ATen/ATen.h>

#include "io/checkpoint.h"
#include "io/dtype.h"

namespace argus::nn {

at::ScalarType to_scalar_type(io::DType t);
io::DType to_dtype(at::ScalarType t);

// A tensor viewing the mapped bytes (no copy). It keeps the mapping alive; treat it
// as read-only, since the mapping is MAP_PRIVATE and writes would go copy-on-write.
at::Tensor view_tensor(const io::TensorRef& ref);

// Tensor -> bytes for io::write_safetensors (contiguous CPU copy).
io::TensorBytes tensor_bytes(const at::Tensor& t);

// Reads named tensors of a safetensors file into float32 (or their stored integer type).
std::map<std::string, at::Tensor> load_safetensors(const std::string& path);
void save_safetensors(const std::string& path, const std::map<std::string, at::Tensor>& tensors);

}  // namespace argus::nn
