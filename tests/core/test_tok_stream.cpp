// Streaming detokenisation: only whole characters come out, and the pieces add up to decode().
#include <gtest/gtest.h>

#include "text/stream_decoder.h"
#include "text/tokenizer.h"
#include "text/utf8.h"

using namespace argus::text;

namespace {

const std::string kShared = ARGUS_SHARED_DIR;
const std::string kText = "emoji 😀🐶 and 多模态基础模型：从专家到通用助手 café → ≤ done";

void expect_streams_whole_text(const Tokenizer& tok, const std::string& text) {
  auto ids = tok.encode(text);
  StreamDecoder dec(tok);
  std::string all;
  int held_back = 0;
  for (int64_t id : ids) {
    std::string piece = dec.step(id);
    EXPECT_TRUE(is_valid_utf8(piece)) << "partial character emitted after id " << id;
    EXPECT_EQ(piece.find("\xEF\xBF\xBD"), std::string::npos) << "replacement character emitted after id " << id;
    if (piece.empty()) ++held_back;
    all += piece;
  }
  all += dec.flush();
  EXPECT_EQ(all, tok.decode(ids));
  EXPECT_GT(held_back, 0) << "the text should contain characters split across tokens";
}

}  // namespace

TEST(TokStream, ByteLevelBpe) {
  auto tok = load_tokenizer(kShared + "/fixtures/tokenizers/bbpe");
  expect_streams_whole_text(*tok, kText);
  EXPECT_EQ(tok->decode(tok->encode(kText)), kText);
}

TEST(TokStream, SentencePieceByteFallback) {
  auto tok = load_tokenizer(kShared + "/fixtures/tokenizers/spm");
  expect_streams_whole_text(*tok, kText);
  EXPECT_EQ(tok->decode(tok->encode(kText)), kText);
}

TEST(TokStream, Clip) {
  auto tok = load_tokenizer(kShared + "/fixtures/tokenizers/clip");
  expect_streams_whole_text(*tok, kText);
}

TEST(TokStream, KeepsSpacesBetweenTokens) {
  auto tok = load_tokenizer(kShared + "/fixtures/tokenizers/spm");
  auto ids = tok->encode("a photo of a cat");
  StreamDecoder dec(*tok);
  std::vector<std::string> pieces;
  for (int64_t id : ids) pieces.push_back(dec.step(id));
  std::string all;
  for (auto& p : pieces) all += p;
  EXPECT_EQ(all + dec.flush(), "a photo of a cat");
}

TEST(TokStream, UnfinishedCharacterIsFlushedAsReplacement) {
  auto tok = load_tokenizer(kShared + "/fixtures/tokenizers/spm");
  StreamDecoder dec(*tok);
  // <0xF0> <0x9F>: the first two bytes of a 4-byte character, then the stream ends.
  EXPECT_EQ(dec.step(tok->token_to_id("<0xF0>")), "");
  EXPECT_EQ(dec.step(tok->token_to_id("<0x9F>")), "");
  EXPECT_EQ(dec.flush(), "\xEF\xBF\xBD");
  // A garbage run of lead bytes does not grow without bound and never emits partial text.
  for (int i = 0; i < 300; ++i) EXPECT_TRUE(is_valid_utf8(dec.step(tok->token_to_id("<0xE5>"))));
  EXPECT_TRUE(is_valid_utf8(dec.flush()));
}
