// load_tokenizer: which implementation a checkpoint directory or file gets.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "text/clip_bpe.h"
#include "text/hf_tokenizer.h"
#include "text/spm_tokenizer.h"
#include "text/tokenizer.h"
#include "../common/temp_dir.h"

using namespace argus::text;
namespace fs = std::filesystem;

namespace {

const std::string kShared = ARGUS_SHARED_DIR;
const std::string kTok = kShared + "/fixtures/tokenizers";

std::string tmpdir(const char* name) {
  return argus::test::fresh_temp_dir(std::string("tok_loader_") + name);
}

void write(const std::string& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

}  // namespace

TEST(TokLoader, PicksTheImplementation) {
  EXPECT_NE(dynamic_cast<ClipBpeTokenizer*>(load_tokenizer(kTok + "/clip").get()), nullptr);
  EXPECT_NE(dynamic_cast<ClipBpeTokenizer*>(load_tokenizer(kTok + "/clip/tokenizer.json").get()), nullptr);
  EXPECT_NE(dynamic_cast<ClipBpeTokenizer*>(load_tokenizer(kShared + "/fixtures/clip").get()), nullptr);
  EXPECT_NE(dynamic_cast<HfTokenizer*>(load_tokenizer(kTok + "/bbpe").get()), nullptr);
  EXPECT_NE(dynamic_cast<SpmTokenizer*>(load_tokenizer(kTok + "/spm").get()), nullptr);
  EXPECT_NE(dynamic_cast<SpmTokenizer*>(load_tokenizer(kShared + "/fixtures/llava/tokenizer.model").get()), nullptr);
}

TEST(TokLoader, ClipFromVocabAndMergesOnly) {
  std::string d = tmpdir("clip_vm");
  fs::copy_file(kTok + "/clip/vocab.json", d + "/vocab.json");
  fs::copy_file(kTok + "/clip/merges.txt", d + "/merges.txt");
  auto t = load_tokenizer(d);
  ASSERT_NE(dynamic_cast<ClipBpeTokenizer*>(t.get()), nullptr);
  EXPECT_EQ(t->encode("a photo of a cat"), (std::vector<int64_t>{49406, 320, 1125, 539, 320, 2368, 49407}));
  // A checkpoint that pads with "!" (id 0), as some CLIP variants do.
  write(d + "/tokenizer_config.json", R"({"tokenizer_class": "CLIPTokenizer", "pad_token": "!"})");
  auto padded = dynamic_cast<ClipBpeTokenizer*>(load_tokenizer(d).get())->encode_padded("a cat", 6);
  EXPECT_EQ(padded, (std::vector<int64_t>{49406, 320, 2368, 49407, 0, 0}));
}

TEST(TokLoader, Gpt2StyleVocabAndMerges) {
  std::string d = tmpdir("gpt2_vm");
  write(d + "/vocab.json", R"({"h": 0, "i": 1, "Ġ": 2, "hi": 3, "Ġhi": 4, "!": 5})");
  write(d + "/merges.txt", "#version: 0.2\nh i\nĠ hi\n");
  auto t = load_tokenizer(d);
  EXPECT_EQ(t->encode("hi hi!"), (std::vector<int64_t>{3, 4, 5}));
  EXPECT_EQ(t->decode({3, 4, 5}), "hi hi!");
}

TEST(TokLoader, UnigramJsonFallsBackToSentencePieceModel) {
  std::string d = tmpdir("unigram");
  write(d + "/tokenizer.json", R"({"model": {"type": "Unigram", "vocab": [["a", 0.0]]}})");
  fs::copy_file(kTok + "/spm/tokenizer.model", d + "/tokenizer.model");
  auto t = load_tokenizer(d);
  ASSERT_NE(dynamic_cast<SpmTokenizer*>(t.get()), nullptr);
  EXPECT_EQ(t->encode("a photo of a cat", false), (std::vector<int64_t>{264, 296, 926, 808, 360, 264, 277, 269}));
}

TEST(TokLoader, ConfigFlagsAndAddedTokens) {
  std::string d = tmpdir("spm_cfg");
  fs::copy_file(kTok + "/spm/tokenizer.model", d + "/tokenizer.model");
  write(d + "/tokenizer_config.json", R"({"add_bos_token": false, "add_eos_token": true,
    "added_tokens_decoder": {"1000": {"content": "<video>", "special": true}}})");
  auto t = load_tokenizer(d);
  auto ids = t->encode("a<video>");
  ASSERT_GE(ids.size(), 3u);
  EXPECT_NE(ids.front(), 1);
  EXPECT_EQ(ids[ids.size() - 2], 1000);
  EXPECT_EQ(ids.back(), 2);
}

TEST(TokLoader, EncodeTruncatedKeepsTheClosingToken) {
  auto clip = load_tokenizer(kTok + "/clip");
  const std::string text = "a photo of a red circle left of a small blue star";
  const auto full = clip->encode(text, true);
  ASSERT_GT(full.size(), 6u);
  ASSERT_EQ(full.back(), clip->eos_id());

  bool cut = true;
  EXPECT_EQ(encode_truncated(*clip, text, static_cast<int64_t>(full.size()), &cut), full);
  EXPECT_FALSE(cut);
  const auto short_ids = encode_truncated(*clip, text, 5, &cut);
  EXPECT_TRUE(cut);
  ASSERT_EQ(short_ids.size(), 5u);
  EXPECT_EQ(std::vector<int64_t>(short_ids.begin(), short_ids.begin() + 4),
            std::vector<int64_t>(full.begin(), full.begin() + 4));
  EXPECT_EQ(short_ids.back(), clip->eos_id());  // where CLIP pools

  // Llama's SentencePiece adds BOS only: a cut sequence keeps its plain prefix.
  auto spm = load_tokenizer(kShared + "/fixtures/llava/tokenizer.model");
  const auto spm_full = spm->encode(text, true);
  ASSERT_NE(spm_full.back(), spm->eos_id());
  EXPECT_EQ(encode_truncated(*spm, text, 4), std::vector<int64_t>(spm_full.begin(), spm_full.begin() + 4));
  EXPECT_THROW(encode_truncated(*clip, text, 0), std::exception);
}
