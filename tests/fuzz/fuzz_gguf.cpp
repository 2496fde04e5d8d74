// libFuzzer target: the GGUF reader must reject or accept any byte string without
// crashing, reading out of bounds or allocating without bound; every tensor it accepts
// must lie inside the input and decode.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "io/gguf.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    auto h = argus::io::parse_gguf(data, size);
    std::vector<float> out;
    for (const auto& t : h.tensors) {
      if (t.numel() > (1 << 16)) continue;  // decoding is linear; keep runs fast
      out.resize(static_cast<size_t>(t.numel()));
      argus::io::dequantize(t.type, t.data, t.numel(), out.data());
    }
  } catch (const argus::Error&) {
  }
  return 0;
}
