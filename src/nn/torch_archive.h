// TorchScript archives (OpenAI's released CLIP .pt files), read for their weights only:
// the module tree pickled in data.pkl, through LibTorch's unpickler; code/ is never
// compiled or run. The pickle may name TorchScript module classes (`__torch__.*`) and
// the globals of tensors and plain containers; any other global is refused by name.
#pragma once
#include <map>
#include <string>

#include <ATen/ATen.h>
#include <ATen/core/ivalue.h>

namespace argus::nn {

// Whether `path` is a TorchScript archive (a zip holding code/ beside data.pkl).
bool is_torchscript_archive(const std::string& path);

// Every tensor attribute of the archive's module tree by dotted name (parameters and
// buffers, as a state_dict names them). Attributes other than tensors, submodules,
// the `training` flags and None are an error naming them.
std::map<std::string, at::Tensor> read_torchscript_tensors(const std::string& path);

}  // namespace argus::nn
