// The native SentencePiece reader/encoder (text/spm_model.h) against libsentencepiece, which
// is linked into this test binary only, as the oracle: the fixture model, plus models trained
// here by libsentencepiece's own trainer to reach Unigram, nmt_nfkc charsmaps, user-defined
// symbols, WORD/CHAR and the normaliser switches that the fixture does not use.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include "../common/temp_dir.h"
#include "text/spm_model.h"
#include "text/spm_tokenizer.h"
#include "text/tokenizer.h"
#include "text/utf8.h"
#include "util/error.h"

using namespace argus;
using namespace argus::text;

namespace {

const std::string kShared = ARGUS_SHARED_DIR;
const std::string kSpmModel = kShared + "/fixtures/tokenizers/spm/tokenizer.model";

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Per process: ctest runs this file's tests as parallel processes that must not share one.
std::string tmpdir(const char* name) { return argus::test::fresh_temp_dir(std::string("tok_spm_") + name); }

// Fragments that stress normalisation and segmentation.
const std::vector<std::string>& fragments() {
  static const std::vector<std::string> f = {
      "the", "a", "photo", "of", "cat", "dog", "is", "this", "What", "USER:", "ASSISTANT:", "hello", "world",
      "Hello", "HELLO", "tokenizer", "un", "believ", "able", "ing", "tion", "er", "s", "x", "q", "z", "Z",
      " ", " ", " ", "  ", "   ", "      ", "\t", "\n", "\n\n", "\r\n", " \n ", "\v", "\f",
      "0", "1", "42", "2024", "3.14159", "1,000,000", "007", "9999999999",
      "!", "?", ".", ",", ";", ":", "'", "\"", "(", ")", "[", "]", "{", "}", "<", ">", "-", "_", "=", "+", "*",
      "/", "\\", "|", "@", "#", "$", "%", "^", "&", "~", "`", "...", "--", "->", "=>", "::",
      "\xE2\x96\x81", "\xE2\x96\x81\xE2\x96\x81",  // literal ▁
      "<s>", "</s>", "<unk>", "<0x41>", "<pad>", "<image>", "<|x|>",
      "caf\xC3\xA9", "na\xC3\xAFve", "\xC3\xB1", "\xC3\xBC" "ber", "e\xCC\x81", "A\xCC\x8A",  // é ï ñ ü, combining
      "\xE4\xBD\xA0\xE5\xA5\xBD", "\xE4\xB8\x96\xE7\x95\x8C", "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E",  // 你好 世界 日本語
      "\xED\x95\x9C\xEA\xB5\xAD\xEC\x96\xB4",                                                        // 한국어
      "\xD0\xBF\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82",                                            // привет
      "\xD9\x85\xD8\xB1\xD8\xAD\xD8\xA8\xD8\xA7",                                                    // مرحبا
      "\xE0\xA4\xA8\xE0\xA4\xAE\xE0\xA4\xB8\xE0\xA5\x8D\xE0\xA4\xA4\xE0\xA5\x87",                    // नमस्ते
      "\xE0\xB8\xAA\xE0\xB8\xA7\xE0\xB8\xB1\xE0\xB8\xAA\xE0\xB8\x94\xE0\xB8\xB5",                    // สวัสดี
      "\xF0\x9F\x98\x80", "\xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD",                                        // 😀 👍🏽
      "\xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x91\xA7",                    // family ZWJ
      "\xF0\x9F\x87\xAF\xF0\x9F\x87\xB5",                                                            // flag
      "\xEF\xBC\xA1\xEF\xBC\xA2\xEF\xBC\xA3", "\xEF\xBC\x91\xEF\xBC\x92",                            // ＡＢＣ １２ (fullwidth)
      "\xEF\xAC\x81", "\xE2\x91\xA0", "\xE3\x8D\xBF", "\xE2\x84\xAB", "\xE2\x85\xA8",                // ﬁ ① ㍿ Å Ⅸ
      "\xC2\xA0", "\xE2\x80\x8B", "\xE3\x80\x80", "\xEF\xBB\xBF", "\xE2\x80\xA8",                    // NBSP ZWSP ideographic space BOM LS
      "\x01", "\x1F", "\x7F", "\xC2\x85", "\xF0\x9D\x94\x98\xF0\x9D\x94\xAB",                        // controls, NEL, 𝔘𝔫
      "\xEF\xBF\xBD", "\xF4\x8F\xBF\xBF", "\xEE\x80\x80",                                            // U+FFFD, U+10FFFF, PUA
      "\xC3\x9F", "\xC4\xB0", "\xCE\xA3\xCE\xBF\xCF\x82",                                            // ß İ Σος
  };
  return f;
}

std::vector<std::string> random_strings(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  const auto& f = fragments();
  std::vector<std::string> out = {"", " ", "   ", "a", " a", "a ", "  a  b  ", "\n", "▁", "<s>"};
  while (out.size() < n) {
    std::string s;
    const int parts = 1 + static_cast<int>(rng() % 14);
    for (int k = 0; k < parts; ++k) {
      switch (rng() % 8) {
        case 0: s += static_cast<char>('a' + rng() % 26); break;
        case 1: s += ' '; break;
        case 2: {  // any code point (no surrogates), mostly from the BMP
          uint32_t cp = (rng() % 4 == 0) ? 0x10000 + rng() % 0x100000 : 1 + rng() % 0xFFFF;
          if (cp >= 0xD800 && cp < 0xE000) cp = 0x4E00 + cp % 0x5000;
          append_utf8(s, static_cast<char32_t>(cp));
          break;
        }
        default: s += f[rng() % f.size()];
      }
    }
    out.push_back(s);
  }
  return out;
}

std::vector<int> oracle_ids(const sentencepiece::SentencePieceProcessor& sp, const std::string& text) {
  std::vector<int> ids;
  auto st = sp.Encode(text, &ids);
  EXPECT_TRUE(st.ok()) << st.ToString();
  return ids;
}

// Every string must give the oracle's ids; returns how many were compared.
size_t expect_same_as_oracle(const SpmModel& native, const sentencepiece::SentencePieceProcessor& sp,
                             const std::vector<std::string>& texts, const char* label) {
  size_t bad = 0;
  for (const auto& t : texts) {
    auto want = oracle_ids(sp, t);
    auto got = native.encode(t);
    if (got != want) {
      if (++bad <= 10) {
        std::string w, g;
        for (int id : want) w += sp.IdToPiece(id) + " ";
        for (int id : got) g += (id >= 0 && id < native.size() ? native.id_to_piece(id) : "?") + " ";
        ADD_FAILURE() << label << ": text \"" << t << "\"\n  oracle: " << w << "\n  native: " << g;
      }
    }
  }
  EXPECT_EQ(bad, 0u) << label;
  std::cout << "[ " << label << " ] " << texts.size() - bad << "/" << texts.size() << " strings identical\n";
  return texts.size();
}

void expect_same_vocab(const SpmModel& native, const sentencepiece::SentencePieceProcessor& sp) {
  ASSERT_EQ(native.size(), sp.GetPieceSize());
  for (int i = 0; i < native.size(); ++i) {
    ASSERT_EQ(native.id_to_piece(i), sp.IdToPiece(i)) << i;
    ASSERT_EQ(native.piece(i).score, sp.GetScore(i)) << i;
    ASSERT_EQ(native.is_byte(i), sp.IsByte(i)) << i;
    ASSERT_EQ(native.is_control(i), sp.IsControl(i)) << i;
    ASSERT_EQ(native.is_unknown(i), sp.IsUnknown(i)) << i;
    ASSERT_EQ(native.is_unused(i), sp.IsUnused(i)) << i;
  }
  EXPECT_EQ(native.unk_id(), sp.unk_id());
  EXPECT_EQ(native.bos_id(), sp.bos_id());
  EXPECT_EQ(native.eos_id(), sp.eos_id());
  EXPECT_EQ(native.pad_id(), sp.pad_id());
}

// A corpus for the trainer: sentences from a word list that mixes scripts.
std::string write_corpus(const std::string& dir) {
  std::mt19937 rng(7);
  std::vector<std::string> words = {"the", "a", "photo", "of", "cat", "dog", "running", "jumped", "over", "lazy",
                                    "tokenizer", "model", "image", "what", "is", "this", "Hello", "WORLD", "2024",
                                    "42", "3.14", "café", "naïve", "über", "你好", "世界", "日本語", "한국어", "привет",
                                    "мир", "ＡＢＣ", "１２３", "ﬁne", "①", "😀", "👍", "e\xCC\x81t\xC3\xA9", "x+y=z",
                                    "don't", "U.S.A.", "(ok)", "[tag]", "snake_case", "CamelCase"};
  std::string path = dir + "/corpus.txt";
  std::ofstream out(path, std::ios::binary);
  for (int line = 0; line < 3000; ++line) {
    const int n = 3 + static_cast<int>(rng() % 12);
    for (int k = 0; k < n; ++k) {
      if (k) out << (rng() % 10 == 0 ? "  " : " ");
      out << words[rng() % words.size()];
      if (rng() % 7 == 0) out << static_cast<char>('a' + rng() % 26);
    }
    out << "\n";
  }
  return path;
}

struct Trained {
  std::string proto;
  sentencepiece::SentencePieceProcessor sp;
};

std::unique_ptr<Trained> train(const std::string& name, const std::string& flags) {
  static const std::string dir = tmpdir("train");
  static const std::string corpus = write_corpus(dir);
  auto t = std::make_unique<Trained>();
  const std::string args = "--input=" + corpus + " --num_threads=1 --minloglevel=2 --hard_vocab_limit=false " + flags;
  auto st = sentencepiece::SentencePieceTrainer::Train(args, nullptr, &t->proto);
  if (!st.ok()) {
    ADD_FAILURE() << name << ": training failed: " << st.ToString();
    return nullptr;
  }
  std::ofstream(dir + "/" + name + ".model", std::ios::binary) << t->proto;  // e.g. a fuzz seed
  st = t->sp.LoadFromSerializedProto(t->proto);
  if (!st.ok()) {
    ADD_FAILURE() << name << ": oracle cannot load: " << st.ToString();
    return nullptr;
  }
  return t;
}

void check_trained(const std::string& name, const std::string& flags, size_t n, uint32_t seed) {
  auto t = train(name, flags);
  ASSERT_TRUE(t);
  SpmModel native = SpmModel::from_bytes(t->proto, name);
  expect_same_vocab(native, t->sp);
  expect_same_as_oracle(native, t->sp, random_strings(n, seed), name.c_str());
}

}  // namespace

