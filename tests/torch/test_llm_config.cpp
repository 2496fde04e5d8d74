#include <gtest/gtest.h>

#include <cmath>

#include "../common/error_of.h"
#include "io/checkpoint.h"
#include "llm_helpers.h"
#include "models/llama/llama_model.h"
#include "nn/rope.h"
#include "parity.h"
#include "tasks/generate/generate.h"
#include "util/error.h"

using namespace argus;
using namespace argus::models::llama;
using argus::test::error_of;

TEST(LlmConfig, FixtureConfigsParseWithFamilyFlags) {
  auto llama = parse_llama_config(test::fixture_config("llama"));
  EXPECT_EQ(llama.num_key_value_heads, 2);
  EXPECT_EQ(llama.head_dim, 16);
  EXPECT_FALSE(llama.qkv_bias);
  EXPECT_FALSE(llama.tie_word_embeddings);
  EXPECT_EQ(llama.sliding_window, 0);
  EXPECT_EQ(llama.eos_token_ids, std::vector<int64_t>{2});

  auto qwen = parse_llama_config(test::fixture_config("qwen2"));
  EXPECT_TRUE(qwen.qkv_bias);
  EXPECT_FALSE(qwen.o_bias);
  EXPECT_TRUE(qwen.tie_word_embeddings);
  EXPECT_EQ(qwen.sliding_window, 0);  // use_sliding_window false
  EXPECT_DOUBLE_EQ(qwen.rope.theta, 1e6);
  EXPECT_EQ(qwen.head_dim, 16);  // hidden / heads

  auto mistral = parse_llama_config(test::fixture_config("mistral"));
  EXPECT_EQ(mistral.sliding_window, 8);
  EXPECT_EQ(mistral.sliding_layers, std::vector<bool>({true, true}));

  auto bad = test::fixture_config("llama");
  bad["model_type"] = "gpt2";
  EXPECT_NE(error_of([&] { parse_llama_config(bad); }).find("gpt2"), std::string::npos);
  bad = test::fixture_config("llama");
  bad["num_key_value_heads"] = 3;
  EXPECT_NE(error_of([&] { parse_llama_config(bad); }).find("num_key_value_heads"), std::string::npos);
}

TEST(LlmConfig, EosIdsMayBeAnIntOrAList) {
  nlohmann::json j = {{"eos_token_id", {2, 7}}};
  EXPECT_EQ(parse_token_ids(j, "eos_token_id"), (std::vector<int64_t>{2, 7}));
  j = {{"eos_token_id", 5}};
  EXPECT_EQ(parse_token_ids(j, "eos_token_id"), std::vector<int64_t>{5});
  j = {{"eos_token_id", nullptr}};
  EXPECT_TRUE(parse_token_ids(j, "eos_token_id").empty());
  j = {{"eos_token_id", "2"}};
  EXPECT_NE(error_of([&] { parse_token_ids(j, "eos_token_id"); }).find("eos_token_id"), std::string::npos);

  auto ck = io::Checkpoint::open(test::fixture("llama"));
  EXPECT_EQ(tasks::read_eos_ids(ck), std::vector<int64_t>{2});
  test::ScratchCheckpoint scratch("eos", test::fixture_config("llama"), test::fixture_weights("llama"));
  scratch.write("generation_config.json", R"({"eos_token_id": [2, 7, 9]})");
  EXPECT_EQ(tasks::read_eos_ids(io::Checkpoint::open(scratch.dir())), (std::vector<int64_t>{2, 7, 9}));
}

TEST(LlmConfig, RopeThetaAndRopeParametersBuildTheSameModel) {
  auto ck = io::Checkpoint::open(test::fixture("llama"));
  auto ref = test::reference("llama");
  at::NoGradGuard ng;
  at::Tensor base = load_llama(ck)->forward(ref["input_ids"]);

  auto legacy = test::fixture_config("llama");
  legacy.erase("rope_parameters");
  legacy["rope_theta"] = 10000.0;
  legacy["rope_scaling"] = nullptr;
  EXPECT_TRUE(at::equal(load_llama(ck, legacy, {})->forward(ref["input_ids"]), base));

  // A different theta is a different model.
  legacy["rope_theta"] = 500000.0;
  EXPECT_GT(test::max_abs_diff(load_llama(ck, legacy, {})->forward(ref["input_ids"]), base), 1e-3);
}

