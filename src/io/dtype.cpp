#include "io/dtype.h"

#include "util/error.h"

namespace argus::io {

namespace {
struct Entry {
  DType type;
  const char* name;
  size_t size;
};
constexpr Entry kTable[] = {
    {DType::F64, "F64", 8},   {DType::F32, "F32", 4},         {DType::F16, "F16", 2},
    {DType::BF16, "BF16", 2}, {DType::I64, "I64", 8},         {DType::I32, "I32", 4},
    {DType::I16, "I16", 2},   {DType::I8, "I8", 1},           {DType::U8, "U8", 1},
    {DType::Bool, "BOOL", 1}, {DType::F8_E4M3, "F8_E4M3", 1}, {DType::F8_E5M2, "F8_E5M2", 1},
};
}  // namespace

size_t dtype_size(DType t) {
  for (const auto& e : kTable)
    if (e.type == t) return e.size;
  return 0;
}

const char* dtype_name(DType t) {
  for (const auto& e : kTable)
    if (e.type == t) return e.name;
  return "?";
}

DType parse_dtype(const std::string& s) {
  for (const auto& e : kTable)
    if (s == e.name) return e.type;
  fail("unsupported tensor dtype \"{}\"", s);
}

}  // namespace argus::io
