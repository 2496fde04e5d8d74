#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "io/checkpoint.h"
#include "nn/load.h"
#include "nn/tensor_io.h"
#include "nn/vit_encoder.h"
#include "util/error.h"
#include "../common/temp_dir.h"

using namespace argus;

namespace {

struct TinyImpl : torch::nn::Module {
  TinyImpl() {
    proj = register_module("proj", nn::linear(3, 2));
    norm = register_module("norm", nn::layer_norm(2, 1e-5));
  }
  torch::nn::Linear proj{nullptr};
  torch::nn::LayerNorm norm{nullptr};
};
TORCH_MODULE(Tiny);

std::string dir_with(const std::string& name, const std::map<std::string, at::Tensor>& tensors) {
  std::filesystem::path d = argus::test::fresh_temp_dir("load_" + name);
  nn::save_safetensors((d / "model.safetensors").string(), tensors);
  return d.string();
}

std::map<std::string, at::Tensor> full_state(at::ScalarType dtype) {
  return {{"proj.weight", at::arange(6, at::kFloat).view({2, 3}).to(dtype)},
          {"proj.bias", at::tensor({0.5f, -0.5f}).to(dtype)},
          {"norm.weight", at::tensor({1.0f, 2.0f}).to(dtype)},
          {"norm.bias", at::tensor({0.25f, 0.0f}).to(dtype)}};
}

std::string load_error(const std::map<std::string, at::Tensor>& state, const std::string& name) {
  Tiny m;
  try {
    nn::load_weights(*m, io::Checkpoint::open(dir_with(name, state)));
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(Load, Float16AndBfloat16StorageConvertExactly) {
  for (auto dtype : {at::kFloat, at::kHalf, at::kBFloat16}) {
    Tiny m;
    nn::load_weights(*m, io::Checkpoint::open(dir_with("dtype", full_state(dtype))));
    EXPECT_TRUE(m->proj->weight.equal(at::arange(6, at::kFloat).view({2, 3})));
    EXPECT_EQ(m->proj->weight.scalar_type(), at::kFloat);
    EXPECT_FLOAT_EQ(m->norm->bias[0].item<float>(), 0.25f);
  }
}

TEST(Load, MissingTensorIsNamed) {
  auto s = full_state(at::kFloat);
  s.erase("norm.bias");
  auto e = load_error(s, "missing");
  EXPECT_NE(e.find("missing"), std::string::npos) << e;
  EXPECT_NE(e.find("norm.bias"), std::string::npos) << e;
}

TEST(Load, UnusedTensorIsNamed) {
  auto s = full_state(at::kFloat);
  s["extra.weight"] = at::zeros({1});
  auto e = load_error(s, "unused");
  EXPECT_NE(e.find("extra.weight"), std::string::npos) << e;
}

TEST(Load, MisshapenTensorIsNamed) {
  auto s = full_state(at::kFloat);
  s["proj.weight"] = at::zeros({3, 2});
  auto e = load_error(s, "shape");
  EXPECT_NE(e.find("proj.weight"), std::string::npos) << e;
  EXPECT_NE(e.find("[3, 2]"), std::string::npos) << e;
}

TEST(Load, RenameTableMapsOtherLayouts) {
  std::map<std::string, at::Tensor> s;
  for (auto& [k, v] : full_state(at::kFloat)) s["model." + k] = v;
  s["model.position_ids"] = at::arange(3);
  Tiny m;
  nn::LoadOptions opts;
  opts.rename = nn::rename_table({{"model.", ""}});
  opts.ignore_suffixes = {"position_ids"};
  nn::load_weights(*m, io::Checkpoint::open(dir_with("rename", s)), opts);
  EXPECT_FLOAT_EQ(m->proj->bias[1].item<float>(), -0.5f);
}

TEST(Load, ShardedCheckpointLoads) {
  std::filesystem::path d = argus::test::fresh_temp_dir("load_sharded");
  auto s = full_state(at::kBFloat16);
  nn::save_safetensors((d / "a.safetensors").string(), {{"proj.weight", s["proj.weight"]}, {"proj.bias", s["proj.bias"]}});
  nn::save_safetensors((d / "b.safetensors").string(), {{"norm.weight", s["norm.weight"]}, {"norm.bias", s["norm.bias"]}});
  std::ofstream(d / "model.safetensors.index.json") << R"({"weight_map":{"proj.weight":"a.safetensors",)"
                                                     << R"("proj.bias":"a.safetensors","norm.weight":"b.safetensors","norm.bias":"b.safetensors"}})";
  Tiny m;
  nn::load_weights(*m, io::Checkpoint::open(d.string()));
  EXPECT_FLOAT_EQ(m->norm->weight[1].item<float>(), 2.0f);
}

namespace {
// Anonymous (heap) resident memory of this process, in bytes.
int64_t rss_anon_bytes() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("RssAnon:", 0) == 0) return std::stoll(line.substr(8)) * 1024;
  return -1;
}

struct BigImpl : torch::nn::Module {
  BigImpl() { w = register_parameter("w", at::empty({64, 1024, 1024})); }  // 256 MB of float32
  at::Tensor w;
};
TORCH_MODULE(Big);
}  // namespace

TEST(Load, LargeCheckpointIsNotCopiedTwice) {
  std::filesystem::path d = argus::test::fresh_temp_dir("load_big");
  {
    at::Tensor t = at::ones({64, 1024, 1024});
    nn::save_safetensors((d / "model.safetensors").string(), {{"w", t}});
  }
  Big m;
  {
    at::NoGradGuard ng;
    m->w.fill_(0);
  }  // touch the parameter so it is resident before measuring
  int64_t before = rss_anon_bytes();
  nn::load_weights(*m, io::Checkpoint::open(d.string()));
  int64_t grown = rss_anon_bytes() - before;
  // The mapping is file-backed (page cache), the parameter already existed: loading
  // must not add another heap copy of the 256 MB.
  EXPECT_LT(grown, 32ll << 20) << "heap grew by " << grown / (1 << 20) << " MB";
  EXPECT_EQ(m->w.sum().item<double>(), 64.0 * 1024 * 1024);
  std::filesystem::remove_all(d);
}
