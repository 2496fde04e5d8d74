// Reading a state dict that PyTorch's torch.save wrote (.pth / .pt, the zip format of
// PyTorch >= 1.6), for original checkpoints that were never converted to safetensors,
// such as Meta's SAM releases and open_clip's open_clip_pytorch_model.bin. The pickle is
// parsed by io/torch_pickle.h (tensors and plain containers only; nothing runs).
#pragma once
#include <map>
#include <string>

#include <ATen/ATen.h>

namespace argus::nn {

// name -> tensor of the file's top-level dict, or of its "model" / "state_dict" entry
// when the top level wraps one (training checkpoints do). A file that is not a
// torch.save'd dict of tensors is an argus::Error naming the path.
std::map<std::string, at::Tensor> read_torch_state_dict(const std::string& path);

}  // namespace argus::nn