TEST(TokSpmNative, ParsesFixtureModel) {
  SpmModel m = SpmModel::from_file(kSpmModel);
  EXPECT_EQ(m.size(), 1000);
  EXPECT_EQ(m.algorithm(), SpmModel::Algorithm::Bpe);
  EXPECT_TRUE(m.byte_fallback());
  EXPECT_EQ(m.normalizer_spec().name, "identity");
  EXPECT_TRUE(m.normalizer_spec().add_dummy_prefix);
  EXPECT_FALSE(m.normalizer_spec().remove_extra_whitespaces);
  EXPECT_EQ(m.unk_id(), 0);
  EXPECT_EQ(m.bos_id(), 1);
  EXPECT_EQ(m.eos_id(), 2);
  EXPECT_EQ(m.pad_id(), -1);
  EXPECT_EQ(m.id_to_piece(3), "<0x00>");
  EXPECT_TRUE(m.is_byte(3));
  EXPECT_EQ(m.piece_to_id("no such piece"), 0);
  sentencepiece::SentencePieceProcessor sp;
  ASSERT_TRUE(sp.Load(kSpmModel).ok());
  expect_same_vocab(m, sp);
}

TEST(TokSpmNative, FixtureModelMatchesLibSentencePiece) {
  SpmModel m = SpmModel::from_file(kSpmModel);
  sentencepiece::SentencePieceProcessor sp;
  ASSERT_TRUE(sp.Load(kSpmModel).ok());
  auto texts = random_strings(4000, 1234);
  EXPECT_EQ(expect_same_as_oracle(m, sp, texts, "fixture spm (BPE, byte fallback)"), 4000u);
}

