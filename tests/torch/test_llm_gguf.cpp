// GGUF decoders against the transformers references: each LLM fixture is converted
// here the way llama.cpp's converter writes it (its tensor names, q/k rows interleaved
// per head for the `llama` architecture, metadata keys), in F32, F16 and Q8_0, then
// loaded through argus's GGUF path and run on the fixture's inputs.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "cli_runner.h"
#include "io/gguf.h"
#include "llm_helpers.h"
#include "models/llama/llama_gguf.h"
#include "parity.h"
#include "server_fixture.h"
#include "tasks/generate/generate.h"
#include "util/error.h"
#include "text/spm_model.h"
#include "../common/error_of.h"
#include "../common/gguf_writer.h"
#include "../common/temp_dir.h"

using namespace argus;
using namespace argus::models::llama;
using argus::test::error_of;
using argus::test::GgufWriter;

namespace {

enum class Storage { F32, F16, Q8_0 };

// llama.cpp's converter for the `llama` architecture: within each head, row
// s*d/2 + i moves to row 2i + s (s in {0,1}), matching its adjacent-pair rotary.
at::Tensor permute_heads(const at::Tensor& w, int64_t heads) {
  const int64_t rows = w.size(0);
  return w.reshape({heads, 2, rows / heads / 2, w.size(1)}).transpose(1, 2).reshape({rows, w.size(1)}).contiguous();
}

std::string raw(const at::Tensor& t) {
  at::Tensor c = t.contiguous();
  return std::string(static_cast<const char*>(c.data_ptr()), c.nbytes());
}

// Q8_0 from the format's definition: per 32 values, d = max|x| / 127 stored as
// float16, q = round(x / d).
std::string q8_0(const at::Tensor& t) {
  at::Tensor blocks = t.contiguous().reshape({-1, 32});
  at::Tensor d = blocks.abs().amax(1) / 127.0;
  at::Tensor d16 = d.to(at::kHalf);
  at::Tensor inv = at::where(d > 0, 1.0 / d16.to(at::kFloat), at::zeros_like(d));
  at::Tensor q = (blocks * inv.unsqueeze(1)).round().clamp(-127, 127).to(at::kChar);
  std::string out;
  for (int64_t b = 0; b < blocks.size(0); ++b) out += raw(d16[b]) + raw(q[b]);
  return out;
}

std::string gguf_name(const std::string& hf) {
  static const std::vector<std::pair<std::string, std::string>> parts = {
      {"input_layernorm.weight", "attn_norm.weight"}, {"post_attention_layernorm.weight", "ffn_norm.weight"},
      {"self_attn.q_proj.", "attn_q."},               {"self_attn.k_proj.", "attn_k."},
      {"self_attn.v_proj.", "attn_v."},               {"self_attn.o_proj.", "attn_output."},
      {"mlp.gate_proj.", "ffn_gate."},                {"mlp.up_proj.", "ffn_up."},
      {"mlp.down_proj.", "ffn_down."}};
  if (hf == "model.embed_tokens.weight") return "token_embd.weight";
  if (hf == "model.norm.weight") return "output_norm.weight";
  if (hf == "lm_head.weight") return "output.weight";
  std::string s = hf.substr(std::string("model.layers.").size());
  const size_t dot = s.find('.');
  std::string rest = s.substr(dot + 1);
  for (const auto& [from, to] : parts)
    if (rest.rfind(from, 0) == 0) return "blk." + s.substr(0, dot) + "." + to + rest.substr(from.size());
  ADD_FAILURE() << "no GGUF name for " << hf;
  return hf;
}

std::string convert_fixture(const std::string& family, Storage storage, const std::string& dir,
                            const std::function<void(GgufWriter&)>& extra = {}) {
  nlohmann::json cfg = test::fixture_config(family);
  const std::string arch = family == "qwen2" ? "qwen2" : "llama";
  const int64_t heads = cfg["num_attention_heads"], kv = cfg["num_key_value_heads"], head_dim = cfg["head_dim"].is_null()
                                                                                                     ? cfg["hidden_size"].get<int64_t>() / heads
                                                                                                     : cfg["head_dim"].get<int64_t>();
  GgufWriter w;
  w.kv_string("general.architecture", arch);
  w.kv_u32(arch + ".context_length", cfg["max_position_embeddings"]);
  w.kv_u32(arch + ".embedding_length", cfg["hidden_size"]);
  w.kv_u32(arch + ".block_count", cfg["num_hidden_layers"]);
  w.kv_u32(arch + ".feed_forward_length", cfg["intermediate_size"]);
  w.kv_u32(arch + ".attention.head_count", static_cast<uint32_t>(heads));
  w.kv_u32(arch + ".attention.head_count_kv", static_cast<uint32_t>(kv));
  w.kv_u32(arch + ".attention.key_length", static_cast<uint32_t>(head_dim));
  w.kv_u32(arch + ".rope.dimension_count", static_cast<uint32_t>(head_dim));
  w.kv_f32(arch + ".attention.layer_norm_rms_epsilon", cfg["rms_norm_eps"].get<float>());
  double theta = cfg.contains("rope_parameters") ? cfg["rope_parameters"]["rope_theta"].get<double>()
                                                 : cfg.value("rope_theta", 10000.0);
  w.kv_f32(arch + ".rope.freq_base", static_cast<float>(theta));
  if (cfg.value("model_type", "") == "mistral") w.kv_u32(arch + ".attention.sliding_window", cfg["sliding_window"]);
  if (cfg["bos_token_id"].is_number()) w.kv_u32("tokenizer.ggml.bos_token_id", cfg["bos_token_id"]);
  if (cfg["eos_token_id"].is_number()) w.kv_u32("tokenizer.ggml.eos_token_id", cfg["eos_token_id"]);
  if (extra) extra(w);
  const bool tied = cfg.value("tie_word_embeddings", false);
  for (auto& [name, t0] : test::fixture_weights(family)) {
    if (tied && name == "lm_head.weight") continue;
    at::Tensor t = t0.to(at::kFloat);
    if (arch == "llama" && name.find("q_proj.weight") != std::string::npos) t = permute_heads(t, heads);
    if (arch == "llama" && name.find("k_proj.weight") != std::string::npos) t = permute_heads(t, kv);
    std::vector<uint64_t> ne(t.sizes().rbegin(), t.sizes().rend());
    if (t.dim() == 1 || storage == Storage::F32) {  // llama.cpp keeps norms and biases in F32
      w.tensor(gguf_name(name), ne, 0, raw(t));
    } else if (storage == Storage::F16) {
      w.tensor(gguf_name(name), ne, 1, raw(t.to(at::kHalf)));
    } else {
      w.tensor(gguf_name(name), ne, 8, q8_0(t));
    }
  }
  std::string path = dir + "/" + family + "-" + std::to_string(static_cast<int>(storage)) + ".gguf";
  std::ofstream(path, std::ios::binary) << w.bytes();
  return path;
}

std::vector<int64_t> greedy(LlamaForCausalLMImpl& m, const at::Tensor& ids, int64_t steps) {
  tasks::GenerateOptions opts;
  opts.max_new_tokens = steps;
  return tasks::generate(m, {test::row_ids(ids, 0)}, opts).tokens[0];
}

void check_family(const std::string& family) {
  SCOPED_TRACE(family);
  std::string dir = test::fresh_temp_dir("gguf_" + family);
  auto ref = test::reference(family);
  at::NoGradGuard ng;
  at::Tensor ids = ref["input_ids"], expected = ref["greedy_ids"];
  const int64_t prompt = ids.size(1), steps = expected.size(1) - prompt;
  const std::vector<int64_t> want = test::row_ids(expected, 0, prompt);

  auto f32 = io::GgufFile::open(convert_fixture(family, Storage::F32, dir));
  LlamaForCausalLM m = load_llama_gguf(*f32);
  double diff = test::max_abs_diff(m->forward(ids), ref["logits"]);
  std::printf("[%s] GGUF F32 logits max abs diff %.3g\n", family.c_str(), diff);
  EXPECT_LE(diff, 1e-4);
  EXPECT_EQ(greedy(*m, ids, steps), want);

  auto f16 = io::GgufFile::open(convert_fixture(family, Storage::F16, dir));
  double d16 = test::max_abs_diff(load_llama_gguf(*f16)->forward(ids), ref["logits"]);
  std::printf("[%s] GGUF F16 logits max abs diff %.3g\n", family.c_str(), d16);
  EXPECT_LE(d16, 2e-2);  // float16 weights: rounding of about 5e-4 relative per weight

  auto q8 = io::GgufFile::open(convert_fixture(family, Storage::Q8_0, dir));
  LlamaForCausalLM mq = load_llama_gguf(*q8);
  double dq = test::max_abs_diff(mq->forward(ids), ref["logits"]);
  std::printf("[%s] GGUF Q8_0 logits max abs diff %.3g\n", family.c_str(), dq);
  EXPECT_GT(dq, 0.0);  // the weights really went through 8-bit blocks
  // Teacher-forced over the float32 greedy continuation: wherever float32's best token
  // leads the runner-up by more than the drift could close, Q8_0 picks the same one.
  // (The fixtures' random weights leave some steps nearly tied; those may flip.)
  at::Tensor seq = expected.slice(1, 0, expected.size(1) - 1);
  at::Tensor lf = m->forward(seq)[0].slice(0, prompt - 1), lq = mq->forward(seq)[0].slice(0, prompt - 1);
  at::Tensor top2 = std::get<0>(lf.topk(2, -1));
  at::Tensor clear = (top2.select(1, 0) - top2.select(1, 1)) > 4 * dq;
  at::Tensor same = lf.argmax(-1) == lq.argmax(-1);
  std::printf("[%s] Q8_0 greedy agreement %lld/%lld steps, %lld clear-margin steps\n", family.c_str(),
              static_cast<long long>(same.sum().item<int64_t>()), static_cast<long long>(same.size(0)),
              static_cast<long long>(clear.sum().item<int64_t>()));
  EXPECT_GT(clear.sum().item<int64_t>(), 0);
  EXPECT_TRUE(same.masked_select(clear).all().item<bool>()) << "Q8_0 changed a clear-margin greedy choice";

  LlamaLoadOptions bf16;
  bf16.dtype = at::kBFloat16;
  EXPECT_EQ(load_llama_gguf(*f32, bf16)->cfg.hidden_size, m->cfg.hidden_size);
}

}  // namespace

