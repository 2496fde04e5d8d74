// Tokenizer parity with the reference: every string of fixtures/tokenizers/expected.json.
#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "text/clip_bpe.h"
#include "text/hf_tokenizer.h"
#include "text/spm_tokenizer.h"
#include "text/tokenizer.h"

using namespace argus::text;

namespace {

const std::string kShared = ARGUS_SHARED_DIR;
const std::string kTok = kShared + "/fixtures/tokenizers";

const nlohmann::json& expected() {
  static const nlohmann::json j = [] {
    std::ifstream in(kTok + "/expected.json");
    return nlohmann::json::parse(in);
  }();
  return j;
}

std::vector<int64_t> ids_of(const nlohmann::json& e, const char* key = "ids") { return e[key].get<std::vector<int64_t>>(); }

// Counts mismatches so a failure lists every offending string, not just the first.
void expect_section(const Tokenizer& tok, const char* section, bool add_special) {
  const auto& cases = expected()[section];
  ASSERT_GT(cases.size(), 0u);
  for (const auto& e : cases) {
    const std::string text = e["text"];
    SCOPED_TRACE(text);
    EXPECT_EQ(tok.encode(text, add_special), ids_of(e));
  }
}

}  // namespace

TEST(TokClip, ExpectedIdsFromVocabAndMerges) {
  auto tok = ClipBpeTokenizer::from_vocab_merges(kTok + "/clip/vocab.json", kTok + "/clip/merges.txt");
  expect_section(*tok, "clip", true);
}

TEST(TokClip, ExpectedIdsFromTokenizerJson) {
  auto tok = ClipBpeTokenizer::from_tokenizer_json(kTok + "/clip/tokenizer.json");
  expect_section(*tok, "clip", true);
}

TEST(TokClip, ExpectedIdsFromOriginalGz) {
  auto tok = ClipBpeTokenizer::from_bpe_gz(kShared + "/assets/vocab/clip_bpe_simple_vocab_16e6.txt.gz");
  EXPECT_EQ(tok->vocab_size(), 49408);
  expect_section(*tok, "clip", true);
}

TEST(TokClip, GenericTokenizerJsonPipelineAlsoMatches) {
  // The same tokenizer.json through the general tokenizer.json implementation.
  auto tok = HfTokenizer::from_file(kTok + "/clip/tokenizer.json");
  expect_section(*tok, "clip", true);
}

TEST(TokClip, PaddedTo77) {
  auto tok = load_tokenizer(kTok + "/clip");
  auto* clip = dynamic_cast<ClipBpeTokenizer*>(tok.get());
  ASSERT_NE(clip, nullptr);
  EXPECT_EQ(clip->pad_id(), 49407);
  for (const auto& e : expected()["clip"]) {
    const std::string text = e["text"];
    SCOPED_TRACE(text);
    EXPECT_EQ(clip->encode_padded(text, 77), ids_of(e, "ids_max77"));
  }
  // Longer than 77: cut, EOS kept last.
  std::string long_text;
  for (int i = 0; i < 100; ++i) long_text += "cat ";
  auto ids = clip->encode_padded(long_text, 77);
  ASSERT_EQ(ids.size(), 77u);
  EXPECT_EQ(ids.front(), 49406);
  EXPECT_EQ(ids.back(), 49407);
  EXPECT_EQ(ids[75], 2368);
}

TEST(TokClip, ThreeSourcesAgreeOnOtherText) {
  auto a = load_tokenizer(kTok + "/clip");  // tokenizer.json
  auto b = ClipBpeTokenizer::from_vocab_merges(kTok + "/clip/vocab.json", kTok + "/clip/merges.txt");
  auto c = load_tokenizer(kShared + "/assets/vocab/clip_bpe_simple_vocab_16e6.txt.gz");
  const std::vector<std::string> texts = {
      "a diagram", "İstanbul ΣΊΣΥΦΟΣ straße", "<|ENDOFTEXT|> x", "tab\tsep\u00a0nbsp", "日本語のテキスト",
      "x'sy 'hello' ''s", "1/2 ½ ⅔ ², ٣", "e\xcc\x81 vs \xc3\xa9", "👩‍👩‍👧 🇫🇷", "   ",
  };
  for (const auto& t : texts) {
    SCOPED_TRACE(t);
    auto ids = a->encode(t);
    EXPECT_EQ(b->encode(t), ids);
    EXPECT_EQ(c->encode(t), ids);
  }
}