TEST(TokSpmNative, TokenizerMatchesLibSentencePiece) {
  // Through SpmTokenizer (no special tokens): identical to the oracle wherever the text holds
  // no added/special token strings.
  auto tok = load_tokenizer(kShared + "/fixtures/tokenizers/spm");
  sentencepiece::SentencePieceProcessor sp;
  ASSERT_TRUE(sp.Load(kSpmModel).ok());
  size_t n = 0;
  for (const auto& t : random_strings(1500, 99)) {
    if (t.find("<s>") != std::string::npos || t.find("</s>") != std::string::npos || t.find("<unk>") != std::string::npos)
      continue;
    auto want = oracle_ids(sp, t);
    std::vector<int64_t> want64(want.begin(), want.end());
    ASSERT_EQ(tok->encode(t, false), want64) << t;
    ++n;
  }
  EXPECT_GT(n, 1000u);
}

TEST(TokSpmNative, LlavaPromptMatchesLibSentencePiece) {
  auto tok = load_tokenizer(kShared + "/fixtures/llava");
  sentencepiece::SentencePieceProcessor sp;
  ASSERT_TRUE(sp.Load(kShared + "/fixtures/llava/tokenizer.model").ok());
  // Legacy Llama: BOS, then SentencePiece on each side of the added <image> token.
  std::vector<int64_t> want = {1};
  for (int id : oracle_ids(sp, "USER: ")) want.push_back(id);
  want.push_back(1000);
  for (int id : oracle_ids(sp, "\nWhat is this? ASSISTANT:")) want.push_back(id);
  EXPECT_EQ(tok->encode("USER: <image>\nWhat is this? ASSISTANT:"), want);
  EXPECT_EQ(tok->decode(want), "USER:  \nWhat is this? ASSISTANT:");
}