TEST(LlmGguf, LlamaFromGgufMatchesTransformers) { check_family("llama"); }
TEST(LlmGguf, Qwen2FromGgufMatchesTransformers) { check_family("qwen2"); }
TEST(LlmGguf, MistralFromGgufKeepsItsSlidingWindow) { check_family("mistral"); }

TEST(LlmGguf, UnsupportedVariantsAndStrayTensorsAreNamed) {
  std::string dir = test::fresh_temp_dir("gguf_bad");
  auto write = [&](const std::string& name, GgufWriter& w) {
    std::ofstream(dir + "/" + name, std::ios::binary) << w.bytes();
    return io::GgufFile::open(dir + "/" + name);
  };
  auto base = [] {
    GgufWriter w;
    w.kv_string("general.architecture", "llama");
    for (const char* k : {"context_length", "embedding_length", "block_count", "feed_forward_length"})
      w.kv_u32(std::string("llama.") + k, 32);
    w.kv_u32("llama.attention.head_count", 4);
    w.kv_f32("llama.attention.layer_norm_rms_epsilon", 1e-5f);
    w.tensor("token_embd.weight", {32, 4}, 0, std::string(32 * 4 * 4, '\0'));
    return w;
  };
  GgufWriter gemma;
  gemma.kv_string("general.architecture", "gemma2");
  EXPECT_NE(error_of([&] { load_llama_gguf(*write("gemma.gguf", gemma)); }).find("\"gemma2\" is not one argus reads"),
            std::string::npos);
  GgufWriter partial = base();
  partial.kv_u32("llama.rope.dimension_count", 16);
  EXPECT_NE(error_of([&] { load_llama_gguf(*write("partial.gguf", partial)); }).find("partial rotary"),
            std::string::npos);
  GgufWriter yarn = base();
  yarn.kv_string("llama.rope.scaling.type", "yarn");
  EXPECT_NE(error_of([&] { load_llama_gguf(*write("yarn.gguf", yarn)); }).find("\"yarn\" is not supported"),
            std::string::npos);
  GgufWriter freqs = base();
  freqs.tensor("rope_freqs.weight", {1}, 0, std::string(4, '\0'));
  EXPECT_NE(error_of([&] { load_llama_gguf(*write("freqs.gguf", freqs)); }).find("rope_freqs.weight"),
            std::string::npos);
  GgufWriter stray = base();
  stray.tensor("blk.0.attn_sinks.weight", {1}, 0, std::string(4, '\0'));
  EXPECT_NE(error_of([&] { load_llama_gguf(*write("stray.gguf", stray)); })
                .find("tensor \"blk.0.attn_sinks.weight\" has no place"),
            std::string::npos);
  GgufWriter missing = base();  // one tensor only: the model's other parameters are missing
  EXPECT_NE(error_of([&] { load_llama_gguf(*write("missing.gguf", missing)); }).find("missing.gguf"),
            std::string::npos);
}

