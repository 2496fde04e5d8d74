// The pickle of a torch.save file (data.pkl inside its zip), parsed without Python and
// without running anything: a small pickle machine that knows the opcodes torch.save
// writes (protocols 2-4) and exactly the globals a state dict needs (OrderedDict, the
// tensor rebuild functions, the typed storage classes). Any other global is refused by
// name, so a pickle that would run code on Python's torch.load is an error here.
// Torch-free: tensors come out as records naming their storage; nn/ makes the tensors.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace argus::io::pickle {

struct Value;
// Values point into their Document: memo references may share or even nest a container
// in itself, which owning pointers would leak or destroy recursively.
using ValuePtr = Value*;

// A tensor as _rebuild_tensor_v2 describes it: a view of storage `key` (the zip record
// data/<key>) of element type `storage_type` ("HalfStorage", "FloatStorage", ...).
struct TensorRecord {
  std::string key, storage_type;
  int64_t storage_numel = 0, offset = 0;
  std::vector<int64_t> sizes, strides;
};

struct Value {
  enum class Kind { None, Bool, Int, Float, String, Tuple, List, Dict, Global, Storage, Tensor };
  Kind kind = Kind::None;
  int64_t i = 0;     // Bool, Int
  double f = 0;      // Float
  std::string s;     // String; Global as "module.name"
  std::vector<ValuePtr> items;                         // Tuple, List
  std::vector<std::pair<ValuePtr, ValuePtr>> entries;  // Dict, in insertion order
  TensorRecord tensor;                                 // Storage (key, type, numel), Tensor
};

const char* kind_name(Value::Kind k);

struct Document {
  std::vector<std::unique_ptr<Value>> values;  // owns every value
  ValuePtr root = nullptr;
};

// Parses a whole pickle; `what` names it in errors (argus::Error, one line).
Document parse(const uint8_t* data, size_t size, const std::string& what);

}  // namespace argus::io::pickle
