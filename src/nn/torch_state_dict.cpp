#include "nn/torch_state_dict.h"

#include <fstream>
#include <iterator>
#include <vector>

#include <torch/csrc/jit/serialization/pickle.h>

#include "util/error.h"

namespace argus::nn {

namespace {

// A .pth of SAM ViT-H is 2.5 GB; anything past this is not a checkpoint we can hold.
constexpr std::streamoff kMaxBytes = std::streamoff{64} << 30;

}  // namespace

std::map<std::string, at::Tensor> read_torch_state_dict(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) fail("{}: cannot open", path);
  const std::streamoff size = in.tellg();
  if (size <= 0 || size > kMaxBytes) fail("{}: {} bytes is not a torch.save checkpoint", path, size);
  std::vector<char> bytes(static_cast<size_t>(size));
  in.seekg(0);
  if (!in.read(bytes.data(), size)) fail("{}: read failed", path);

  c10::IValue value;
  try {
    value = torch::jit::pickle_load(bytes);
  } catch (const std::exception& e) {
    std::string msg = e.what();
    fail("{}: not a readable torch.save file ({})", path, msg.substr(0, msg.find('\n')));
  }
  bytes = {};
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
