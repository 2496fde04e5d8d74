// OCR through Tesseract: large printed text is read back with its word boxes, and an
// image without text (blank, or too small to hold a glyph) gives an empty result.
#include <gtest/gtest.h>

#include "image/image.h"
#include "image/overlay_text.h"
#include "ocr/text_reader.h"
#include "util/error.h"

using namespace argus;

namespace {

image::Image white(int w, int h) {
  image::Image im = image::make_image(w, h);
  std::fill(im.pixels.begin(), im.pixels.end(), 255);
  return im;
}

}  // namespace

TEST(TextReader, ReadsPrintedText) {
  image::Image im = white(420, 120);
  image::draw_text(im, 20, 30, "HELLO 42", {0, 0, 0}, {255, 255, 255}, 6);
  ocr::TextReader reader;
  auto r = reader.read(im);
  EXPECT_EQ(r.text, "HELLO 42");
  ASSERT_EQ(r.words.size(), 2u);
  EXPECT_EQ(r.words[0].text, "HELLO");
  // The first word's box starts where it was drawn (after the one-font-pixel margin).
  EXPECT_NEAR(r.words[0].box[0], 20, 8);
  EXPECT_NEAR(r.words[0].box[1], 30, 8);
  EXPECT_LT(r.words[0].box[2], r.words[1].box[0]);
}

TEST(TextReader, FindsNothingInEmptyImages) {
  ocr::TextReader reader;
  EXPECT_TRUE(reader.read(white(200, 100)).text.empty());
  EXPECT_TRUE(reader.read(white(200, 100)).words.empty());
  EXPECT_TRUE(reader.read(white(3, 2)).text.empty());
}

TEST(TextReader, NamesTheMissingModelPackage) {
  try {
    ocr::TextReader reader("xyz");
    FAIL() << "a missing language model was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("tesseract-ocr-xyz"), std::string::npos) << e.what();
  }
}
