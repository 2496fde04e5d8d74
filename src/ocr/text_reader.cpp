#include "ocr/text_reader.h"

#include <tesseract/baseapi.h>
#include <tesseract/resultiterator.h>

#include "util/error.h"

namespace argus::ocr {

struct TextReader::Impl {
  tesseract::TessBaseAPI api;
};

namespace {

std::string trimmed(std::string s) {
  const auto b = s.find_first_not_of(" \t\r\n"), e = s.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

// Tesseract hands out new[]-allocated strings.
std::string take(char* s) {
  std::string out = s ? s : "";
  delete[] s;
  return out;
}

}  // namespace

TextReader::TextReader(const std::string& language) : impl_(std::make_unique<Impl>()) {
  // Tesseract's own diagnostics would go to stderr on every page: off.
  if (impl_->api.Init(nullptr, language.c_str(), tesseract::OEM_LSTM_ONLY) != 0)
    fail("OCR needs Tesseract's \"{}\" model (Debian: tesseract-ocr-{}), which is not installed", language, language);
  impl_->api.SetVariable("debug_file", "/dev/null");
  impl_->api.SetPageSegMode(tesseract::PSM_AUTO);
}

TextReader::~TextReader() { impl_->api.End(); }

TextResult TextReader::read(const image::Image& img) {
  TextResult r;
  // Tesseract refuses (with a message) images too small to scale; they hold no text.
  if (img.width < 8 || img.height < 8) return r;
  auto& api = impl_->api;
  api.SetImage(img.pixels.data(), img.width, img.height, 3, 3 * img.width);
  api.SetSourceResolution(70);  // images carry no DPI; Tesseract's own fallback, without its warning
  if (api.Recognize(nullptr) != 0) fail("OCR failed on this image");
  r.text = trimmed(take(api.GetUTF8Text()));
  std::unique_ptr<tesseract::ResultIterator> it(api.GetIterator());
  if (it) {
    do {
      std::string word = trimmed(take(it->GetUTF8Text(tesseract::RIL_WORD)));
      if (word.empty()) continue;
      Word w;
      w.text = word;
      w.confidence = it->Confidence(tesseract::RIL_WORD);
      it->BoundingBox(tesseract::RIL_WORD, &w.box[0], &w.box[1], &w.box[2], &w.box[3]);
      r.words.push_back(std::move(w));
    } while (it->Next(tesseract::RIL_WORD));
  }
  api.Clear();
  return r;
}

}  // namespace argus::ocr
