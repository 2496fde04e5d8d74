// libFuzzer target: the hub's JSON answers, which come from whatever server HF_ENDPOINT
// names: the model-info body (commit + file list) and a sharded checkpoint's index.
// Besides never crashing, an accepted file name must stay inside the snapshot.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "hub/file_selection.h"
#include "hub/model_info.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const auto info = argus::hub::parse_model_info(text, "fuzz");
    if (info.commit.size() != 40) std::abort();
    for (const auto& name : info.files) {
      const std::filesystem::path p(name);
      if (name.empty() || p.is_absolute()) std::abort();
      for (const auto& part : p)
        if (part == "..") std::abort();
    }
    (void)argus::hub::select_files(info.files, {});
  } catch (const argus::Error&) {
  }
  try {
    (void)argus::hub::parse_shard_index(text, "fuzz");
  } catch (const argus::Error&) {
  }
  return 0;
}
