#include "nn/lora.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>

#include "io/json_file.h"
#include "nn/dense.h"
#include "nn/load.h"
#include "nn/tensor_io.h"
#include "util/error.h"
#include "util/strings.h"

namespace fs = std::filesystem;

namespace argus::nn {
namespace {

constexpr const char* kPrefix = "base_model.model.";
constexpr const char* kConfigFile = "adapter_config.json";
constexpr const char* kWeightsFile = "adapter_model.safetensors";

std::string last_component(const std::string& name) {
  auto dot = name.rfind('.');
  return dot == std::string::npos ? name : name.substr(dot + 1);
}

std::map<std::string, DenseImpl*> dense_layers(torch::nn::Module& root) {
  std::map<std::string, DenseImpl*> out;
  for (const auto& kv : root.named_modules("", false))
    if (auto* d = dynamic_cast<DenseImpl*>(kv.value().get())) {
      // An adapter's own A and B are Dense too; they never take adapters.
      if (!ends_with(kv.key(), ".lora_A") && !ends_with(kv.key(), ".lora_B")) out[kv.key()] = d;
    }
  return out;
}

// A module key (no ".weight") through the loader's rename, which maps parameter keys.
std::string module_name(const std::string& key, const KeyRename& rename) {
  std::string p = rename(key + ".weight");
  if (!ends_with(p, ".weight")) fail("LoRA: the model has no layer for adapter key {}", key);
  return p.substr(0, p.size() - 7);
}

void check_pair(const std::string& key, const at::Tensor& a, const at::Tensor& b, int64_t in, int64_t out) {
  if (a.size(1) != in || b.size(0) != out)
    fail("LoRA: adapter layer {} is [{} -> {}] but the model's layer is [{} -> {}]", key, a.size(1), b.size(0), in,
         out);
}

}  // namespace

double LoraConfig::scaling() const {
  return rslora ? alpha / std::sqrt(static_cast<double>(r)) : alpha / static_cast<double>(r);
}

LoraConfig parse_lora_config(const nlohmann::json& j, const std::string& where) {
  if (!j.is_object()) fail("{}: not a JSON object", where);
  auto str_or = [&](const char* k, const std::string& d) {
    if (!j.contains(k) || j[k].is_null()) return d;
    if (!j[k].is_string()) fail("{}: \"{}\" must be a string", where, k);
    return j[k].get<std::string>();
  };
  auto flag = [&](const char* k) {
    if (!j.contains(k) || j[k].is_null()) return false;
    if (!j[k].is_boolean()) fail("{}: \"{}\" must be true or false", where, k);
    return j[k].get<bool>();
  };
  auto names = [&](const char* k) {
    std::vector<std::string> v;
    if (!j.contains(k) || j[k].is_null()) return v;
    if (j[k].is_string()) return std::vector<std::string>{j[k].get<std::string>()};
    if (!j[k].is_array()) fail("{}: \"{}\" must be a list of module names", where, k);
    for (const auto& e : j[k]) {
      if (!e.is_string()) fail("{}: \"{}\" must be a list of module names", where, k);
      v.push_back(e.get<std::string>());
    }
    return v;
  };
  if (std::string t = str_or("peft_type", "LORA"); t != "LORA")
    fail("{}: peft_type \"{}\" is not supported (only LORA)", where, t);
  if (flag("use_dora")) fail("{}: DoRA adapters (use_dora) are not supported", where);
  if (flag("fan_in_fan_out")) fail("{}: fan_in_fan_out (GPT-2 style Conv1D) adapters are not supported", where);
  if (std::string b = str_or("bias", "none"); b != "none") fail("{}: adapters with trained biases (bias \"{}\") are not supported", where, b);
  for (const char* k : {"rank_pattern", "alpha_pattern"})
    if (j.contains(k) && !j[k].is_null() && !j[k].empty()) fail("{}: per-layer \"{}\" is not supported", where, k);
  LoraConfig c;
  if (!j.contains("r") || !j["r"].is_number_integer() || j["r"].get<int64_t>() <= 0)
    fail("{}: \"r\" must be a positive integer", where);
  c.r = j["r"].get<int64_t>();
  c.alpha = 8;  // PEFT's default
  if (j.contains("lora_alpha") && !j["lora_alpha"].is_null()) {
    if (!j["lora_alpha"].is_number()) fail("{}: \"lora_alpha\" must be a number", where);
    c.alpha = j["lora_alpha"].get<double>();
  }
  c.rslora = flag("use_rslora");
  c.target_modules = names("target_modules");
  c.modules_to_save = names("modules_to_save");
  c.base_model = str_or("base_model_name_or_path", "");
  return c;
}

nlohmann::json lora_config_json(const LoraConfig& c) {
  return {{"peft_type", "LORA"},
          {"task_type", "CAUSAL_LM"},
          {"r", c.r},
          {"lora_alpha", c.alpha},
          {"lora_dropout", 0.0},
          {"use_rslora", c.rslora},
          {"use_dora", false},
          {"bias", "none"},
          {"fan_in_fan_out", false},
          {"target_modules", c.target_modules},
          {"modules_to_save", c.modules_to_save.empty() ? nlohmann::json() : nlohmann::json(c.modules_to_save)},
          {"base_model_name_or_path", c.base_model},
          {"inference_mode", true}};
}

std::vector<std::string> attach_lora(torch::nn::Module& root, const LoraConfig& c, const std::string& scope) {
  std::vector<std::string> attached;
  for (auto& [name, d] : dense_layers(root)) {
    if (!starts_with(name, scope)) continue;
    bool wanted = false;
    for (const auto& t : c.target_modules) wanted = wanted || last_component(name) == t;
    if (!wanted) continue;
    d->add_lora(c.r, c.scaling());
    attached.push_back(name);
  }
  if (attached.empty()) fail("LoRA: no linear layer under \"{}\" is named like the targets", scope);
  return attached;
}

std::vector<at::Tensor> lora_parameters(torch::nn::Module& root) {
  std::vector<at::Tensor> out;
  for (auto& [name, d] : dense_layers(root))
    if (d->has_lora()) {
      out.push_back(d->lora_A->weight);
      out.push_back(d->lora_B->weight);
    }
  return out;
}

void merge_lora(torch::nn::Module& root) {
  for (auto& [name, d] : dense_layers(root)) d->merge_lora();
}

void save_lora_adapter(torch::nn::Module& root, const LoraConfig& c, const std::string& dir) {
  std::map<std::string, at::Tensor> tensors;
  for (auto& [name, d] : dense_layers(root))
    if (d->has_lora()) {
      tensors[kPrefix + name + ".lora_A.weight"] = d->lora_A->weight.detach();
      tensors[kPrefix + name + ".lora_B.weight"] = d->lora_B->weight.detach();
    }
  if (tensors.empty()) fail("LoRA: the model has no adapters to save");
  for (const auto& kv : root.named_parameters(true))
    for (const auto& m : c.modules_to_save)
      if (starts_with(kv.key(), m + ".")) tensors[kPrefix + kv.key()] = kv.value().detach();
  fs::create_directories(dir);
  save_safetensors((fs::path(dir) / kWeightsFile).string(), tensors);
  std::ofstream((fs::path(dir) / kConfigFile).string()) << lora_config_json(c).dump(2);
}

LoraAdapter read_lora_adapter(const std::string& dir) {
  fs::path config = fs::path(dir) / kConfigFile, weights = fs::path(dir) / kWeightsFile;
  if (!fs::exists(config)) fail("{}: no {}: not a LoRA adapter directory", dir, kConfigFile);
  if (!fs::exists(weights)) {
    if (fs::exists(fs::path(dir) / "adapter_model.bin"))
      fail("{}: the adapter is a pickle (adapter_model.bin); argus reads adapter_model.safetensors only", dir);
    fail("{}: no {}", dir, kWeightsFile);
  }
  LoraAdapter a;
  a.config = parse_lora_config(io::read_json(config.string()), config.string());
  std::map<std::string, at::Tensor> as, bs;
  for (auto& [key, t] : load_safetensors(weights.string())) {
    if (!starts_with(key, kPrefix)) fail("{}: key {} does not start with {}", weights.string(), key, kPrefix);
    std::string k = key.substr(std::string(kPrefix).size());
    if (k.find("lora_embedding_") != std::string::npos || k.find("lora_magnitude") != std::string::npos)
      fail("{}: {} is not a linear-layer LoRA weight (embedding LoRA and DoRA are not supported)", weights.string(), key);
    if (ends_with(k, ".lora_A.weight")) {
      as[k.substr(0, k.size() - 14)] = t;
    } else if (ends_with(k, ".lora_B.weight")) {
      bs[k.substr(0, k.size() - 14)] = t;
    } else {
      a.replaced[k] = t;
    }
  }
  if (as.empty()) fail("{}: no LoRA layers (no *.lora_A.weight keys)", weights.string());
  for (auto& [k, A] : as) {
    auto b = bs.find(k);
    if (b == bs.end()) fail("{}: layer {} has lora_A but no lora_B", weights.string(), k);
    const at::Tensor& B = b->second;
    if (A.dim() != 2 || B.dim() != 2 || A.size(0) != a.config.r || B.size(1) != a.config.r)
      fail("{}: layer {} has A {} and B {}, not rank r = {}", weights.string(), k, shape_str(A.sizes()), shape_str(B.sizes()), a.config.r);
    a.layers[k] = {A, B};
    bs.erase(b);
  }
  if (!bs.empty()) fail("{}: layer {} has lora_B but no lora_A", weights.string(), bs.begin()->first);
  return a;
}

void apply_lora_adapter(torch::nn::Module& root, const LoraAdapter& a, const KeyRename& rename, bool merge) {
  auto layers = dense_layers(root);
  for (const auto& [key, ab] : a.layers) {
    auto it = layers.find(module_name(key, rename));
    if (it == layers.end()) fail("LoRA: adapter layer {} names no linear layer of the model", key);
    DenseImpl& d = *it->second;
    check_pair(key, ab.first, ab.second, d.weight.size(1), d.weight.size(0));
    d.add_lora(a.config.r, a.config.scaling());
    {
      at::NoGradGuard ng;
      d.lora_A->weight.copy_(ab.first);
      d.lora_B->weight.copy_(ab.second);
    }
    if (merge) d.merge_lora();
  }
  auto params = root.named_parameters(true);
  for (const auto& [key, t] : a.replaced) {
    std::string name = rename(key);
    at::Tensor* p = params.find(name);
    if (!p) fail("LoRA: adapter tensor {} names no parameter of the model", key);
    if (p->sizes() != t.sizes()) fail("LoRA: adapter tensor {} is {} but the model's is {}", key, shape_str(t.sizes()), shape_str(p->sizes()));
    at::NoGradGuard ng;
    p->copy_(t);
  }
}

void merge_lora_into(std::map<std::string, at::Tensor>& tensors, const LoraAdapter& a, const KeyRename& rename) {
  std::map<std::string, std::string> by_name;  // renamed key -> stored key
  for (const auto& [k, t] : tensors) by_name[rename(k)] = k;
  auto find = [&](const std::string& key) -> at::Tensor& {
    auto it = by_name.find(rename(key));
    if (it == by_name.end()) fail("LoRA: adapter key {} names no tensor of the checkpoint", key);
    return tensors.at(it->second);
  };
  for (const auto& [key, ab] : a.layers) {
    at::Tensor& w = find(key + ".weight");
    if (w.dim() != 2) fail("LoRA: {}.weight is not a matrix", key);
    check_pair(key, ab.first, ab.second, w.size(1), w.size(0));
    w = (w.to(at::kFloat) + at::matmul(ab.second, ab.first) * a.config.scaling()).to(w.scalar_type());
  }
  for (const auto& [key, t] : a.replaced) {
    at::Tensor& w = find(key);
    if (w.sizes() != t.sizes()) fail("LoRA: adapter tensor {} is {} but the checkpoint's is {}", key, shape_str(t.sizes()), shape_str(w.sizes()));
    w = t.to(w.scalar_type());
  }
}

}  // namespace argus::nn
