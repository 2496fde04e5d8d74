// Reading the text in an image (OCR) with Tesseract (libtesseract, Debian's
// tesseract-ocr-eng model), as the survey's agents do. Tesseract's headers stay in
// text_reader.cpp: this header is all the rest of argus sees.
#pragma once
#include <array>
#include <memory>
#include <string>
#include <vector>

#include "image/image.h"

namespace argus::ocr {

struct Word {
  std::string text;
  float confidence = 0;       // 0..100, Tesseract's
  std::array<int, 4> box{};   // x0, y0, x1, y1 in the image's pixels
};

struct TextResult {
  std::string text;          // the page's text, lines joined by '\n', trimmed
  std::vector<Word> words;   // in reading order
};

class TextReader {
 public:
  // Loads the language model (`language`, e.g. "eng") from Tesseract's data directory;
  // an argus::Error saying which package to install when it is missing.
  explicit TextReader(const std::string& language = "eng");
  ~TextReader();
  TextReader(const TextReader&) = delete;
  TextReader& operator=(const TextReader&) = delete;

  // An image too small to hold a glyph, or one with no text, gives an empty result.
  TextResult read(const image::Image& img);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace argus::ocr
