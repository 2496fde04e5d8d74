// A Hugging Face checkpoint directory: config.json plus weights in
// model.safetensors, a sharded model.safetensors.index.json, or a lone
// *.safetensors file. All shards are memory-mapped; tensors are looked up by key.
#pragma once
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "io/safetensors.h"

namespace argus::io {

struct TensorRef {
  const TensorEntry* entry = nullptr;
  std::shared_ptr<SafetensorsFile> file;  // keeps the mapping alive
};

class Checkpoint {
 public:
  // `path` is a directory or a single .safetensors file.
  static Checkpoint open(const std::string& path);

  const std::string& dir() const { return dir_; }
  bool has_config() const { return !config_.is_null(); }
  const nlohmann::json& config() const { return config_; }  // {} when absent
  const std::map<std::string, TensorRef>& tensors() const { return tensors_; }
  const TensorRef* find(const std::string& key) const;
  // Optional JSON side file in the checkpoint dir (e.g. preprocessor_config.json); null if absent.
  nlohmann::json side_json(const std::string& name) const;
  bool has_file(const std::string& name) const;
  std::string file_path(const std::string& name) const { return dir_ + "/" + name; }
  size_t total_bytes() const;

 private:
  void add_file(const std::string& path, const std::vector<std::string>* only = nullptr);
  std::string dir_;
  nlohmann::json config_;
  std::map<std::string, TensorRef> tensors_;
};

}  // namespace argus::io