TEST(TokSpmNative, AddPrefixSpaceFalseIsHonoured) {
  std::string d = tmpdir("noprefix");
  std::filesystem::copy_file(kSpmModel, d + "/tokenizer.model");
  std::ofstream(d + "/tokenizer_config.json") << R"({"add_prefix_space": false, "add_bos_token": false})";
  auto tok = load_tokenizer(d);
  auto ids = tok->encode("hello world");
  ASSERT_FALSE(ids.empty());
  EXPECT_NE(tok->tokens(ids)[0].rfind("\xE2\x96\x81", 0), 0u);  // no leading ▁
  EXPECT_EQ(tok->decode(ids), "hello world");
  EXPECT_EQ(tok->decode(tok->encode(" hello")), " hello");
}

TEST(TokSpmNative, TrainedUnigramNfkcMatchesLibSentencePiece) {
  check_trained("uni_nfkc", "--model_type=unigram --vocab_size=400 --user_defined_symbols=<image>,<|x|>", 3000, 11);
}

TEST(TokSpmNative, TrainedUnigramIdentityByteFallbackMatchesLibSentencePiece) {
  check_trained("uni_id",
                "--model_type=unigram --vocab_size=500 --normalization_rule_name=identity --byte_fallback=true "
                "--remove_extra_whitespaces=false --split_digits=true --character_coverage=0.99",
                3000, 12);
}

TEST(TokSpmNative, TrainedBpeNfkcMatchesLibSentencePiece) {
  check_trained("bpe_nfkc",
                "--model_type=bpe --vocab_size=400 --user_defined_symbols=<image>,ing --add_dummy_prefix=false "
                "--normalization_rule_name=nmt_nfkc_cf",
                3000, 13);
}

TEST(TokSpmNative, TrainedWhitespaceSuffixModelsMatchLibSentencePiece) {
  check_trained("bpe_suffix",
                "--model_type=bpe --vocab_size=700 --treat_whitespace_as_suffix=true --byte_fallback=true", 2000, 14);
  check_trained("uni_suffix",
                "--model_type=unigram --vocab_size=400 --treat_whitespace_as_suffix=true --remove_extra_whitespaces=false "
                "--user_defined_symbols=<image>",
                2000, 17);
}

TEST(TokSpmNative, TrainedCharAndWordMatchLibSentencePiece) {
  check_trained("char", "--model_type=char --vocab_size=100", 1000, 15);
  check_trained("word", "--model_type=word --vocab_size=100 --normalization_rule_name=identity", 1000, 16);
}

