// libFuzzer target: the safetensors header parser must reject or accept any byte
// string without crashing, reading out of bounds or leaking.
#include <cstddef>
#include <cstdint>

#include "io/safetensors.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    auto h = argus::io::parse_safetensors(data, size);
    volatile uint8_t sink = 0;
    for (const auto& t : h.tensors)
      if (t.nbytes()) sink ^= t.data[t.nbytes() - 1];  // every exposed byte must be in range
  } catch (const argus::Error&) {
  }
  return 0;
}
