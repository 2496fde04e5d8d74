// Prompt plumbing for LLaVA and the chat commands: image-token expansion and the
// streamed text with stop strings.
#include <gtest/gtest.h>

#include "parity.h"
#include "tasks/chat/image_tokens.h"
#include "tasks/chat/text_stream.h"
#include "text/tokenizer.h"
#include "util/error.h"

using namespace argus;
using tasks::expand_image_tokens;

namespace {
constexpr int64_t I = 1000;
std::vector<int64_t> slots(int64_t n) { return std::vector<int64_t>(n, I); }
std::vector<int64_t> cat(std::vector<std::vector<int64_t>> parts) {
  std::vector<int64_t> out;
  for (auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}
}  // namespace

TEST(LlavaPrompt, OneTokenPerImageIsExpandedAndExpandedRunsAreKept) {
  auto e = expand_image_tokens({1, I, 5}, I, 3);
  EXPECT_EQ(e.ids, cat({{1}, slots(3), {5}}));
  EXPECT_EQ(e.images, 1);
  e = expand_image_tokens(cat({{1}, slots(3), {5}}), I, 3);
  EXPECT_EQ(e.ids, cat({{1}, slots(3), {5}}));
  EXPECT_EQ(e.images, 1);
  // Two images, either way, and mixed forms in one prompt.
  EXPECT_EQ(expand_image_tokens({I, I}, I, 3).images, 2);
  EXPECT_EQ(expand_image_tokens({I, I}, I, 3).ids, slots(6));
  EXPECT_EQ(expand_image_tokens(slots(6), I, 3).images, 2);
  e = expand_image_tokens(cat({{I, 7}, slots(3), {8, I}}), I, 3);
  EXPECT_EQ(e.images, 3);
  EXPECT_EQ(e.ids, cat({slots(3), {7}, slots(3), {8}, slots(3)}));
  EXPECT_EQ(expand_image_tokens({1, 2, 3}, I, 3).images, 0);
  // The fixture's form: 576 slots are one image.
  EXPECT_EQ(expand_image_tokens(cat({{1, 2}, slots(576), {3}}), I, 576).images, 1);
}

TEST(LlavaPrompt, ARunThatIsNeitherFormIsAnError) {
  try {
    expand_image_tokens(cat({{1}, slots(4)}), I, 3);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("a run of 4 image tokens"), std::string::npos) << e.what();
  }
}

TEST(LlavaPrompt, TextStreamJoinsToTheDecodeAndCutsAtStopStrings) {
  auto tok = text::load_tokenizer(test::fixture("llava"));
  std::vector<int64_t> ids = tok->encode("The cat sat on the mat. STOP and more text", false);
  std::string full = tok->decode(ids);
  {
    tasks::TextStream s(*tok, {});
    std::string joined;
    for (int64_t id : ids) joined += s.push(id);
    joined += s.finish();
    EXPECT_EQ(joined, full);
    EXPECT_FALSE(s.stopped());
  }
  {
    tasks::TextStream s(*tok, {"STOP"});
    std::string joined;
    size_t pushed = 0;
    for (int64_t id : ids) {
      std::string piece = s.push(id);
      // No piece of the stop string ever leaks out before it completes.
      EXPECT_EQ(piece.find("ST"), std::string::npos) << piece;
      joined += piece;
      ++pushed;
      if (s.stopped()) break;
    }
    joined += s.finish();
    EXPECT_TRUE(s.stopped());
    EXPECT_LT(pushed, ids.size());
    EXPECT_EQ(joined, full.substr(0, full.find("STOP")));
    EXPECT_EQ(s.text(), joined);
  }
}
