// libFuzzer target: the torch.save pickle machine must accept or reject any byte string
// without crashing, reading out of bounds or leaking (memo references may nest a
// container in itself).
#include <cstddef>
#include <cstdint>

#include "io/torch_pickle.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    auto doc = argus::io::pickle::parse(data, size, "fuzz");
    volatile size_t sink = doc.values.size();
    (void)sink;
  } catch (const argus::Error&) {
  }
  return 0;
}
