// BLIP-2 (ViT + Q-Former + OPT) against the transformers reference (fixtures/blip2):
// pixel_values from waterview.jpg, the Q-Former's output, the logits and 12 greedy
// tokens through the KV cache, both prompt layouts (image-token slots, queries put
// before the prompt), both vision-bias layouts; and what argus refuses by name.
#include <gtest/gtest.h>

#include "image/decode.h"
#include "io/checkpoint.h"
#include "llm_helpers.h"
#include "models/blip2/blip2_image.h"
#include "models/blip2/blip2_load.h"
#include "parity.h"
#include "tasks/generate/generate.h"
#include "util/error.h"

using namespace argus;
using namespace argus::models::blip2;

namespace {

constexpr int64_t kImageToken = 1000;

void expect_error(const std::function<void()>& f, const std::vector<std::string>& needles) {
  try {
    f();
    ADD_FAILURE() << "no error for " << needles[0];
  } catch (const Error& e) {
    for (const auto& n : needles) EXPECT_NE(std::string(e.what()).find(n), std::string::npos) << e.what();
  }
}

Blip2ForConditionalGeneration load_fixture() { return load_blip2(io::Checkpoint::open(test::fixture("blip2"))); }

void load_scratch(const nlohmann::json& cfg, const std::map<std::string, at::Tensor>& w) {
  test::ScratchCheckpoint sc("blip2", cfg, w);
  load_blip2(io::Checkpoint::open(sc.dir()));
}

}  // namespace

TEST(Blip2Preprocess, PixelValuesFromTheOriginalImageMatch) {
  auto ref = test::reference("blip2");
  Blip2Config c = parse_blip2_config(test::fixture_config("blip2"));
  auto p = load_blip2_processor(test::fixture("blip2"), c);
  at::Tensor pv = blip2_pixel_values(image::load_image(test::asset("images/waterview.jpg")), p);
  at::Tensor want = ref["pixel_values"];
  ASSERT_EQ(pv.sizes(), want.sizes());
  at::Tensor std = at::tensor(std::vector<double>(p.image_std.begin(), p.image_std.end())).view({1, 3, 1, 1});
  at::Tensor steps = ((pv.to(at::kDouble) - want.to(at::kDouble)) * std * 255).abs();
  double exact = (steps < 0.01).to(at::kDouble).mean().item<double>();
  double worst = steps.max().item<double>();
  std::printf("[blip2] pixel_values exact %.4f%%, worst %.2f steps\n", 100 * exact, worst);
  EXPECT_GE(exact, 0.99);
  EXPECT_LE(worst, 2.01);
}

TEST(Blip2Parity, QFormerOutputAndLogitsMatchTheReference) {
  auto ref = test::reference("blip2");
  Blip2ForConditionalGeneration m = load_fixture();
  at::NoGradGuard ng;
  Blip2Outputs o = m->encode_image(ref["pixel_values"]);
  double q = test::max_abs_diff(o.qformer_last_hidden_state, ref["qformer_last_hidden_state"]);
  at::Tensor logits = m->forward(ref["input_ids"], ref["pixel_values"]);
  double l = test::max_abs_diff(logits, ref["logits"]);
  std::printf("[blip2] qformer_last_hidden_state max abs diff %.3g, logits %.3g\n", q, l);
  EXPECT_LE(q, 1e-4);
  EXPECT_LE(l, 1e-4);
}

TEST(Blip2Parity, GreedyIdsThroughTheKvCacheMatchTheReference) {
  auto ref = test::reference("blip2");
  auto ck = io::Checkpoint::open(test::fixture("blip2"));
  Blip2ForConditionalGeneration m = load_blip2(ck);
  at::NoGradGuard ng;
  at::Tensor ids = ref["input_ids"];
  at::Tensor embeds = m->prompt_embeds(ids, m->encode_image(ref["pixel_values"]).language_model_inputs[0]);
  tasks::GenerateOptions opts;
  opts.max_new_tokens = ref["greedy_ids"].size(1);
  opts.eos_ids = tasks::read_eos_ids(ck);
  opts.pad_id = m->cfg.text.pad_token_id;
  auto gen = tasks::generate(*m->language_model, ids, at::Tensor(), opts, embeds);
  ASSERT_EQ(gen.tokens.size(), 1u);
  EXPECT_EQ(gen.tokens[0], test::row_ids(ref["greedy_ids"], 0));
}

TEST(Blip2Parity, OlderConfigsPutTheQueriesBeforeThePrompt) {
  // Before transformers 4.47 the config had no image_token_index and the processor no
  // slots: the same model sees [queries, prompt] and must give the same logits.
  auto ref = test::reference("blip2");
  auto cfg = test::fixture_config("blip2");
  cfg.erase("image_token_index");
  test::ScratchCheckpoint sc("blip2_old", cfg, test::fixture_weights("blip2"));
  Blip2ForConditionalGeneration m = load_blip2(io::Checkpoint::open(sc.dir()));
  EXPECT_EQ(m->cfg.image_token_index, -1);
  at::Tensor text = ref["input_ids"].slice(1, 8);
  ASSERT_EQ((text == kImageToken).sum().item<int64_t>(), 0);
  at::Tensor logits = m->forward(text, ref["pixel_values"]);
  EXPECT_LE(test::max_abs_diff(logits, ref["logits"]), 1e-4);
}

