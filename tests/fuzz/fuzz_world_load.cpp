// libFuzzer target: reading a generated world's split back never crashes, whatever the
// JSON files hold. The first byte picks the file the rest of the input becomes; the other
// files are valid and empty.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "../common/temp_dir.h"
#include "util/error.h"
#include "world/load.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string dir = argus::test::process_temp_dir("fuzz_world");  // removed at exit
  static const char* files[] = {"instances.json", "captions.json", "refs.json",
                                "vqa.json",       "pope.json",     "llava_instruct.json"};
  static const char* empty[] = {R"({"images":[],"annotations":[],"categories":[]})", R"({"annotations":[]})", "[]",
                                "[]", "[]", "[]"};
  if (size < 1) return 0;
  const size_t pick = data[0] % 6;
  for (size_t i = 0; i < 6; ++i) {
    std::ofstream out(dir + "/" + files[i], std::ios::binary | std::ios::trunc);
    if (i == pick)
      out.write(reinterpret_cast<const char*>(data + 1), static_cast<std::streamsize>(size - 1));
    else
      out << empty[i];
  }
  try {
    auto split = argus::world::load_split(dir);
    for (const auto& a : split.annotations) (void)argus::world::decode_mask(a);
  } catch (const argus::Error&) {
  }
  return 0;
}
