// BERT WordPiece: basic tokenization + greedy longest-match-first, on a tiny
// hand-written vocabulary with hand-derived expected ids.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "text/tokenizer.h"
#include "text/wordpiece.h"
#include "util/error.h"
#include "../common/temp_dir.h"

using namespace argus;
using namespace argus::text;

namespace {

const std::vector<std::string> kVocab = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", ".",   "a",    "cat",
                                         "un",    "##aff", "##able", "remote", "control", ",",  "!",    "cafe",
                                         "中",    "国",    "##s",    "run",    "##ning",  "$",  "##n"};

std::unordered_map<std::string, int64_t> vocab_map() {
  std::unordered_map<std::string, int64_t> v;
  for (size_t i = 0; i < kVocab.size(); ++i) v[kVocab[i]] = static_cast<int64_t>(i);
  return v;
}

WordPieceTokenizer tok() { return WordPieceTokenizer(vocab_map()); }

std::vector<int64_t> ids(const std::string& s) { return tok().encode(s, false); }

std::filesystem::path temp_dir(const std::string& name) {
  return argus::test::fresh_temp_dir("wordpiece_" + name);
}

}  // namespace

TEST(WordPiece, GreedyLongestMatchWithContinuationPrefix) {
  EXPECT_EQ(ids("unaffable"), (std::vector<int64_t>{8, 9, 10}));  // un ##aff ##able
  EXPECT_EQ(ids("cats"), (std::vector<int64_t>{7, 18}));           // cat ##s
  // "running": "run" then the longest continuation "##ning" (not "##n" + ...).
  EXPECT_EQ(ids("running"), (std::vector<int64_t>{19, 20}));
}

TEST(WordPiece, UncoverableWordIsOneUnknown) {
  EXPECT_EQ(ids("dogs"), (std::vector<int64_t>{1}));
  // A prefix matches but the rest cannot be covered: the whole word is [UNK], not "run [UNK]".
  EXPECT_EQ(ids("runningx"), (std::vector<int64_t>{1}));
  EXPECT_EQ(ids(std::string(101, 'a')), (std::vector<int64_t>{1}));  // longer than 100 characters
}

TEST(WordPiece, BasicTokenizerLowercasesStripsAccentsSplitsPunctuation) {
  EXPECT_EQ(ids("A Cat."), (std::vector<int64_t>{6, 7, 5}));
  EXPECT_EQ(ids("Café!"), (std::vector<int64_t>{15, 14}));
  EXPECT_EQ(ids("a,cat"), (std::vector<int64_t>{6, 13, 7}));
  EXPECT_EQ(ids("$5"), (std::vector<int64_t>{21, 1}));  // ASCII symbols count as punctuation in BERT
  EXPECT_EQ(ids("中国"), (std::vector<int64_t>{16, 17}));  // CJK ideographs split even without spaces
  EXPECT_EQ(ids(std::string("a\tcat\x01\n", 7)), (std::vector<int64_t>{6, 7}));  // control chars dropped
  EXPECT_EQ(tok().basic_tokenize("  Hello,   WORLD  "), (std::vector<std::string>{"hello", ",", "world"}));
}

TEST(WordPiece, SpecialTokensWrapAndDecodeRejoins) {
  auto t = tok();
  EXPECT_EQ(t.encode("a cat. a remote control."),
            (std::vector<int64_t>{2, 6, 7, 5, 6, 11, 12, 5, 3}));
  EXPECT_EQ(t.decode({2, 8, 9, 10, 3}), "unaffable");
  EXPECT_EQ(t.decode({2, 8, 9, 10, 3}, false), "[CLS] unaffable [SEP]");
  EXPECT_EQ(t.tokens({19, 20}), (std::vector<std::string>{"run", "##ning"}));
  EXPECT_EQ(t.token_to_id("."), 5);
  EXPECT_EQ(t.token_to_id("dog"), -1);
  EXPECT_TRUE(t.is_special(2));
  EXPECT_FALSE(t.is_special(7));
  EXPECT_THROW(t.tokens({999}), Error);
}

