#include "nn/torch_state_dict.h"

#include "nn/torch_archive.h"
#include "util/error.h"

namespace argus::nn {

std::map<std::string, at::Tensor> read_torch_state_dict(const std::string& path) {
  c10::IValue value = read_torch_save(path);
  if (!value.isGenericDict()) fail("{}: holds a {}, not a state dict", path, value.tagKind());
  auto dict = value.toGenericDict();
  for (const char* wrapper : {"model", "state_dict"}) {
    if (dict.size() == 1 && dict.contains(wrapper) && dict.at(wrapper).isGenericDict()) {
      dict = dict.at(wrapper).toGenericDict();
      break;
    }
  }
  std::map<std::string, at::Tensor> out;
  for (const auto& entry : dict) {
    if (!entry.key().isString()) fail("{}: a state dict key is a {}, not a string", path, entry.key().tagKind());
    const std::string key = entry.key().toStringRef();
    if (!entry.value().isTensor()) fail("{}: \"{}\" is a {}, not a tensor", path, key, entry.value().tagKind());
    out.emplace(key, entry.value().toTensor());
  }
  if (out.empty()) fail("{}: the state dict is empty", path);
  return out;
}

}  // namespace argus::nn
