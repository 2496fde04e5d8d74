// libFuzzer target: base64 from API requests (data: URIs) never crashes, refuses
// what is not base64, and what it accepts re-encodes to the same bytes.
#include <cstddef>
#include <cstdint>
#include <algorithm>
#include <cstdlib>
#include <string_view>

#include "util/base64.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    auto bytes = argus::util::base64_decode(text, 1 << 20);
    auto again = argus::util::base64_decode(argus::util::base64_encode(bytes.data(), bytes.size()));
    if (again != bytes) std::abort();
  } catch (const argus::Error&) {
  }
  // Any bytes round-trip through encode/decode.
  auto round = argus::util::base64_decode(argus::util::base64_encode(data, size));
  if (round.size() != size || !std::equal(round.begin(), round.end(), data)) std::abort();
  return 0;
}
