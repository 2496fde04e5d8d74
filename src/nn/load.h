// Strict name-for-name loading of checkpoint tensors into a module tree: every
// parameter/buffer must be filled, every checkpoint tensor used, shapes equal.
#pragma once
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <torch/nn/module.h>

#include "io/checkpoint.h"

namespace argus::nn {

struct LoadOptions {
  // Maps a checkpoint key to the module's name for it (key-layout variants).
  std::function<std::string(const std::string&)> rename;
  // Checkpoint keys ending in one of these are skipped: tensors the reference
  // itself ignores on load, such as the `position_ids` buffers of older exports.
  std::vector<std::string> ignore_suffixes;
  // Only checkpoint keys with this prefix are considered (and it is stripped),
  // e.g. "vision_tower." when loading one tower of a bigger checkpoint.
  std::string prefix;
};

// Copies (and converts) each tensor into the parameter in place; the mapping is
// read once, so peak memory is the model plus page cache, never two heap copies.
void load_weights(torch::nn::Module& module, const io::Checkpoint& ck, const LoadOptions& opts = {});
// The same rules for tensors already in memory (e.g. read from a torch.save file).
void load_weights(torch::nn::Module& module, const std::map<std::string, at::Tensor>& tensors,
                  const LoadOptions& opts = {});

// Renames by ordered (from, to) substring substitutions, each applied once.
std::function<std::string(const std::string&)> rename_table(
    std::vector<std::pair<std::string, std::string>> substitutions);

int64_t parameter_count(const torch::nn::Module& module);

// "[2, 3]", for error messages.
std::string shape_str(at::IntArrayRef s);

}  // namespace argus::nn