TEST(Blip2Parity, TransformersFourVisionBiasesLoadToTheSameModel) {
  // transformers 4 checkpoints (Salesforce/blip2-*) keep q_bias / v_bias beside a
  // bias-free qkv (transformers adds zeros for the keys).
  auto ref = test::reference("blip2");
  auto w = test::fixture_weights("blip2");
  const int64_t hidden = 48;
  for (int layer = 0; layer < 2; ++layer) {
    std::string p = "vision_model.encoder.layers." + std::to_string(layer) + ".self_attn.";
    at::Tensor bias = w[p + "qkv.bias"].clone();
    bias.slice(0, hidden, 2 * hidden).zero_();
    w[p + "qkv.bias"] = bias;
  }
  test::ScratchCheckpoint packed("blip2_packed", test::fixture_config("blip2"), w);
  for (int layer = 0; layer < 2; ++layer) {
    std::string p = "vision_model.encoder.layers." + std::to_string(layer) + ".self_attn.";
    w[p + "q_bias"] = w[p + "qkv.bias"].slice(0, 0, hidden).clone();
    w[p + "v_bias"] = w[p + "qkv.bias"].slice(0, 2 * hidden).clone();
    w.erase(p + "qkv.bias");
  }
  test::ScratchCheckpoint split("blip2_split", test::fixture_config("blip2"), w);
  at::NoGradGuard ng;
  at::Tensor a = load_blip2(io::Checkpoint::open(packed.dir()))->encode_image(ref["pixel_values"]).image_embeds;
  at::Tensor b = load_blip2(io::Checkpoint::open(split.dir()))->encode_image(ref["pixel_values"]).image_embeds;
  EXPECT_LE(test::max_abs_diff(a, b), 1e-6);
  // A key bias adds the same score to every key of a query, which softmax cancels: so
  // the transformers 4 layout is the fixture's model.
  at::Tensor orig = load_fixture()->encode_image(ref["pixel_values"]).image_embeds;
  EXPECT_LE(test::max_abs_diff(b, orig), 1e-5);
}

TEST(Blip2Loader, AMissingOrUnusedTensorIsNamed) {
  auto cfg = test::fixture_config("blip2");
  auto w = test::fixture_weights("blip2");
  auto missing = w;
  missing.erase("qformer.encoder.layer.1.crossattention.attention.key.weight");
  expect_error([&] { load_scratch(cfg, missing); }, {"qformer.encoder.layer.1.crossattention.attention.key.weight"});
  auto extra = w;
  extra["qformer.encoder.layer.0.intermediate.dense.weight"] = at::zeros({64, 32});
  expect_error([&] { load_scratch(cfg, extra); }, {"qformer.encoder.layer.0.intermediate.dense.weight"});
  // cross_attention_frequency 2: layer 1 has no cross-attention, so its tensors are unused.
  auto c2 = cfg;
  c2["qformer_config"]["cross_attention_frequency"] = 2;
  expect_error([&] { load_scratch(c2, w); }, {"qformer.encoder.layer.1.crossattention"});
  // The tied lm_head's copy is not an unused tensor.
  auto tied = w;
  tied["language_model.lm_head.weight"] = w["language_model.model.decoder.embed_tokens.weight"];
  EXPECT_NO_THROW(load_scratch(cfg, tied));
}

TEST(Blip2Config, VariantsArgusDoesNotRunAreRefusedByName) {
  auto base = test::fixture_config("blip2");
  auto with = [&](const std::function<void(nlohmann::json&)>& edit) {
    auto c = base;
    edit(c);
    return c;
  };
  auto refused = [&](const nlohmann::json& c, const std::vector<std::string>& needles) {
    expect_error([&] { parse_blip2_config(c); }, needles);
  };
  refused(with([](auto& c) { c["text_config"]["model_type"] = "t5"; }), {"text_config.model_type", "\"t5\""});
  refused(with([](auto& c) { c["use_decoder_only_language_model"] = false; }), {"use_decoder_only_language_model"});
  refused(with([](auto& c) { c["qformer_config"]["use_qformer_text_input"] = true; }), {"use_qformer_text_input"});
  refused(with([](auto& c) { c["qformer_config"]["position_embedding_type"] = "relative_key"; }),
          {"position_embedding_type", "relative_key"});
  refused(with([](auto& c) { c["qformer_config"]["encoder_hidden_size"] = 64; }), {"encoder_hidden_size"});
  refused(with([](auto& c) { c["text_config"]["enable_bias"] = false; }), {"enable_bias"});
  refused(with([](auto& c) { c["vision_config"]["model_type"] = "clip_vision_model"; }), {"vision_config.model_type"});
  refused(with([](auto& c) { c["image_token_index"] = 5000; }), {"image_token_index", "5000"});
  refused(with([](auto& c) { c["text_config"]["activation_function"] = "swoosh"; }), {"swoosh"});
}

TEST(Blip2Parity, APromptWithoutTheImagesSlotsIsRefused) {
  auto ref = test::reference("blip2");
  Blip2ForConditionalGeneration m = load_fixture();
  at::Tensor q = m->encode_image(ref["pixel_values"]).language_model_inputs[0];
  expect_error([&] { m->prompt_embeds(ref["input_ids"].slice(1, 4), q); }, {"4 image-token slots", "fills 8"});
  expect_error([&] { m->encode_image(at::zeros({1, 3, 100, 100})); }, {"pixel_values must be [batch, 3, 224, 224]"});
}
