// The closed-vocabulary BPE trainer: every training word must come out as one token
// through the normal tokenizer loaders, and arbitrary text must still round-trip.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "../common/temp_dir.h"

#include "text/bpe_trainer.h"
#include "text/tokenizer.h"

namespace fs = std::filesystem;
using namespace argus::text;

namespace {
const std::vector<std::string> kWords = {"red", "circle", "circles", "green", "square", "is", "there", "a",
                                         "yes", "no", "USER", "ASSISTANT", "3", "?", ":", "."};
}  // namespace

TEST(BpeTrainer, ClipFilesMakeEveryWordOneToken) {
  std::string dir = argus::test::fresh_temp_dir("bpe_clip");
  write_clip_bpe(train_clip_bpe(kWords), dir);
  auto tok = load_tokenizer(dir);
  auto ids = tok->encode("a red circle is there", true);
  ASSERT_EQ(ids.size(), 7u);  // <|startoftext|> 5 words <|endoftext|>
  EXPECT_EQ(tok->tokens({ids[2]})[0], "red</w>");
  EXPECT_EQ(tok->tokens({ids[3]})[0], "circle</w>");
  EXPECT_EQ(tok->decode(ids), "a red circle is there");
  // A word it never saw still tokenizes (byte symbols) and decodes.
  EXPECT_EQ(tok->decode(tok->encode("zebra", true)), "zebra");
  fs::remove_all(dir);
}

TEST(BpeTrainer, ByteLevelTokenizerKeepsWordsWholeAndSpecialsAtomic) {
  std::string dir = argus::test::fresh_temp_dir("bpe_bl");
  auto j = byte_level_tokenizer_json(kWords, {"<unk>", "<s>", "</s>", "<pad>", "<image>"});
  std::ofstream(dir + "/tokenizer.json") << j.dump();
  auto tok = load_tokenizer(dir);
  std::string text = "USER: <image>\nis there a red circle? ASSISTANT: yes</s>";
  auto ids = tok->encode(text, false);
  std::vector<std::string> expect = {"USER", ":", "Ġ", "<image>", "Ċ", "is", "Ġthere", "Ġa", "Ġred", "Ġcircle",
                                     "?", "ĠASSISTANT", ":", "Ġyes", "</s>"};
  EXPECT_EQ(tok->tokens(ids), expect);
  EXPECT_EQ(tok->token_to_id("<image>"), 4);
  EXPECT_EQ(tok->token_to_id("</s>"), 2);
  EXPECT_EQ(tok->decode(ids, false), text);
  EXPECT_EQ(tok->decode(tok->encode("zebras 42!", false)), "zebras 42!");
  fs::remove_all(dir);
}