TEST(TokClip, DecodeRoundTrip) {
  auto tok = load_tokenizer(kTok + "/clip");
  EXPECT_EQ(tok->decode(tok->encode("A Photo of TWO dogs, sitting on the grass!")), "a photo of two dogs , sitting on the grass !");
  EXPECT_EQ(tok->decode(tok->encode("多模态 😀")), "多模态 😀");
  EXPECT_EQ(tok->decode(tok->encode("a cat"), false), "<|startoftext|>a cat <|endoftext|>");
  EXPECT_EQ(tok->tokens({49406, 1125, 49407}), (std::vector<std::string>{"<|startoftext|>", "photo</w>", "<|endoftext|>"}));
  EXPECT_EQ(tok->token_to_id("photo</w>"), 1125);
  EXPECT_EQ(tok->token_to_id("no such token"), -1);
  EXPECT_EQ(tok->bos_id(), 49406);
  EXPECT_EQ(tok->eos_id(), 49407);
}

TEST(TokBbpe, ExpectedIds) {
  auto tok = load_tokenizer(kTok + "/bbpe");
  expect_section(*tok, "bbpe", true);
}

TEST(TokBbpe, ExpectedDecoded) {
  auto tok = load_tokenizer(kTok + "/bbpe/tokenizer.json");
  for (const auto& e : expected()["bbpe"]) {
    SCOPED_TRACE(e["text"].get<std::string>());
    EXPECT_EQ(tok->decode(ids_of(e)), e["decoded"].get<std::string>());
  }
}

TEST(TokBbpe, RoundTripWithoutSkippingSpecials) {
  auto tok = load_tokenizer(kTok + "/bbpe");
  for (const auto& e : expected()["bbpe"]) {
    const std::string text = e["text"];
    SCOPED_TRACE(text);
    EXPECT_EQ(tok->decode(tok->encode(text), false), text);
  }
  EXPECT_EQ(tok->token_to_id("<image>"), 1500);
  EXPECT_TRUE(tok->is_special(1500));
  EXPECT_EQ(tok->vocab_size(), 1501);
}

TEST(TokSpm, ExpectedIdsAndPieces) {
  // expected.json holds SentencePiece's own ids: no BOS (add_special=false here).
  auto tok = load_tokenizer(kTok + "/spm");
  for (const auto& e : expected()["spm"]) {
    const std::string text = e["text"];
    SCOPED_TRACE(text);
    auto ids = tok->encode(text, false);
    EXPECT_EQ(ids, ids_of(e));
    EXPECT_EQ(tok->tokens(ids), e["pieces"].get<std::vector<std::string>>());
  }
}

TEST(TokSpm, LlamaDefaultAddsBosOnly) {
  auto tok = load_tokenizer(kTok + "/spm/tokenizer.model");
  EXPECT_EQ(tok->bos_id(), 1);
  EXPECT_EQ(tok->eos_id(), 2);
  const auto& e = expected()["spm"][0];
  auto want = ids_of(e);
  want.insert(want.begin(), 1);
  EXPECT_EQ(tok->encode(e["text"].get<std::string>()), want);
}

TEST(TokSpm, RoundTrip) {
  auto tok = load_tokenizer(kTok + "/spm");
  for (const auto& e : expected()["spm"]) {
    const std::string text = e["text"];
    SCOPED_TRACE(text);
    EXPECT_EQ(tok->decode(tok->encode(text)), text);
  }
}

TEST(TokSpm, LlavaImageTokenIsNeverSplit) {
  auto tok = load_tokenizer(kShared + "/fixtures/llava");
  EXPECT_EQ(tok->token_to_id("<image>"), 1000);
  EXPECT_EQ(tok->vocab_size(), 1001);
  auto ids = tok->encode("USER: <image>\nWhat is this? ASSISTANT:");
  ASSERT_FALSE(ids.empty());
  EXPECT_EQ(ids[0], 1);
  EXPECT_EQ(std::count(ids.begin(), ids.end(), 1000), 1);
  // Legacy (default) Llama: each side of the added token is its own SentencePiece call.
  auto plain = load_tokenizer(kTok + "/spm");
  std::vector<int64_t> want = {1};
  auto head = plain->encode("USER: ", false);
  want.insert(want.end(), head.begin(), head.end());
  want.push_back(1000);
  auto tail = plain->encode("\nWhat is this? ASSISTANT:", false);
  want.insert(want.end(), tail.begin(), tail.end());
  EXPECT_EQ(ids, want);
  // The legacy "▁" before "\n" decodes to a second space, as in the reference.
  EXPECT_EQ(tok->decode(ids), "USER:  \nWhat is this? ASSISTANT:");
}