TEST(TokSpmNative, TruncatedAndGarbageModelsAreCleanErrors) {
  const std::string good = read_file(kSpmModel);
  ASSERT_GT(good.size(), 1000u);
  size_t errors = 0, total = 0;
  auto attempt = [&](const std::string& bytes) {
    ++total;
    SpmModel m;
    try {
      m = SpmModel::from_bytes(bytes, "mutated");
    } catch (const argus::Error& e) {
      ++errors;
      EXPECT_NE(std::string(e.what()).find("not a SentencePiece model"), std::string::npos) << e.what();
      return;
    }
    try {  // whatever parsed must also encode without crashing (a broken charsmap may refuse)
      (void)m.encode("Hello world \xE4\xBD\xA0\xE5\xA5\xBD \xF0\x9F\x98\x80 123");
    } catch (const argus::Error&) {
    }
  };
  for (size_t n = 0; n < good.size(); n += (n < 64 ? 1 : 7)) attempt(good.substr(0, n));
  EXPECT_GT(errors, total * 9 / 10);
  std::mt19937 rng(5);
  for (int k = 0; k < 3000; ++k) {
    std::string b = good;
    const int flips = 1 + static_cast<int>(rng() % 8);
    for (int j = 0; j < flips; ++j) b[rng() % b.size()] = static_cast<char>(rng());
    attempt(b);
  }
  for (int k = 0; k < 500; ++k) {
    std::string b(rng() % 200, '\0');
    for (auto& c : b) c = static_cast<char>(rng());
    attempt(b);
  }
  // Hand-made edge cases: overlong varint, huge length, group wire types, field 0.
  for (const std::string& b : {std::string("\x0A\xFF\xFF\xFF\xFF\x0F", 6), std::string("\x0A\x80", 2),
                               std::string("\x0B\x0C", 2), std::string("\x00\x01", 2),
                               std::string("\x08\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\x01", 12),
                               std::string("\x0A\x03\x0A\x01", 4)})
    attempt(b);

  // Through the loader: the tokenizer refuses the file with the same message.
  std::string d = tmpdir("trunc");
  std::ofstream(d + "/tokenizer.model", std::ios::binary) << good.substr(0, good.size() / 2);
  try {
    load_tokenizer(d + "/tokenizer.model");
    ADD_FAILURE() << "a truncated model loaded";
  } catch (const argus::Error& e) {
    EXPECT_NE(std::string(e.what()).find("not a SentencePiece model"), std::string::npos) << e.what();
  }
}

TEST(TokSpmNative, NonLegacyHasNoPrefixAfterAddedTokens) {
  std::string d = tmpdir("nonlegacy");
  std::filesystem::copy_file(kSpmModel, d + "/tokenizer.model");
  std::ofstream(d + "/tokenizer_config.json") << R"({"legacy": false, "add_bos_token": false,
    "added_tokens_decoder": {"1000": {"content": "<video>", "special": true}}})";
  auto tok = load_tokenizer(d);
  sentencepiece::SentencePieceProcessor sp;
  ASSERT_TRUE(sp.Load(kSpmModel).ok());
  // The oracle cannot switch the dummy prefix off; the reference's old trick does it for
  // plain words: encode "<unk>" + text and drop the unk's pieces.
  auto no_prefix = [&](const std::string& text) {
    auto unk = oracle_ids(sp, "<unk>");
    auto ids = oracle_ids(sp, "<unk>" + text);
    return std::vector<int64_t>(ids.begin() + static_cast<std::ptrdiff_t>(unk.size()), ids.end());
  };
  for (const char* tail : {"world again", " spaced out", "photo of a cat"}) {
    SCOPED_TRACE(tail);
    std::vector<int64_t> want;
    for (int id : oracle_ids(sp, "hello")) want.push_back(id);
    want.push_back(1000);
    auto rest = no_prefix(tail);
    want.insert(want.end(), rest.begin(), rest.end());
    EXPECT_EQ(tok->encode(std::string("hello<video>") + tail), want);
  }
}
