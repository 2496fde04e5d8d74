// LLaVA's three training stages end to end on the toy task: the saved directory loads
// through ChatModel like a downloaded LLaVA, its chat template renders the training
// format, and the model answers what it was taught about images it saw.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "../common/error_of.h"
#include "image/encode_png.h"
#include "nn/tensor_io.h"
#include "server/model_pool.h"
#include "server_fixture.h"
#include "tasks/chat/chat_completion.h"
#include "tasks/lora_merge.h"
#include "text/chat_template.h"
#include "toy_data.h"
#include "train/llava_trainer.h"
#include "train/world_data.h"
#include "../common/temp_dir.h"

namespace fs = std::filesystem;
using namespace argus;

namespace {

nlohmann::json answer(const std::string& t) {
  return {{"role", "assistant"}, {"content", {{{"type", "text"}, {"text", t}}}}};
}

train::LlavaData toy_llava(const test::Toy& t) {
  train::LlavaData d;
  d.images = t.data.images;
  for (size_t i = 0; i < d.images.size(); ++i) {
    const std::string& c = test::toy_colours()[i % 4];
    int64_t im = static_cast<int64_t>(i);
    d.texts.push_back("a " + c + " square");
    d.captions.push_back({im, {train::image_question("describe the image briefly."), answer("a " + c + " square")}});
    d.instruct.push_back({im, {train::image_question("what colour is the square?"), answer(c)}});
  }
  return d;
}

train::LlavaRecipe tiny_llava_recipe(const std::string& out) {
  train::LlavaRecipe r;
  r.text = train::small_llama_config();
  r.text.hidden_size = 32;
  r.text.intermediate_size = 64;
  r.text.num_hidden_layers = 1;
  r.text.num_attention_heads = 2;
  r.text.num_key_value_heads = 2;
  r.text.head_dim = 16;
  auto set = [&](train::TrainOptions& o, int64_t steps, const char* name) {
    o.steps = steps;
    o.warmup_steps = 3;
    o.lr = 3e-3;
    o.weight_decay = 0;
    o.save_every = 0;
    o.quiet = true;
    o.checkpoint_dir = out + "/ckpt-" + name;
  };
  set(r.lm, 30, "lm");
  set(r.align, 60, "align");
  set(r.instruct, 120, "instruct");
  r.lm_batch = r.align_batch = r.instruct_batch = 8;
  return r;
}

// How many toy images the model names the colour of, exactly and then stopping (the
// template puts a space before the answer, as LLaVA-1.5's does).
int right_answers(tasks::ChatModel& model, const std::string& dir, const test::Toy& toy) {
  auto tmpl = text::ChatTemplate::for_model(dir);
  tasks::GenerateOptions opts;
  opts.max_new_tokens = 4;
  opts.eos_ids = model.eos_ids();
  int right = 0;
  for (size_t i = 0; i < toy.data.images.size(); ++i) {
    auto reply = tasks::complete_chat(model, tmpl, nlohmann::json::array({train::image_question("what colour is the square?")}),
                                      {model.encode_image(toy.data.images[i])}, opts, {});
    right += reply.finish_reason == "stop" && reply.text == " " + test::toy_colours()[i % 4];
  }
  return right;
}

class LlavaTrainer : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = argus::test::fresh_temp_dir("llava_train");
    toy_ = test::toy();
    train::train_clip(toy_.data, toy_.words, test::tiny_clip_recipe(root_ + "/clip"), root_ + "/clip", nullptr);
  }
  static void TearDownTestSuite() { fs::remove_all(root_); }
  static std::string root_;
  static test::Toy toy_;
};
std::string LlavaTrainer::root_;
test::Toy LlavaTrainer::toy_;

}  // namespace