TEST(LlmConfig, RopeScalingTypesFromEitherSpelling) {
  nlohmann::json old_style = {{"rope_theta", 10000.0}, {"rope_scaling", {{"type", "linear"}, {"factor", 4.0}}}};
  nlohmann::json new_style = {{"rope_parameters", {{"rope_theta", 10000.0}, {"rope_type", "linear"}, {"factor", 4.0}}}};
  auto a = nn::parse_rope_config(old_style), b = nn::parse_rope_config(new_style);
  EXPECT_EQ(a.type, "linear");
  EXPECT_EQ(b.type, "linear");
  at::Tensor def = nn::rope_inv_freq(nn::RopeConfig{}, 16, 512);
  EXPECT_TRUE(at::allclose(nn::rope_inv_freq(a, 16, 512), def / 4.0));
  EXPECT_TRUE(at::equal(nn::rope_inv_freq(a, 16, 512), nn::rope_inv_freq(b, 16, 512)));
  for (int64_t i = 0; i < 8; ++i)  // theta ** (-2i / d)
    EXPECT_NEAR(def[i].item<double>(), std::pow(10000.0, -2.0 * i / 16), 1e-6 * std::pow(10000.0, -2.0 * i / 16));

  // llama3: long wavelengths divided by factor, short ones kept, the middle band blended.
  nlohmann::json l3 = {{"rope_scaling",
                        {{"rope_type", "llama3"}, {"factor", 8.0}, {"low_freq_factor", 1.0}, {"high_freq_factor", 4.0},
                         {"original_max_position_embeddings", 64}}}};
  auto c3 = nn::parse_rope_config(l3);
  at::Tensor inv = nn::rope_inv_freq(c3, 16, 512);
  for (int64_t i = 0; i < 8; ++i) {
    double f = def[i].item<double>(), wl = 2 * M_PI / f, expect;
    if (wl < 64 / 4.0)
      expect = f;
    else if (wl > 64 / 1.0)
      expect = f / 8;
    else {
      double s = (64 / wl - 1.0) / (4.0 - 1.0);
      expect = (1 - s) * f / 8 + s * f;
    }
    EXPECT_NEAR(inv[i].item<double>(), expect, 1e-6 * expect) << i;
  }

  // dynamic NTK: unchanged up to max_position_embeddings, a larger base beyond.
  nlohmann::json dyn = {{"rope_scaling", {{"type", "dynamic"}, {"factor", 2.0}}}};
  auto cd = nn::parse_rope_config(dyn);
  EXPECT_TRUE(at::equal(nn::rope_inv_freq(cd, 16, 512, 100), def));
  double base = 10000.0 * std::pow(2.0 * 1024 / 512 - 1, 16.0 / 14.0);
  EXPECT_NEAR(nn::rope_inv_freq(cd, 16, 512, 1024)[7].item<double>(), std::pow(base, -14.0 / 16), 1e-9);

  nlohmann::json yarn = {{"rope_scaling", {{"rope_type", "yarn"}, {"factor", 2.0}}}};
  EXPECT_NE(error_of([&] { nn::parse_rope_config(yarn); }).find("yarn"), std::string::npos);
  nlohmann::json nofactor = {{"rope_scaling", {{"rope_type", "linear"}}}};
  EXPECT_NE(error_of([&] { nn::parse_rope_config(nofactor); }).find("factor"), std::string::npos);
}

TEST(LlmConfig, WrongShapeAndMissingTensorsAreErrorsNamingTheKey) {
  auto cfg = test::fixture_config("llama");
  auto w = test::fixture_weights("llama");
  {
    auto bad = w;
    bad["model.layers.1.self_attn.k_proj.weight"] = at::zeros({16, 64});
    test::ScratchCheckpoint s("shape", cfg, bad);
    auto msg = error_of([&] { load_llama(io::Checkpoint::open(s.dir())); });
    EXPECT_NE(msg.find("model.layers.1.self_attn.k_proj.weight"), std::string::npos) << msg;
  }
  {
    auto bad = w;
    bad.erase("model.layers.0.mlp.up_proj.weight");
    test::ScratchCheckpoint s("missing", cfg, bad);
    auto msg = error_of([&] { load_llama(io::Checkpoint::open(s.dir())); });
    EXPECT_NE(msg.find("model.layers.0.mlp.up_proj.weight"), std::string::npos) << msg;
  }
  {
    auto bad = w;
    bad.erase("lm_head.weight");  // not tied: lm_head is required
    test::ScratchCheckpoint s("nohead", cfg, bad);
    auto msg = error_of([&] { load_llama(io::Checkpoint::open(s.dir())); });
    EXPECT_NE(msg.find("lm_head.weight"), std::string::npos) << msg;
  }
}

TEST(LlmConfig, TiedEmbeddingsAllowAbsentLmHeadButNothingElse) {
  auto cfg = test::fixture_config("qwen2");
  auto w = test::fixture_weights("qwen2");
  ASSERT_EQ(w.count("lm_head.weight"), 0u);
  auto ref = test::reference("qwen2");
  at::NoGradGuard ng;
  {
    auto with_head = w;  // some tied checkpoints still store the copy: accepted, unused
    with_head["lm_head.weight"] = w["model.embed_tokens.weight"].clone();
    test::ScratchCheckpoint s("tiedhead", cfg, with_head);
    auto m = load_llama(io::Checkpoint::open(s.dir()));
    EXPECT_LE(test::max_abs_diff(m->forward(ref["input_ids"]), ref["logits"]), 1e-4);
  }
  {
    auto bad = w;
    bad.erase("model.layers.1.self_attn.q_proj.bias");
    test::ScratchCheckpoint s("tiedmissing", cfg, bad);
    auto msg = error_of([&] { load_llama(io::Checkpoint::open(s.dir())); });
    EXPECT_NE(msg.find("model.layers.1.self_attn.q_proj.bias"), std::string::npos) << msg;
  }
}

