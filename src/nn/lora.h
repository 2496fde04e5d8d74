// LoRA (Hu et al. 2021) on Dense layers, in PEFT's file layout so adapters move
// between argus and the Python stack: an adapter directory holds adapter_config.json
// and adapter_model.safetensors with keys
//   base_model.model.<module>.lora_A.weight  [r, in]
//   base_model.model.<module>.lora_B.weight  [out, r]
//   base_model.model.<module>.<param>        full tensors of modules_to_save
// where <module> is the base checkpoint's own key for that layer.
#pragma once
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>
#include <torch/nn/module.h>

namespace argus::nn {

struct LoraConfig {
  int64_t r = 8;
  double alpha = 16;
  bool rslora = false;  // scaling alpha/sqrt(r) instead of alpha/r
  std::vector<std::string> target_modules;   // layer names, matched as the last name component
  std::vector<std::string> modules_to_save;  // modules trained in full, shipped with the adapter
  std::string base_model;                    // base_model_name_or_path
  double scaling() const;
};

// adapter_config.json <-> LoraConfig. What argus cannot apply (another peft_type, DoRA,
// fan_in_fan_out, trained biases, per-layer ranks) is refused by name.
LoraConfig parse_lora_config(const nlohmann::json& j, const std::string& where);
nlohmann::json lora_config_json(const LoraConfig& c);

// Adds an adapter to every Dense under `root` whose name starts with `scope` and ends in
// one of c.target_modules; returns their names. None found is an error.
std::vector<std::string> attach_lora(torch::nn::Module& root, const LoraConfig& c, const std::string& scope = "");

// The adapters' parameters (what a LoRA stage trains).
std::vector<at::Tensor> lora_parameters(torch::nn::Module& root);

// Folds every adapter into its layer's weight and removes it.
void merge_lora(torch::nn::Module& root);

// Writes the adapters under `root` and the parameters of c.modules_to_save (module-name
// prefixes) as an adapter directory. Module names are written as the checkpoint keys.
void save_lora_adapter(torch::nn::Module& root, const LoraConfig& c, const std::string& dir);

// An adapter directory, read and checked for internal consistency (every layer has A and
// B of rank r with agreeing shapes); keys are the base checkpoint's, prefix removed.
struct LoraAdapter {
  LoraConfig config;
  std::map<std::string, std::pair<at::Tensor, at::Tensor>> layers;  // module key -> (A, B), float32
  std::map<std::string, at::Tensor> replaced;                       // parameter key -> tensor
};
LoraAdapter read_lora_adapter(const std::string& dir);

using KeyRename = std::function<std::string(const std::string&)>;

// Applies an adapter to a loaded model whose module names are the checkpoint keys after
// `rename` (the loader's): LoRA layers are folded into their weights (`merge`) or kept
// as adapters; modules_to_save tensors replace the model's. Strict: a key that names no
// Dense layer or parameter, or a shape that disagrees, is an error naming it.
void apply_lora_adapter(torch::nn::Module& root, const LoraAdapter& a, const KeyRename& rename, bool merge = true);

// The same on raw checkpoint tensors (key -> tensor, any float dtype, kept): W += s B A.
void merge_lora_into(std::map<std::string, at::Tensor>& tensors, const LoraAdapter& a, const KeyRename& rename);

}  // namespace argus::nn
