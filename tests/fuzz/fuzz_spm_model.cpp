// libFuzzer target: the native SentencePiece model reader (text/spm_model.h) on arbitrary bytes.
// A bad model must be refused with argus::Error; a model that parses must encode text and map
// ids back to pieces without crashing (any other exception, a crash or an over-read is a bug).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "text/spm_model.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  argus::text::SpmModel model;
  try {
    model = argus::text::SpmModel::from_bytes(bytes, "fuzz");
  } catch (const argus::Error&) {
    return 0;
  }
  static const char* const kTexts[] = {
      "Hello world", "  leading and  double  spaces ", "caf\xC3\xA9 \xE4\xBD\xA0\xE5\xA5\xBD \xF0\x9F\x98\x80",
      "\xEF\xBC\xA1\xEF\xBC\xA2 \xE2\x91\xA0 \xEF\xAC\x81", "123 4567", "\xE2\x96\x81<s>\t\n", ""};
  for (const char* t : kTexts) {
    try {
      for (int id : model.encode(t)) (void)model.id_to_piece(id);
      (void)model.encode(t, false);
    } catch (const argus::Error&) {
      // a broken charsmap may refuse at encode time
    }
  }
  (void)model.bos_id();
  (void)model.eos_id();
  (void)model.pad_id();
  (void)model.unk_id();
  return 0;
}
