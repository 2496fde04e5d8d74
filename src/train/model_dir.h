// Writing a trained model directory in the layout the loaders read: the weights, its
// config.json, preprocessor_config.json and argus_recipe.json (the tokenizer files are
// each recipe's own).
#pragma once
#include <map>
#include <string>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>
#include <torch/nn/module.h>

#include "train/train_loop.h"

namespace argus::train {

// The module's parameters (and, when asked, its buffers), detached, under their names.
std::map<std::string, at::Tensor> state_dict(const torch::nn::Module& m, bool with_buffers = false);

void write_model_dir(const std::string& dir, const std::map<std::string, at::Tensor>& tensors,
                     const nlohmann::json& config, const nlohmann::json& processor, const nlohmann::json& recipe);

// The argus_recipe.json fields every single-stage recipe records; add its own to it.
nlohmann::json recipe_record(const std::string& name, uint64_t seed, int64_t batch_size, const TrainOptions& t,
                             int processes, const TrainResult& r);

}  // namespace argus::train