namespace {

const char* kTemplate =
    "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}{% if add_generation_prompt %}"
    "assistant:{% endif %}";

// The llama fixture with the SentencePiece fixture's vocabulary (both 1000 tokens) and a
// chat template: once as a GGUF file, once as a transformers directory.
struct ChatPair {
  std::string gguf, dir;
};

ChatPair chat_pair() {
  namespace fs = std::filesystem;
  const std::string tmp = test::fresh_temp_dir("gguf_chat");
  const std::string spm = test::fixture("tokenizers/spm/tokenizer.model");
  ChatPair p;
  p.gguf = convert_fixture("llama", Storage::F32, tmp, [&](GgufWriter& w) {
    auto sp = text::SpmModel::from_file(spm);
    std::vector<std::string> tokens;
    std::string scores, types;
    GgufWriter::put<uint32_t>(scores, GgufWriter::F32);
    GgufWriter::put<uint64_t>(scores, static_cast<uint64_t>(sp.size()));
    GgufWriter::put<uint32_t>(types, GgufWriter::I32);
    GgufWriter::put<uint64_t>(types, static_cast<uint64_t>(sp.size()));
    for (int i = 0; i < sp.size(); ++i) {
      tokens.push_back(sp.piece(i).text);
      GgufWriter::put<float>(scores, sp.piece(i).score);
      GgufWriter::put<int32_t>(types, static_cast<int32_t>(sp.piece(i).type));
    }
    w.kv_string("tokenizer.ggml.model", "llama");
    w.kv_strings("tokenizer.ggml.tokens", tokens);
    w.kv_raw("tokenizer.ggml.scores", GgufWriter::ARRAY, scores);
    w.kv_raw("tokenizer.ggml.token_type", GgufWriter::ARRAY, types);
    w.kv_string("tokenizer.chat_template", kTemplate);
  });
  p.dir = tmp + "/hf";
  fs::create_directories(p.dir);
  fs::copy_file(test::fixture("llama/config.json"), p.dir + "/config.json");
  fs::copy_file(test::fixture("llama/model.safetensors"), p.dir + "/model.safetensors");
  fs::copy_file(spm, p.dir + "/tokenizer.model");
  std::ofstream(p.dir + "/tokenizer_config.json") << nlohmann::json{{"chat_template", kTemplate}}.dump();
  return p;
}

}  // namespace

