#include "nn/tensor_io.h"

#include <cstring>

#include "util/error.h"

namespace argus::nn {

at::ScalarType to_scalar_type(io::DType t) {
  switch (t) {
    case io::DType::F64: return at::kDouble;
    case io::DType::F32: return at::kFloat;
    case io::DType::F16: return at::kHalf;
    case io::DType::BF16: return at::kBFloat16;
    case io::DType::I64: return at::kLong;
    case io::DType::I32: return at::kInt;
    case io::DType::I16: return at::kShort;
    case io::DType::I8: return at::kChar;
    case io::DType::U8: return at::kByte;
    case io::DType::Bool: return at::kBool;
    default: fail("tensor dtype {} is not supported by this LibTorch", io::dtype_name(t));
  }
}

io::DType to_dtype(at::ScalarType t) {
  switch (t) {
    case at::kDouble: return io::DType::F64;
    case at::kFloat: return io::DType::F32;
    case at::kHalf: return io::DType::F16;
    case at::kBFloat16: return io::DType::BF16;
    case at::kLong: return io::DType::I64;
    case at::kInt: return io::DType::I32;
    case at::kShort: return io::DType::I16;
    case at::kChar: return io::DType::I8;
    case at::kByte: return io::DType::U8;
    case at::kBool: return io::DType::Bool;
    default: fail("cannot store tensors of type {}", c10::toString(t));
  }
}

at::Tensor view_tensor(const io::TensorRef& ref) {
  const auto& e = *ref.entry;
  auto keep = ref.file;  // the deleter owns a reference to the mapping
  return at::from_blob(const_cast<uint8_t*>(e.data), e.shape, [keep](void*) {},
                       at::TensorOptions().dtype(to_scalar_type(e.dtype)));
}

io::TensorBytes tensor_bytes(const at::Tensor& t) {
  at::Tensor c = t.detach().to(at::kCPU).contiguous();
  io::TensorBytes b{to_dtype(c.scalar_type()), c.sizes().vec(), std::string()};
  b.bytes.assign(static_cast<const char*>(c.data_ptr()), c.nbytes());
  return b;
}

std::map<std::string, at::Tensor> load_safetensors(const std::string& path) {
  auto f = io::SafetensorsFile::open(path);
  std::map<std::string, at::Tensor> out;
  for (const auto& e : f->tensors()) {
    at::Tensor t = view_tensor(io::TensorRef{&e, f});
    out[e.name] = at::isFloatingType(t.scalar_type()) ? t.to(at::kFloat) : t.clone();
  }
  return out;
}

void save_safetensors(const std::string& path, const std::map<std::string, at::Tensor>& tensors) {
  std::map<std::string, io::TensorBytes> bytes;
  for (const auto& [k, t] : tensors) bytes[k] = tensor_bytes(t);
  io::write_safetensors(path, bytes, {{"format", "pt"}});
}

}  // namespace argus::nn