TEST(LlmConfig, HalfPrecisionStorageLoadsIntoFloat32) {
  auto w = test::fixture_weights("llama");
  for (auto& [k, t] : w) t = t.to(at::kBFloat16);
  test::ScratchCheckpoint s("bf16", test::fixture_config("llama"), w);
  auto m = load_llama(io::Checkpoint::open(s.dir()));
  EXPECT_EQ(m->lm_head->weight.scalar_type(), at::kFloat);
  EXPECT_TRUE(at::equal(m->lm_head->weight, w["lm_head.weight"].to(at::kFloat)));
}

TEST(LlmConfig, BadTokenIdsAndOverlongPromptsAreClearErrors) {
  auto ck = io::Checkpoint::open(test::fixture("llama"));
  auto m = load_llama(ck);
  at::NoGradGuard ng;
  auto msg = error_of([&] { m->forward(at::tensor({5, 1000, 7}, at::kLong).view({1, 3})); });
  EXPECT_NE(msg.find("1000"), std::string::npos) << msg;
  EXPECT_NE(msg.find("vocabulary"), std::string::npos) << msg;
  msg = error_of([&] { m->forward(at::tensor({5, -1}, at::kLong).view({1, 2})); });
  EXPECT_NE(msg.find("vocabulary"), std::string::npos) << msg;
  tasks::GenerateOptions opts;
  msg = error_of([&] { tasks::generate(*m, {{1, 2, 3000}}, opts); });
  EXPECT_NE(msg.find("vocabulary"), std::string::npos) << msg;

  auto cfg = test::fixture_config("llama");
  cfg["max_position_embeddings"] = 16;
  auto short_m = load_llama(ck, cfg, {});
  auto ref = test::reference("llama");
  msg = error_of([&] { short_m->forward(ref["input_ids"]); });
  EXPECT_NE(msg.find("max_position_embeddings"), std::string::npos) << msg;
  msg = error_of([&] { tasks::generate(*short_m, {test::row_ids(ref["input_ids"], 0)}, opts); });
  EXPECT_NE(msg.find("max_position_embeddings"), std::string::npos) << msg;
  // Generation stops at the position limit instead of failing.
  auto gen = tasks::generate(*short_m, {test::row_ids(ref["input_ids"], 0, 0, 10)}, opts);
  EXPECT_EQ(gen.tokens[0].size(), 7u);  // positions 10..15 fed, 16th token still predicted
  EXPECT_EQ(gen.finish_reason[0], "length");
}

TEST(LlmConfig, SlidingWindowChangesOnlyPositionsBeyondIt) {
  auto ck = io::Checkpoint::open(test::fixture("mistral"));
  auto ref = test::reference("mistral");
  at::NoGradGuard ng;
  auto cfg = test::fixture_config("mistral");
  cfg["sliding_window"] = nullptr;
  at::Tensor full = load_llama(ck, cfg, {})->forward(ref["input_ids"]);
  // Positions < 8 see the same keys either way; later ones differ.
  EXPECT_LE(test::max_abs_diff(full.slice(1, 0, 8), ref["logits"].slice(1, 0, 8)), 1e-4);
  EXPECT_GT(test::max_abs_diff(full.slice(1, 8), ref["logits"].slice(1, 8)), 1e-3);
}

TEST(LlmConfig, ShardedFloat16CheckpointLoads) {
  auto w = test::fixture_weights("qwen2");
  std::map<std::string, at::Tensor> a, b;
  nlohmann::json map = nlohmann::json::object();
  for (const auto& [k, t] : w) {
    bool first = k.find("layers.1.") == std::string::npos;
    (first ? a : b)[k] = t.to(at::kHalf);
    map[k] = first ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors";
  }
  test::ScratchCheckpoint s("sharded", test::fixture_config("qwen2"), {});
  std::filesystem::remove(s.dir() + "/model.safetensors");
  nn::save_safetensors(s.dir() + "/model-00001-of-00002.safetensors", a);
  nn::save_safetensors(s.dir() + "/model-00002-of-00002.safetensors", b);
  s.write("model.safetensors.index.json", nlohmann::json({{"metadata", nlohmann::json::object()}, {"weight_map", map}}).dump());
  auto m = load_llama(io::Checkpoint::open(s.dir()));
  EXPECT_TRUE(at::equal(m->model->layers[1]->as<LlamaDecoderLayer>()->self_attn->q_proj->bias,
                        w["model.layers.1.self_attn.q_proj.bias"].to(at::kHalf).to(at::kFloat)));
  auto ref = test::reference("qwen2");
  at::NoGradGuard ng;
  // float16 rounding of the weights: close to, not at, the float32 reference.
  EXPECT_LE(test::max_abs_diff(m->forward(ref["input_ids"]), ref["logits"]), 1e-2);
}