TEST(WordPiece, LoadsVocabTxtWithTokenizerConfig) {
  auto d = temp_dir("txt");
  {
    std::ofstream f(d / "vocab.txt", std::ios::binary);
    for (const auto& t : kVocab) f << t << "\r\n";  // CRLF files too
  }
  auto t = WordPieceTokenizer::from_vocab_txt((d / "vocab.txt").string());
  EXPECT_EQ(t->encode("A cat"), (std::vector<int64_t>{2, 6, 7, 3}));
  EXPECT_EQ(t->vocab_size(), static_cast<int64_t>(kVocab.size()));
  {
    std::ofstream f(d / "tokenizer_config.json");
    f << R"({"do_lower_case": false})";
  }
  auto cased = WordPieceTokenizer::from_vocab_txt((d / "vocab.txt").string());
  EXPECT_EQ(cased->encode("A cat", false), (std::vector<int64_t>{1, 7}));  // "A" is not in the vocabulary
}

TEST(WordPiece, LoadsTokenizerJsonWordPieceModel) {
  auto d = temp_dir("json");
  nlohmann::json j;
  j["normalizer"] = {{"type", "BertNormalizer"}, {"lowercase", true}, {"strip_accents", nullptr}};
  j["model"] = {{"type", "WordPiece"}, {"unk_token", "[UNK]"}, {"continuing_subword_prefix", "##"},
                {"max_input_chars_per_word", 100}, {"vocab", vocab_map()}};
  std::ofstream(d / "tokenizer.json") << j.dump();
  auto t = WordPieceTokenizer::from_tokenizer_json((d / "tokenizer.json").string());
  EXPECT_EQ(t->encode("Unaffable café", false), (std::vector<int64_t>{8, 9, 10, 15}));

  j["model"]["type"] = "BPE";
  std::ofstream(d / "bpe.json") << j.dump();
  EXPECT_THROW(WordPieceTokenizer::from_tokenizer_json((d / "bpe.json").string()), Error);
}

TEST(WordPiece, TheGenericLoaderFindsItInADirectoryOrByFile) {
  // A Grounding DINO / BERT checkpoint directory: vocab.txt alone, or tokenizer.json
  // with a WordPiece model (preferred, as transformers does).
  auto d = temp_dir("loader");
  {
    std::ofstream f(d / "vocab.txt", std::ios::binary);
    for (const auto& t : kVocab) f << t << "\n";
  }
  auto from_dir = load_tokenizer(d.string());
  ASSERT_NE(dynamic_cast<WordPieceTokenizer*>(from_dir.get()), nullptr);
  EXPECT_EQ(from_dir->encode("A cat"), (std::vector<int64_t>{2, 6, 7, 3}));
  EXPECT_NE(dynamic_cast<WordPieceTokenizer*>(load_tokenizer((d / "vocab.txt").string()).get()), nullptr);

  nlohmann::json j;
  j["model"] = {{"type", "WordPiece"}, {"unk_token", "[UNK]"}, {"vocab", vocab_map()}};
  j["model"]["vocab"]["cat"] = 12;  // differs from vocab.txt, to tell which file was read
  std::ofstream(d / "tokenizer.json") << j.dump();
  auto from_json = load_tokenizer(d.string());
  ASSERT_NE(dynamic_cast<WordPieceTokenizer*>(from_json.get()), nullptr);
  EXPECT_EQ(from_json->encode("a cat", false), (std::vector<int64_t>{6, 12}));

  // A model "type" that is not a string is an error, not a crash.
  j["model"]["type"] = 7;
  std::ofstream(d / "tokenizer.json") << j.dump();
  EXPECT_THROW(load_tokenizer(d.string()), Error);
}

TEST(WordPiece, BadInputIsAnError) {
  auto v = vocab_map();
  v.erase("[UNK]");
  EXPECT_THROW(WordPieceTokenizer{v}, Error);
  EXPECT_THROW(tok().encode("a\xff"), Error);  // invalid UTF-8
  EXPECT_THROW(WordPieceTokenizer::from_vocab_txt("/nonexistent/vocab.txt"), Error);
}
