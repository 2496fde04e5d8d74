#include <memory>
#include <mutex>

#include <fmt/format.h>

#include "ocr/text_reader.h"
#include "tasks/agent/tools/tool_args.h"
#include "tasks/agent/tools/tools.h"

namespace argus::tasks::agent {

namespace {

// One Tesseract instance for the process, loaded on the first call (about 0.1 s);
// Tesseract's API object is not safe to share between threads, hence the lock.
ocr::TextResult read_text(const image::Image& img) {
  static std::mutex mu;
  static std::unique_ptr<ocr::TextReader> reader;
  std::lock_guard<std::mutex> lock(mu);
  if (!reader) reader = std::make_unique<ocr::TextReader>("eng");
  return reader->read(img);
}

}  // namespace

Tool ocr_tool() {
  Tool t;
  t.name = "ocr";
  t.description = "Reads the text in an image or crop (Tesseract OCR, English). Returns the text and each word "
                  "with its box and confidence.";
  t.parameters = object_schema({{"image", image_param()}}, {"image"});
  t.run = [](const nlohmann::json& args, ToolContext& ctx) {
    auto r = read_text(image_arg(args, ctx));
    ToolResult out;
    nlohmann::json words = nlohmann::json::array();
    for (const auto& w : r.words) words.push_back({{"text", w.text}, {"confidence", w.confidence}, {"box", w.box}});
    out.data = {{"text", r.text}, {"words", words}};
    out.text = r.text.empty() ? "no text found" : fmt::format("text: {}", r.text);
    return out;
  };
  return t;
}

}  // namespace argus::tasks::agent