TEST(LlavaChatTemplate, RendersTheTrainingFormatTurnByTurn) {
  auto tmpl = text::ChatTemplate::from_source(train::llava_chat_template());
  nlohmann::json m = {train::image_question("how many circles?"), answer("2")};
  EXPECT_EQ(tmpl.render(nlohmann::json::array({m[0]}), true), "USER: <image>\nhow many circles? ASSISTANT:");
  EXPECT_EQ(tmpl.render(m, false), "USER: <image>\nhow many circles? ASSISTANT: 2</s>");
  // Plain-string content (text-only clients) renders the same way.
  EXPECT_EQ(tmpl.render(nlohmann::json::array({{{"role", "user"}, {"content", "hi"}}}), true), "USER: hi ASSISTANT:");
}

TEST_F(LlavaTrainer, ThreeStagesTeachTheToyTaskAndTheResultLoadsAsLlava) {
  std::string out = root_ + "/llava";
  auto r = train::train_llava(toy_llava(toy_), toy_.words, root_ + "/clip", tiny_llava_recipe(out), out, nullptr);
  ASSERT_EQ(r.losses.size(), 120u);
  EXPECT_LT(r.losses.back(), 0.2 * r.losses.front()) << r.losses.front() << " -> " << r.losses.back();

  auto model = tasks::ChatModel::open(out);  // strict load of the llava-hf layout
  ASSERT_TRUE(model->has_vision());
  EXPECT_EQ(right_answers(*model, out, toy_), 16);
}

TEST_F(LlavaTrainer, ASampleWithTwoImagesIsRefusedNamingTheCount) {
  auto d = toy_llava(toy_);
  d.instruct[3].messages[0]["content"].push_back({{"type", "image"}});
  std::string err = test::error_of([&] {
    train::train_llava(d, toy_.words, root_ + "/clip", tiny_llava_recipe(root_ + "/bad"), root_ + "/bad", nullptr);
  });
  EXPECT_NE(err.find("2 <image> tokens"), std::string::npos) << err;
}

namespace {

// The prompt's logits for the first toy image.
at::Tensor toy_logits(tasks::ChatModel& m, const image::Image& im) {
  auto ids = m.require_tokenizer("test").encode("USER: <image>\nwhat colour is the square? ASSISTANT:", true);
  return m.prompt_logits(m.build_prompt(ids, {m.encode_image(im)}));
}

}  // namespace

