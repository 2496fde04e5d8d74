// LoRA adapters: what an adapter adds to a layer, that merging changes no output, the
// PEFT file layout round trip (including modules_to_save), merging into raw checkpoint
// tensors, and the strict errors for adapters that do not fit the model.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "../common/error_of.h"
#include "../common/temp_dir.h"
#include "io/json_file.h"
#include "models/llama/llama_model.h"
#include "nn/dense.h"
#include "nn/lora.h"
#include "nn/tensor_io.h"
#include "train/llava_trainer.h"

namespace fs = std::filesystem;
using namespace argus;

namespace {

models::llama::LlamaForCausalLM tiny_llama(uint64_t seed) {
  auto c = train::small_llama_config();
  c.vocab_size = 40;
  c.hidden_size = 32;
  c.intermediate_size = 48;
  c.num_hidden_layers = 2;
  c.num_attention_heads = 2;
  c.num_key_value_heads = 2;
  c.head_dim = 16;
  at::manual_seed(seed);
  return models::llama::LlamaForCausalLM(c);
}

nn::LoraConfig attention_lora() {
  nn::LoraConfig c;
  c.r = 4;
  c.alpha = 8;
  c.target_modules = {"q_proj", "v_proj"};
  return c;
}

// Trained adapters are not zero: B starts at zero, so give it values.
void randomise_adapters(torch::nn::Module& m) {
  at::NoGradGuard ng;
  for (auto& p : nn::lora_parameters(m)) p.normal_(0, 0.2);
}

at::Tensor logits(models::llama::LlamaForCausalLM m) {
  at::NoGradGuard ng;
  return m->forward(at::arange(12, at::kLong).view({1, 12}) % 40);
}

const auto identity = [](const std::string& k) { return k; };

}  // namespace

TEST(Lora, AnAdapterAddsScaledBTimesAToTheLayerAndStartsAsANoOp) {
  at::manual_seed(0);
  nn::Dense d(6, 5);
  at::Tensor x = at::randn({3, 6});
  at::Tensor before = d->forward(x).detach();
  d->add_lora(2, 1.5);
  EXPECT_TRUE(at::equal(d->forward(x), before));  // B = 0 at start, as PEFT initialises
  {
    at::NoGradGuard ng;
    d->lora_B->weight.normal_();
  }
  at::Tensor expected = before + 1.5 * at::matmul(at::matmul(x, d->lora_A->weight.t()), d->lora_B->weight.t());
  EXPECT_TRUE(at::allclose(d->forward(x), expected, 1e-5, 1e-6));
  EXPECT_NE(d->named_parameters().find("lora_A.weight"), nullptr);  // PEFT's names
  EXPECT_NE(test::error_of([&] { d->add_lora(2, 1.0); }), "");
}

TEST(Lora, MergingChangesNoOutputAndRemovesTheAdapters) {
  auto m = tiny_llama(1);
  auto names = nn::attach_lora(*m, attention_lora(), "model.layers.1.");
  EXPECT_EQ(names, (std::vector<std::string>{"model.layers.1.self_attn.q_proj", "model.layers.1.self_attn.v_proj"}));
  EXPECT_EQ(nn::lora_parameters(*m).size(), 4u);
  randomise_adapters(*m);
  at::Tensor adapted = logits(m);
  EXPECT_FALSE(at::allclose(adapted, logits(tiny_llama(1)), 1e-3, 1e-3));  // the adapters matter
  nn::merge_lora(*m);
  EXPECT_TRUE(nn::lora_parameters(*m).empty());
  for (const auto& kv : m->named_parameters()) EXPECT_EQ(kv.key().find("lora_"), std::string::npos) << kv.key();
  EXPECT_TRUE(at::allclose(logits(m), adapted, 1e-4, 1e-5));
}

TEST(Lora, NoLayerMatchingTheTargetsIsAnError) {
  auto m = tiny_llama(1);
  nn::LoraConfig c = attention_lora();
  c.target_modules = {"query"};
  EXPECT_NE(test::error_of([&] { nn::attach_lora(*m, c); }).find("no linear layer"), std::string::npos);
}

