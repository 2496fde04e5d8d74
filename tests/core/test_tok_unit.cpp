// The building blocks of the tokenizers: UTF-8 repair, split behaviours, added-token matching,
// BPE merges, normalisers, decoders.
#include <gtest/gtest.h>

#include "text/added_tokens.h"
#include "text/bpe_model.h"
#include "text/byte_level.h"
#include "text/hf_tokenizer.h"
#include "text/split.h"
#include "text/unicode.h"
#include "text/utf8.h"

using namespace argus::text;

TEST(TokUtf8, LossyRepairUsesMaximalSubparts) {
  EXPECT_EQ(to_valid_utf8("a\xF0\x9F\x98" "b"), "a\xEF\xBF\xBD" "b");  // one U+FFFD for the truncated sequence
  EXPECT_EQ(to_valid_utf8("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");     // overlong: two
  EXPECT_EQ(to_valid_utf8("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
  EXPECT_EQ(to_valid_utf8("ok 😀"), "ok 😀");
}

TEST(TokUtf8, CompleteEndHoldsBackOnlyAnUnfinishedTail) {
  EXPECT_EQ(complete_utf8_end("ab\xF0\x9F"), 2u);
  EXPECT_EQ(complete_utf8_end("ab\xF0\x9F\x98\x80"), 6u);
  EXPECT_EQ(complete_utf8_end("ab\xFF"), 3u);       // invalid, not unfinished
  EXPECT_EQ(complete_utf8_end("\xE5\xE5"), 1u);     // first lead is dead, second may still finish
  EXPECT_EQ(complete_utf8_end("\x80\x80"), 2u);
}

TEST(TokUnicode, LowercaseAndNormalForms) {
  EXPECT_EQ(lowercase("ÀÉÎ ΣΑΣ İ"), "àéî σασ i\xCC\x87");
  EXPECT_EQ(normalize_unicode("e\xCC\x81", NormalForm::NFC), "\xC3\xA9");
  EXPECT_EQ(normalize_unicode("\xEF\xAC\x81", NormalForm::NFKC), "fi");
  EXPECT_EQ(normalize_unicode(std::string("a\0b", 3), NormalForm::NFC), std::string("a\0b", 3));
  EXPECT_EQ(strip_accents(normalize_unicode("café", NormalForm::NFD)), "cafe");
}

TEST(TokByteLevel, TableRoundTrips) {
  std::string all;
  for (int b = 0; b < 256; ++b) all += static_cast<char>(b);
  std::string back;
  ASSERT_TRUE(from_byte_level(to_byte_level(all), back));
  EXPECT_EQ(back, all);
  EXPECT_EQ(to_byte_level(" \n"), "ĠĊ");
  std::string dummy;
  EXPECT_FALSE(from_byte_level("日", dummy));
}

TEST(TokSplit, Behaviours) {
  // "a-b--c" split on "-" runs (matches at [1,2) and [3,5)).
  std::vector<Span> m = {{1, 2}, {3, 5}};
  using B = SplitBehavior;
  EXPECT_EQ(split_spans(6, m, B::Removed, false), (std::vector<Span>{{0, 1}, {2, 3}, {5, 6}}));
  EXPECT_EQ(split_spans(6, m, B::Isolated, false), (std::vector<Span>{{0, 1}, {1, 2}, {2, 3}, {3, 5}, {5, 6}}));
  EXPECT_EQ(split_spans(6, m, B::MergedWithPrevious, false), (std::vector<Span>{{0, 2}, {2, 5}, {5, 6}}));
  EXPECT_EQ(split_spans(6, m, B::MergedWithNext, false), (std::vector<Span>{{0, 1}, {1, 3}, {3, 6}}));
  EXPECT_EQ(split_spans(6, m, B::Removed, true), (std::vector<Span>{{1, 2}, {3, 5}}));
  EXPECT_EQ(split_spans(4, {{0, 1}, {1, 2}, {3, 4}}, B::Contiguous, false), (std::vector<Span>{{0, 2}, {2, 3}, {3, 4}}));
}

TEST(TokAddedTokens, LeftmostLongestAndStrip) {
  AddedTokenMatcher m;
  m.add({"<im>", 1});
  m.add({"<image>", 2});
  AddedToken r{"[R]", 3};
  r.lstrip = r.rstrip = true;
  m.add(r);
  auto segs = m.split("x<image><im>y  [R]  z");
  std::vector<int64_t> ids;
  std::vector<std::string> text;
  const std::string s = "x<image><im>y  [R]  z";
  for (auto& g : segs) {
    ids.push_back(g.id);
    text.push_back(s.substr(g.begin, g.end - g.begin));
  }
  EXPECT_EQ(ids, (std::vector<int64_t>{-1, 2, 1, -1, 3, -1}));
  EXPECT_EQ(text, (std::vector<std::string>{"x", "<image>", "<im>", "y", "  [R]  ", "z"}));
}

TEST(TokBpe, MergesByRankAndFallsBackToBytes) {
  BpeModel::Vocab v = {{"a", 0}, {"b", 1}, {"ab", 2}, {"bb", 3}, {"abb", 4}, {"<0xC3>", 5}, {"<0xA9>", 6}};
  BpeOptions o;
  o.byte_fallback = true;
  BpeModel m(v, {{"b", "b"}, {"a", "b"}, {"a", "bb"}}, o, "test");
  std::vector<int64_t> out;
  m.encode_word("abb", out);  // "b b" ranks first: a + bb -> abb
  EXPECT_EQ(out, (std::vector<int64_t>{4}));
  out.clear();
  m.encode_word("abé", out);
  EXPECT_EQ(out, (std::vector<int64_t>{2, 5, 6}));
  out.clear();
  m.encode_word(std::string(50000, 'b'), out);  // long words stay fast (heap, not quadratic)
  EXPECT_EQ(out.size(), 25000u);
}

TEST(TokHf, MetaspaceByteFallbackPipeline) {
  // A small SentencePiece-converted tokenizer.json: Metaspace pre-tokenizer (prepend "first"),
  // byte fallback, TemplateProcessing BOS, and the Llama decoder chain.
  auto j = nlohmann::json::parse(R"({
    "added_tokens": [{"id": 0, "content": "<s>", "special": true, "normalized": false},
                     {"id": 9, "content": "<x>", "special": false, "normalized": false}],
    "normalizer": null,
    "pre_tokenizer": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": false},
    "post_processor": {"type": "TemplateProcessing",
      "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
      "special_tokens": {"<s>": {"id": "<s>", "ids": [0], "tokens": ["<s>"]}}},
    "decoder": {"type": "Sequence", "decoders": [
      {"type": "Replace", "pattern": {"String": "▁"}, "content": " "},
      {"type": "ByteFallback"}, {"type": "Fuse"}, {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
    "model": {"type": "BPE", "byte_fallback": true, "fuse_unk": true, "unk_token": "<unk>",
      "vocab": {"<s>": 0, "<unk>": 1, "▁": 2, "h": 3, "i": 4, "▁h": 5, "▁hi": 6, "<0xC3>": 7, "<0xA9>": 8, "<x>": 9},
      "merges": ["▁ h", "▁h i"]}
  })");
  auto t = HfTokenizer::from_json(j, {}, "inline");
  EXPECT_EQ(t->encode("hi hi"), (std::vector<int64_t>{0, 6, 6}));
  EXPECT_EQ(t->encode("hi<x>hi", false), (std::vector<int64_t>{6, 9, 3, 4}));  // no "▁" after an added token
  EXPECT_EQ(t->encode("é", false), (std::vector<int64_t>{2, 7, 8}));
  EXPECT_EQ(t->decode({0, 6, 6, 2, 7, 8}), "hi hi é");
  EXPECT_EQ(t->decode({6, 7}), "hi\xEF\xBF\xBD");
  EXPECT_EQ(t->bos_id(), 0);
}
