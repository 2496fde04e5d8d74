// Shared by the test_llm_*.cpp tests: fixture loading and scratch checkpoints.
#pragma once
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "io/checkpoint.h"
#include "io/json_file.h"
#include "models/llama/llama_model.h"
#include "nn/tensor_io.h"
#include "parity.h"

namespace argus::test {

inline std::vector<int64_t> row_ids(const at::Tensor& ids, int64_t row, int64_t from = 0, int64_t to = -1) {
  at::Tensor r = ids[row].to(at::kLong).contiguous();
  if (to < 0) to = r.size(0);
  return std::vector<int64_t>(r.data_ptr<int64_t>() + from, r.data_ptr<int64_t>() + to);
}

// A scratch checkpoint directory: `config` as config.json, `tensors` as model.safetensors.
class ScratchCheckpoint {
 public:
  ScratchCheckpoint(const std::string& tag, const nlohmann::json& config,
                    const std::map<std::string, at::Tensor>& tensors) {
    dir_ = std::filesystem::temp_directory_path() /
           ("argus_llm_" + tag + "_" + std::to_string(::getpid()) + "_" + std::to_string(counter()++));
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ / "config.json") << config.dump(1);
    nn::save_safetensors((dir_ / "model.safetensors").string(), tensors);
  }
  ~ScratchCheckpoint() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::string dir() const { return dir_.string(); }
  void write(const std::string& name, const std::string& text) const { std::ofstream(dir_ / name) << text; }

 private:
  static int& counter() {
    static int n = 0;
    return n;
  }
  std::filesystem::path dir_;
};

inline nlohmann::json fixture_config(const std::string& family) {
  return io::read_json(fixture(family + "/config.json"));
}

inline std::map<std::string, at::Tensor> fixture_weights(const std::string& family) {
  return nn::load_safetensors(fixture(family + "/model.safetensors"));
}

}  // namespace argus::test