TEST(CliGguf, GenerateTemplateAndChatAnswerAsTheSameCheckpointDirectory) {
  ChatPair p = chat_pair();
  auto gen = [](const std::string& model) {
    return test::run_cli(
        {"generate", "--model", model, "--prompt-ids", "1,264,296,926", "--max-tokens", "8", "--greedy", "--json"});
  };
  auto a = gen(p.gguf), b = gen(p.dir);
  ASSERT_EQ(a.rc, 0) << a.err;
  ASSERT_EQ(b.rc, 0) << b.err;
  EXPECT_EQ(a.json()["ids"], b.json()["ids"]);
  EXPECT_EQ(a.json()["text"], b.json()["text"]);  // decoded by each one's tokenizer
  EXPECT_FALSE(a.json()["text"].get<std::string>().empty());

  const std::string messages = test::fresh_temp_dir("gguf_msgs") + "/m.json";
  std::ofstream(messages) << R"([{"role":"user","content":"hi"}])";
  auto ta = test::run_cli({"template", "--model", p.gguf, "--messages", messages});
  ASSERT_EQ(ta.rc, 0) << ta.err;
  EXPECT_EQ(ta.out, "user: hi\nassistant:");

  const std::string line = "what is this?\n";
  auto ca = test::run_cli_input({"chat", "--model", p.gguf, "--max-tokens", "6", "--greedy"}, &line);
  auto cb = test::run_cli_input({"chat", "--model", p.dir, "--max-tokens", "6", "--greedy"}, &line);
  ASSERT_EQ(ca.rc, 0) << ca.err;
  EXPECT_EQ(ca.out, cb.out);
  EXPECT_FALSE(ca.out.empty());
}

TEST(CliGguf, AGgufWithoutTemplateOrTokenizerSaysWhatIsMissing) {
  const std::string tmp = test::fresh_temp_dir("gguf_bare");
  const std::string bare = convert_fixture("llama", Storage::F32, tmp);
  const std::string messages = tmp + "/m.json";
  std::ofstream(messages) << R"([{"role":"user","content":"hi"}])";
  auto t = test::run_cli({"template", "--model", bare, "--messages", messages});
  EXPECT_CLEAN_ERROR(t, "no tokenizer.chat_template in its metadata");
  const std::string line = "hello\n";
  auto c = test::run_cli_input({"chat", "--model", bare, "--chat-template", "chatml", "--max-tokens", "2"}, &line);
  EXPECT_CLEAN_ERROR(c, "needs a tokenizer");
  auto l = test::run_cli({"generate", "--model", bare, "--lora", tmp, "--prompt-ids", "1,2", "--max-tokens", "2"});
  EXPECT_CLEAN_ERROR(l, "LoRA adapters on GGUF models are not supported");
  // Token ids work without a tokenizer, as for a bare checkpoint directory.
  auto ids = test::run_cli({"generate", "--model", bare, "--prompt-ids", "1,5,9", "--max-tokens", "3", "--json"});
  ASSERT_EQ(ids.rc, 0) << ids.err;
  EXPECT_EQ(ids.json()["ids"].size(), 3u);
}