TEST(Lora, ASavedAdapterReappliedToItsBaseReproducesTheModel) {
  const std::string root = test::fresh_temp_dir("lora_roundtrip");
  auto m = tiny_llama(2);
  nn::LoraConfig c = attention_lora();
  c.modules_to_save = {"model.norm"};
  nn::attach_lora(*m, c);
  randomise_adapters(*m);
  {
    at::NoGradGuard ng;
    m->model->norm->weight.fill_(0.5);  // a fully trained module shipped with the adapter
  }
  at::Tensor adapted = logits(m);
  nn::save_lora_adapter(*m, c, root + "/adapter");

  auto cfg = io::read_json(root + "/adapter/adapter_config.json");
  EXPECT_EQ(cfg["peft_type"], "LORA");
  EXPECT_EQ(cfg["r"], 4);
  auto tensors = nn::load_safetensors(root + "/adapter/adapter_model.safetensors");
  EXPECT_EQ(tensors.count("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"), 1u);
  EXPECT_EQ(tensors.count("base_model.model.model.norm.weight"), 1u);
  EXPECT_EQ(tensors.size(), 2u * 2u * 2u + 1u);  // 2 layers x (q, v) x (A, B) + norm

  auto a = nn::read_lora_adapter(root + "/adapter");
  for (bool merge : {false, true}) {
    auto base = tiny_llama(2);
    nn::apply_lora_adapter(*base, a, identity, merge);
    EXPECT_EQ(nn::lora_parameters(*base).empty(), merge);
    EXPECT_TRUE(at::allclose(logits(base), adapted, 1e-4, 1e-5)) << "merge " << merge;
  }

  // The same merge on raw checkpoint tensors, stored in bfloat16, keeps their dtype.
  auto base = tiny_llama(2);
  std::map<std::string, at::Tensor> raw;
  for (const auto& kv : base->named_parameters()) raw[kv.key()] = kv.value().detach().to(at::kBFloat16);
  nn::merge_lora_into(raw, a, identity);
  EXPECT_EQ(raw.at("model.layers.0.self_attn.q_proj.weight").scalar_type(), at::kBFloat16);
  nn::apply_lora_adapter(*base, a, identity, true);
  EXPECT_TRUE(at::allclose(raw.at("model.layers.1.self_attn.v_proj.weight").to(at::kFloat),
                           base->model->layers[1]->as<models::llama::LlamaDecoderLayerImpl>()->self_attn->v_proj->weight,
                           2e-2, 1e-2));
  EXPECT_TRUE(at::equal(raw.at("model.norm.weight").to(at::kFloat), at::full({32}, 0.5)));
  fs::remove_all(root);
}

TEST(Lora, AdaptersThatDoNotFitTheModelAreErrorsNamingTheKey) {
  const std::string root = test::fresh_temp_dir("lora_bad");
  auto m = tiny_llama(3);
  nn::LoraConfig c = attention_lora();
  nn::attach_lora(*m, c);
  std::string dir = root + "/adapter";
  nn::save_lora_adapter(*m, c, dir);
  auto tensors = nn::load_safetensors(dir + "/adapter_model.safetensors");
  const std::string q = "base_model.model.model.layers.0.self_attn.q_proj";
  auto rewrite = [&](std::map<std::string, at::Tensor> t, const nlohmann::json& config) {
    fs::remove_all(dir);
    fs::create_directories(dir);
    nn::save_safetensors(dir + "/adapter_model.safetensors", t);
    std::ofstream(dir + "/adapter_config.json") << config.dump();
  };
  auto apply_error = [&] {
    return test::error_of([&] {
      auto base = tiny_llama(3);
      nn::apply_lora_adapter(*base, nn::read_lora_adapter(dir), identity);
    });
  };
  nlohmann::json config = nn::lora_config_json(c);

  auto t = tensors;  // a layer the model does not have
  t["base_model.model.model.layers.7.self_attn.q_proj.lora_A.weight"] = t.at(q + ".lora_A.weight");
  t["base_model.model.model.layers.7.self_attn.q_proj.lora_B.weight"] = t.at(q + ".lora_B.weight");
  rewrite(t, config);
  EXPECT_NE(apply_error().find("model.layers.7.self_attn.q_proj"), std::string::npos) << apply_error();

  t = tensors;  // A for a wider layer
  t[q + ".lora_A.weight"] = at::zeros({4, 64});
  rewrite(t, config);
  EXPECT_NE(apply_error().find("model.layers.0.self_attn.q_proj"), std::string::npos) << apply_error();

  t = tensors;  // B missing
  t.erase(q + ".lora_B.weight");
  rewrite(t, config);
  EXPECT_NE(apply_error().find("has lora_A but no lora_B"), std::string::npos) << apply_error();

  nlohmann::json wrong_r = config;  // the tensors say rank 4
  wrong_r["r"] = 8;
  rewrite(tensors, wrong_r);
  EXPECT_NE(apply_error().find("not rank r = 8"), std::string::npos) << apply_error();

  nlohmann::json dora = config;
  dora["use_dora"] = true;
  rewrite(tensors, dora);
  EXPECT_NE(apply_error().find("DoRA"), std::string::npos) << apply_error();

  t = tensors;  // a parameter the model does not have, as modules_to_save
  t["base_model.model.model.vision.weight"] = at::zeros({2});
  rewrite(t, config);
  EXPECT_NE(apply_error().find("model.vision.weight"), std::string::npos) << apply_error();

  fs::remove(dir + "/adapter_model.safetensors");
  std::ofstream(dir + "/adapter_model.bin") << "pickle";
  EXPECT_NE(apply_error().find("pickle"), std::string::npos) << apply_error();
  fs::remove_all(dir);
  EXPECT_NE(apply_error().find("not a LoRA adapter directory"), std::string::npos) << apply_error();
  fs::remove_all(root);
}
