// Tokenizers from GGUF metadata against the reference ids of fixtures/tokenizers: the
// fixture vocabularies are written into tokenizer.ggml.* arrays the way llama.cpp's
// converter lays them out, then read back through argus's GGUF path.
#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "io/gguf.h"
#include "text/gguf_tokenizer.h"
#include "text/spm_model.h"
#include "util/error.h"
#include "../common/error_of.h"
#include "../common/gguf_writer.h"
#include "../common/temp_dir.h"

using namespace argus;
using argus::test::error_of;
using argus::test::GgufWriter;

namespace {

const std::string kTok = std::string(ARGUS_SHARED_DIR) + "/fixtures/tokenizers";

const nlohmann::json& expected() {
  static const nlohmann::json j = nlohmann::json::parse(std::ifstream(kTok + "/expected.json"));
  return j;
}

std::string array_payload(uint32_t type, const std::vector<std::string>& items) {
  std::string b;
  GgufWriter::put<uint32_t>(b, type);
  GgufWriter::put<uint64_t>(b, items.size());
  for (const auto& s : items) b += s;
  return b;
}

template <typename T>
std::string scalar(T v) {
  std::string b;
  GgufWriter::put<T>(b, v);
  return b;
}

std::shared_ptr<io::GgufFile> write(const std::string& name, const GgufWriter& w) {
  const std::string path = argus::test::fresh_temp_dir("gguf_tok") + "/" + name;
  std::ofstream(path, std::ios::binary) << w.bytes();
  return io::GgufFile::open(path);
}

GgufWriter spm_gguf() {
  auto sp = text::SpmModel::from_file(kTok + "/spm/tokenizer.model");
  std::vector<std::string> tokens, scores, types;
  for (int i = 0; i < sp.size(); ++i) {
    tokens.push_back(sp.piece(i).text);
    scores.push_back(scalar<float>(sp.piece(i).score));
    types.push_back(scalar<int32_t>(static_cast<int32_t>(sp.piece(i).type)));
  }
  GgufWriter w;
  w.kv_string("tokenizer.ggml.model", "llama");
  w.kv_strings("tokenizer.ggml.tokens", tokens);
  w.kv_raw("tokenizer.ggml.scores", GgufWriter::ARRAY, array_payload(GgufWriter::F32, scores));
  w.kv_raw("tokenizer.ggml.token_type", GgufWriter::ARRAY, array_payload(GgufWriter::I32, types));
  w.kv_u32("tokenizer.ggml.bos_token_id", static_cast<uint32_t>(sp.bos_id()));
  w.kv_u32("tokenizer.ggml.eos_token_id", static_cast<uint32_t>(sp.eos_id()));
  w.kv_u32("tokenizer.ggml.unknown_token_id", static_cast<uint32_t>(sp.unk_id()));
  w.kv_raw("tokenizer.ggml.add_space_prefix", GgufWriter::BOOL, scalar<uint8_t>(sp.normalizer_spec().add_dummy_prefix));
  w.kv_raw("tokenizer.ggml.remove_extra_whitespaces", GgufWriter::BOOL,
           scalar<uint8_t>(sp.normalizer_spec().remove_extra_whitespaces));
  w.kv_raw("tokenizer.ggml.add_bos_token", GgufWriter::BOOL, scalar<uint8_t>(1));
  return w;
}

TEST(GgufTokenizer, SentencePieceVocabularyGivesTheReferenceIds) {
  auto tok = text::gguf_tokenizer(*write("spm.gguf", spm_gguf()));
  EXPECT_EQ(tok->bos_id(), 1);
  EXPECT_EQ(tok->eos_id(), 2);
  for (const auto& e : expected()["spm"]) {
    const std::string s = e["text"];
    SCOPED_TRACE(s);
    auto ids = tok->encode(s, false);
    EXPECT_EQ(ids, e["ids"].get<std::vector<int64_t>>());
    EXPECT_EQ(tok->tokens(ids), e["pieces"].get<std::vector<std::string>>());
    auto with_bos = tok->encode(s);
    ASSERT_FALSE(with_bos.empty());
    EXPECT_EQ(with_bos[0], 1);
    EXPECT_EQ(tok->decode(with_bos), s);
  }
}

GgufWriter bbpe_gguf(const std::string& pre) {
  auto j = nlohmann::json::parse(std::ifstream(kTok + "/bbpe/tokenizer.json"));
  std::map<int64_t, std::pair<std::string, int32_t>> by_id;  // id -> token, GGUF type
  for (auto& [tok, id] : j["model"]["vocab"].items()) by_id[id.get<int64_t>()] = {tok, 1};
  for (auto& a : j["added_tokens"]) by_id[a["id"].get<int64_t>()] = {a["content"], a["special"].get<bool>() ? 3 : 4};
  std::vector<std::string> tokens, types, merges;
  for (auto& [id, t] : by_id) {
    EXPECT_EQ(id, static_cast<int64_t>(tokens.size()));  // dense ids, as GGUF needs
    tokens.push_back(t.first);
    types.push_back(scalar<int32_t>(t.second));
  }
  for (auto& m : j["model"]["merges"])
    merges.push_back(m.is_string() ? m.get<std::string>() : m[0].get<std::string>() + " " + m[1].get<std::string>());
  GgufWriter w;
  w.kv_string("tokenizer.ggml.model", "gpt2");
  w.kv_string("tokenizer.ggml.pre", pre);
  w.kv_strings("tokenizer.ggml.tokens", tokens);
  w.kv_raw("tokenizer.ggml.token_type", GgufWriter::ARRAY, array_payload(GgufWriter::I32, types));
  w.kv_strings("tokenizer.ggml.merges", merges);
  w.kv_u32("tokenizer.ggml.eos_token_id", 0);
  return w;
}

TEST(GgufTokenizer, ByteLevelVocabularyGivesTheReferenceIds) {
  auto tok = text::gguf_tokenizer(*write("bbpe.gguf", bbpe_gguf("qwen2")));
  for (const auto& e : expected()["bbpe"]) {
    const std::string s = e["text"];
    SCOPED_TRACE(s);
    auto ids = tok->encode(s);
    EXPECT_EQ(ids, e["ids"].get<std::vector<int64_t>>());
    EXPECT_EQ(tok->decode(ids), e["decoded"].get<std::string>());
  }
  EXPECT_EQ(tok->token_to_id("<image>"), 1500);
  EXPECT_EQ(tok->encode("a<image>b").size(), 3u);  // the control token is never split
  EXPECT_TRUE(tok->is_special(1500));
  EXPECT_EQ(tok->eos_id(), 0);
}

TEST(GgufTokenizer, UnknownKindsAndInconsistentArraysAreNamed) {
  EXPECT_NE(error_of([&] { text::gguf_tokenizer(*write("pre.gguf", bbpe_gguf("deepseek-coder"))); })
                .find("\"deepseek-coder\" is not a pre-tokenizer argus knows"),
            std::string::npos);
  GgufWriter t5;
  t5.kv_string("tokenizer.ggml.model", "t5");
  t5.kv_strings("tokenizer.ggml.tokens", {"a"});
  EXPECT_NE(error_of([&] { text::gguf_tokenizer(*write("t5.gguf", t5)); }).find("\"t5\" is not a vocabulary"),
            std::string::npos);
  GgufWriter short_scores;
  short_scores.kv_string("tokenizer.ggml.model", "llama");
  short_scores.kv_strings("tokenizer.ggml.tokens", {"<unk>", "a"});
  short_scores.kv_raw("tokenizer.ggml.scores", GgufWriter::ARRAY, array_payload(GgufWriter::F32, {scalar<float>(0)}));
  EXPECT_NE(error_of([&] { text::gguf_tokenizer(*write("scores.gguf", short_scores)); }).find("1 entries for 2 tokens"),
            std::string::npos);
  GgufWriter bad_bos = spm_gguf();
  bad_bos.kv_u32("tokenizer.ggml.padding_token_id", 999999);
  EXPECT_NE(error_of([&] { text::gguf_tokenizer(*write("pad.gguf", bad_bos)); }).find("outside the"),
            std::string::npos);
  GgufWriter no_merges;
  no_merges.kv_string("tokenizer.ggml.model", "gpt2");
  no_merges.kv_strings("tokenizer.ggml.tokens", {"a", "b"});
  no_merges.kv_strings("tokenizer.ggml.merges", {"ab"});
  EXPECT_NE(error_of([&] { text::gguf_tokenizer(*write("merges.gguf", no_merges)); }).find("not two tokens"),
            std::string::npos);
}

}  // namespace