TEST_F(LlavaTrainer, LoraStageTwoTeachesTheTaskWithTheLlmFrozenAndItsAdapterReproducesTheModel) {
  std::string out = root_ + "/llava-lora";
  auto recipe = tiny_llava_recipe(out);
  recipe.lora_rank = 4;
  recipe.lora_alpha = 8;
  recipe.instruct.lr = 1e-2;  // LoRA's usual higher rate
  // The frozen LLM must already speak: its final norm and lm_head bound the logits LoRA can reach.
  recipe.lm.steps = 200;
  auto r = train::train_llava(toy_llava(toy_), toy_.words, root_ + "/clip", recipe, out, nullptr);
  EXPECT_LT(r.losses.back(), 0.2 * r.losses.front()) << r.losses.front() << " -> " << r.losses.back();

  // The merged model in `out` answers; the base LLM's weights were not trained, only the
  // adapted layers moved.
  auto merged = tasks::ChatModel::open(out);
  EXPECT_GE(right_answers(*merged, out, toy_), 15);
  auto base_w = nn::load_safetensors(out + "/lora-base/model.safetensors");
  auto merged_w = nn::load_safetensors(out + "/model.safetensors");
  EXPECT_TRUE(at::equal(base_w.at("language_model.model.embed_tokens.weight"),
                        merged_w.at("language_model.model.embed_tokens.weight")));
  EXPECT_TRUE(at::equal(base_w.at("language_model.model.layers.0.input_layernorm.weight"),
                        merged_w.at("language_model.model.layers.0.input_layernorm.weight")));
  EXPECT_FALSE(at::allclose(base_w.at("language_model.model.layers.0.self_attn.q_proj.weight"),
                            merged_w.at("language_model.model.layers.0.self_attn.q_proj.weight")));

  // base + adapter, at load or merged on disk, is the merged model.
  at::Tensor expected = toy_logits(*merged, toy_.data.images[0]);
  auto with_adapter = tasks::ChatModel::open(out + "/lora-base", "auto", out + "/lora");
  EXPECT_TRUE(at::allclose(toy_logits(*with_adapter, toy_.data.images[0]), expected, 1e-4, 1e-4));
  auto without = tasks::ChatModel::open(out + "/lora-base");
  EXPECT_FALSE(at::allclose(toy_logits(*without, toy_.data.images[0]), expected, 1e-2, 1e-2));
  // 1 layer x (q, k, v, o, gate, up, down)
  EXPECT_EQ(tasks::merge_lora_checkpoint(out + "/lora-base", out + "/lora", out + "/merged-again"), 7u);
  auto again = tasks::ChatModel::open(out + "/merged-again");
  EXPECT_TRUE(at::allclose(toy_logits(*again, toy_.data.images[0]), expected, 1e-4, 1e-4));
  std::string err = test::error_of([&] { tasks::merge_lora_checkpoint(out + "/lora-base", out + "/lora", out); });
  EXPECT_NE(err.find("not empty"), std::string::npos) << err;

  // `serve --lora`: the base served with its adapter answers as the merged model does.
  server::ServerOptions so;
  so.port = 0;
  so.models = {{"tuned", out + "/lora-base"}, {"merged", out}, {"base", out + "/lora-base"}, {"clip", root_ + "/clip"}};
  so.loras = {{"tuned", out + "/lora"}};
  so.image_root = root_ + "/served-images";
  fs::create_directories(so.image_root);
  test::TestServer srv(so);
  auto http = srv.client();
  auto models = nlohmann::json::parse(http.Get("/v1/models")->body)["data"];
  for (const auto& m : models) EXPECT_EQ(m["argus"].contains("lora"), m["id"] == "tuned") << m;
  int right = 0, differs = 0;
  for (int i = 0; i < 4; ++i) {
    std::string path = so.image_root + "/toy" + std::to_string(i) + ".png";
    image::encode_png(toy_.data.images[static_cast<size_t>(i)], path);
    auto answer = [&](const std::string& model) {
      nlohmann::json body = {
          {"model", model},
          {"max_tokens", 4},
          {"temperature", 0},
          {"messages", {{{"role", "user"},
                         {"content", {{{"type", "image_url"}, {"image_url", {{"url", path}}}},
                                      {{"type", "text"}, {"text", "what colour is the square?"}}}}}}}};
      auto res = http.Post("/v1/chat/completions", body.dump(), "application/json");
      EXPECT_EQ(res->status, 200) << res->body;
      return nlohmann::json::parse(res->body)["choices"][0]["message"]["content"].get<std::string>();
    };
    std::string tuned = answer("tuned");
    EXPECT_EQ(tuned, answer("merged")) << "image " << i;
    right += tuned.find(test::toy_colours()[static_cast<size_t>(i)]) != std::string::npos;
    differs += answer("base") != tuned;
  }
  EXPECT_GE(right, 3);
  EXPECT_GE(differs, 1) << "the adapter changed no answer: is it applied?";

  // Adapters for a missing model, a model that does not chat, or a directory without an
  // adapter are refused at startup, naming the flag.
  auto pool_error = [&](std::map<std::string, std::string> loras) {
    return test::error_of([&] { server::ModelPool(so.models, 0, loras); });
  };
  EXPECT_NE(pool_error({{"nobody", out + "/lora"}}).find("no model is named \"nobody\""), std::string::npos);
  EXPECT_NE(pool_error({{"clip", out + "/lora"}}).find("apply to chat models"), std::string::npos);
  EXPECT_NE(pool_error({{"base", out}}).find("no adapter_config.json"), std::string::npos);
}
