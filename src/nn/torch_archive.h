// The two zip containers PyTorch writes, read with LibTorch's unpickler and never
// executed: torch.save files (a pickled dict of tensors) and TorchScript archives
// (OpenAI's released CLIP .pt files: the module tree pickled in data.pkl, code/ ignored).
// A pickle may name only the globals of tensors and plain containers; any other global
// (os.system, a Python class, ...) is refused by name before anything is built.
#pragma once
#include <map>
#include <string>

#include <ATen/ATen.h>
#include <ATen/core/ivalue.h>

namespace argus::nn {

// The unpickled value of a torch.save zip file (argus::Error naming the path otherwise).
c10::IValue read_torch_save(const std::string& path);

// Whether `path` is a TorchScript archive (a zip holding code/ beside data.pkl).
bool is_torchscript_archive(const std::string& path);

// Every tensor attribute of the archive's module tree by dotted name (parameters and
// buffers, as a state_dict names them). Attributes other than tensors, submodules,
// the `training` flags and None are an error naming them.
std::map<std::string, at::Tensor> read_torchscript_tensors(const std::string& path);

}  // namespace argus::nn