TEST(ServerGguf, ChatCompletionsFromAGgufFileAnswerAsTheDirectory) {
  ChatPair p = chat_pair();
  server::ServerOptions o;
  o.port = 0;
  o.models = {{"gguf", p.gguf}, {"dir", p.dir}};
  o.max_tokens = 16;
  test::TestServer srv(o);
  auto cli = srv.client();
  auto ask = [&](const std::string& model) {
    nlohmann::json body = {{"model", model},
                           {"messages", {{{"role", "user"}, {"content", "what is this?"}}}},
                           {"temperature", 0},
                           {"max_tokens", 6}};
    auto r = cli.Post("/v1/chat/completions", body.dump(), "application/json");
    EXPECT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body;
    return nlohmann::json::parse(r->body);
  };
  auto a = ask("gguf"), b = ask("dir");
  EXPECT_EQ(a["choices"][0]["message"]["content"], b["choices"][0]["message"]["content"]);
  EXPECT_EQ(a["usage"], b["usage"]);
  auto models = cli.Get("/v1/models");
  ASSERT_TRUE(models);
  EXPECT_NE(models->body.find("\"gguf\""), std::string::npos);
}

TEST(CliGguf, InspectDescribesTheFileAndWhatItBecomes) {
  const std::string tmp = test::fresh_temp_dir("gguf_inspect");
  const std::string q8 = convert_fixture("llama", Storage::Q8_0, tmp);
  auto r = test::run_cli({"inspect", "--model", q8, "--json"});
  ASSERT_EQ(r.rc, 0) << r.err;
  const auto j = r.json();
  const nlohmann::json cfg = test::fixture_config("llama");
  EXPECT_EQ(j["family"], "Llama-style decoder");
  EXPECT_EQ(j["model_type"], "llama");
  // The same parameters as the fixture (its lm_head is written only when untied).
  int64_t params = 0;
  size_t tensors = 0;
  for (auto& [name, t] : test::fixture_weights("llama")) {
    if (cfg.value("tie_word_embeddings", false) && name == "lm_head.weight") continue;
    params += t.numel();
    ++tensors;
  }
  EXPECT_EQ(j["parameters"], params);
  EXPECT_EQ(j["tensors"], tensors);
  // Matrices quantised, norms kept in F32, as llama.cpp's converter writes them.
  ASSERT_TRUE(j["dtypes"].contains("Q8_0")) << j.dump();
  ASSERT_TRUE(j["dtypes"].contains("F32")) << j.dump();
  EXPECT_EQ(j["dtypes"]["Q8_0"].get<int64_t>() + j["dtypes"]["F32"].get<int64_t>(), params);
  EXPECT_EQ(j["config"]["hidden_size"], cfg["hidden_size"]);
  EXPECT_EQ(j["config"]["num_hidden_layers"], cfg["num_hidden_layers"]);
  EXPECT_EQ(j["config"]["general.architecture"], "llama");
  EXPECT_EQ(j["config"]["tokenizer.chat_template"], false);

  // An architecture argus does not run is still described, with the reason.
  GgufWriter gemma;
  gemma.kv_string("general.architecture", "gemma2");
  gemma.tensor("token_embd.weight", {8, 4}, 1, std::string(8 * 4 * 2, '\0'));
  const std::string g = tmp + "/gemma.gguf";
  std::ofstream(g, std::ios::binary) << gemma.bytes();
  auto u = test::run_cli({"inspect", "--model", g, "--json"});
  ASSERT_EQ(u.rc, 0) << u.err;
  EXPECT_TRUE(u.json()["family"].is_null());
  EXPECT_EQ(u.json()["dtypes"]["F16"], 32);
  EXPECT_NE(u.json()["config"]["unsupported"].get<std::string>().find("\"gemma2\" is not one argus reads"),
            std::string::npos);
  // A file that is not GGUF at all is an error naming it, not a crash.
  const std::string junk = tmp + "/junk.gguf";
  std::ofstream(junk) << "not a gguf";
  auto bad = test::run_cli({"inspect", "--model", junk});
  EXPECT_CLEAN_ERROR(bad, "junk.gguf");
}
