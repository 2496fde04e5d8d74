// Bad input to the tokenizers: one clear argus::Error, never a crash or silent garbage.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "../common/error_of.h"
#include "text/clip_bpe.h"
#include "text/hf_tokenizer.h"
#include "text/tokenizer.h"
#include "util/error.h"
#include "../common/temp_dir.h"

using namespace argus;
using namespace argus::text;
using argus::test::error_of;

namespace {

const std::string kShared = ARGUS_SHARED_DIR;

std::string tmpdir(const char* name) {
  return argus::test::fresh_temp_dir(std::string("tok_test_") + name);
}

void write(const std::string& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

// A minimal valid byte-level tokenizer.json to mutate.
std::string tiny_json(const std::string& normalizer = "null", const std::string& model_type = "\"BPE\"",
                      const std::string& pre = R"({"type":"ByteLevel","add_prefix_space":false})") {
  return R"({"version":"1.0","added_tokens":[],"normalizer":)" + normalizer + R"(,"pre_tokenizer":)" + pre +
         R"(,"post_processor":null,"decoder":{"type":"ByteLevel"},"model":{"type":)" + model_type +
         R"(,"vocab":{"a":0,"b":1,"ab":2},"merges":["a b"]}})";
}

}  // namespace

TEST(TokErrors, InvalidUtf8Text) {
  auto clip = load_tokenizer(kShared + "/fixtures/tokenizers/clip");
  auto bbpe = load_tokenizer(kShared + "/fixtures/tokenizers/bbpe");
  auto spm = load_tokenizer(kShared + "/fixtures/tokenizers/spm");
  for (const std::string bad : {std::string("abc\xff"), std::string("\xc3"), std::string("\xed\xa0\x80"),
                                std::string("\xc0\xaf"), std::string("ok \xf4\x90\x80\x80")}) {
    for (auto* t : {clip.get(), bbpe.get(), spm.get()}) {
      std::string e = error_of([&] { t->encode(bad); });
      EXPECT_NE(e.find("not valid UTF-8"), std::string::npos) << e;
    }
  }
}

TEST(TokErrors, MissingFilesNameTheDirectory) {
  std::string d = tmpdir("empty");
  std::string e = error_of([&] { load_tokenizer(d); });
  EXPECT_NE(e.find(d), std::string::npos) << e;
  EXPECT_NE(e.find("tokenizer.json"), std::string::npos) << e;
  e = error_of([&] { load_tokenizer(d + "/nope"); });
  EXPECT_NE(e.find("does not exist"), std::string::npos) << e;
  e = error_of([&] { ClipBpeTokenizer::from_bpe_gz(d + "/missing.txt.gz"); });
  EXPECT_NE(e.find("missing.txt.gz"), std::string::npos) << e;
}

TEST(TokErrors, MalformedTokenizerJson) {
  std::string d = tmpdir("malformed");
  write(d + "/tokenizer.json", "{\"model\": {\"type\": \"BPE\", ");
  std::string e = error_of([&] { load_tokenizer(d); });
  EXPECT_NE(e.find("malformed JSON"), std::string::npos) << e;
  write(d + "/tokenizer.json", R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["a b"]}})");
  e = error_of([&] { load_tokenizer(d); });
  EXPECT_NE(e.find("not in the vocabulary"), std::string::npos) << e;
  write(d + "/tokenizer.json", R"({"model": {"type": "BPE", "vocab": {"a": "zero"}, "merges": []}})");
  e = error_of([&] { load_tokenizer(d); });
  EXPECT_NE(e.find("not an integer"), std::string::npos) << e;
  write(d + "/tokenizer.json", R"([1, 2, 3])");
  e = error_of([&] { load_tokenizer(d); });
  EXPECT_FALSE(e.empty());
}

TEST(TokErrors, UnknownModelAndComponentTypes) {
  std::string d = tmpdir("types");
  write(d + "/tokenizer.json", tiny_json("null", "\"Unigram\""));
  std::string e = error_of([&] { load_tokenizer(d); });
  EXPECT_NE(e.find("unsupported tokenizer.json model type \"Unigram\""), std::string::npos) << e;
  write(d + "/tokenizer.json", tiny_json(R"({"type":"BertNormalizer"})"));
  e = error_of([&] { load_tokenizer(d); });
  EXPECT_NE(e.find("unsupported normalizer type \"BertNormalizer\""), std::string::npos) << e;
  write(d + "/tokenizer.json", tiny_json("null", "\"BPE\"", R"({"type":"UnicodeScripts"})"));
  e = error_of([&] { load_tokenizer(d); });
  EXPECT_NE(e.find("unsupported pre_tokenizer type \"UnicodeScripts\""), std::string::npos) << e;
  write(d + "/tokenizer.json", tiny_json("null", "\"BPE\"", R"({"type":"Split","pattern":{"Regex":"(unclosed"},"behavior":"Isolated"})"));
  e = error_of([&] { load_tokenizer(d); });
  EXPECT_NE(e.find("regex does not compile"), std::string::npos) << e;
  // The minimal file itself works.
  write(d + "/tokenizer.json", tiny_json());
  auto t = load_tokenizer(d);
  EXPECT_EQ(t->encode("ab"), (std::vector<int64_t>{2}));
}

TEST(TokErrors, BadIdsAndPaths) {
  auto t = load_tokenizer(kShared + "/fixtures/tokenizers/bbpe");
  std::string e = error_of([&] { t->tokens({5, 99999}); });
  EXPECT_NE(e.find("99999"), std::string::npos) << e;
  EXPECT_EQ(t->decode({-1, 99999}), "");  // unknown ids are skipped when decoding, as the reference does
  std::string d = tmpdir("badfile");
  write(d + "/weights.bin", "x");
  e = error_of([&] { load_tokenizer(d + "/weights.bin"); });
  EXPECT_NE(e.find("not a tokenizer file"), std::string::npos) << e;
  write(d + "/tokenizer.model", "definitely not a protobuf");
  e = error_of([&] { load_tokenizer(d + "/tokenizer.model"); });
  EXPECT_NE(e.find("not a SentencePiece model"), std::string::npos) << e;
  write(d + "/broken.txt.gz", "not gzip at all\n");
  e = error_of([&] { load_tokenizer(d + "/broken.txt.gz"); });
  EXPECT_FALSE(e.empty());
}
