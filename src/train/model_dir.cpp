#include "train/model_dir.h"

#include <cmath>
#include <filesystem>
#include <fstream>

#include "nn/tensor_io.h"

namespace argus::train {

std::map<std::string, at::Tensor> state_dict(const torch::nn::Module& m, bool with_buffers) {
  std::map<std::string, at::Tensor> out;
  for (const auto& kv : m.named_parameters()) out[kv.key()] = kv.value().detach();
  if (with_buffers)
    for (const auto& kv : m.named_buffers()) out[kv.key()] = kv.value().detach();
  return out;
}

void write_model_dir(const std::string& dir, const std::map<std::string, at::Tensor>& tensors,
                     const nlohmann::json& config, const nlohmann::json& processor, const nlohmann::json& recipe) {
  std::filesystem::create_directories(dir);
  nn::save_safetensors(dir + "/model.safetensors", tensors);
  std::ofstream(dir + "/config.json") << config.dump(2);
  std::ofstream(dir + "/preprocessor_config.json") << processor.dump(2);
  std::ofstream(dir + "/argus_recipe.json") << recipe.dump(2);
}

nlohmann::json recipe_record(const std::string& name, uint64_t seed, int64_t batch_size, const TrainOptions& t,
                             int processes, const TrainResult& r) {
  return {{"recipe", name},
          {"seed", seed},
          {"batch_size", batch_size},
          {"steps", t.steps},
          {"lr", t.lr},
          {"processes", processes},
          {"rank_checksums", r.rank_checksums},
          {"final_loss", r.losses.empty() ? NAN : r.losses.back()}};
}

}  // namespace argus::train
