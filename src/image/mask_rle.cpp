#include "image/mask_rle.h"

#include "util/error.h"

namespace argus::image {

std::vector<uint32_t> rle_runs(const uint8_t* mask, int height, int width) {
  std::vector<uint32_t> runs;
  uint8_t current = 0;  // the first run counts background, possibly zero long
  uint32_t length = 0;
  for (int x = 0; x < width; ++x) {
    for (int y = 0; y < height; ++y) {
      uint8_t v = mask[static_cast<size_t>(y) * width + x] ? 1 : 0;
      if (v != current) {
        runs.push_back(length);
        current = v;
        length = 0;
      }
      ++length;
    }
  }
  runs.push_back(length);
  return runs;
}

std::string rle_compress(const std::vector<uint32_t>& runs) {
  std::string out;
  for (size_t i = 0; i < runs.size(); ++i) {
    int64_t x = runs[i];
    if (i > 2) x -= static_cast<int64_t>(runs[i - 2]);
    bool more = true;
    while (more) {
      int64_t c = x & 0x1f;
      x >>= 5;  // arithmetic shift: negative deltas keep their sign
      // Stop once the remaining value is all sign bits and the chunk's top bit agrees.
      more = (c & 0x10) ? x != -1 : x != 0;
      if (more) c |= 0x20;
      out.push_back(static_cast<char>(c + 48));
    }
  }
  return out;
}

MaskRle rle_encode(const uint8_t* mask, int height, int width) {
  return {height, width, rle_compress(rle_runs(mask, height, width))};
}

std::vector<uint32_t> rle_decompress(const std::string& counts) {
  std::vector<uint32_t> runs;
  size_t p = 0;
  while (p < counts.size()) {
    int64_t x = 0;
    int shift = 0;
    bool more = true;
    while (more) {
      if (p >= counts.size()) fail("RLE counts string ends inside a number");
      int c = static_cast<unsigned char>(counts[p++]) - 48;
      if (c < 0 || c > 63) fail("RLE counts string has an invalid character at {}", p - 1);
      if (shift > 55) fail("RLE count too large");
      x |= static_cast<int64_t>(c & 0x1f) << shift;
      more = c & 0x20;
      shift += 5;
      if (!more && (c & 0x10)) x |= -(int64_t{1} << shift);
    }
    if (runs.size() > 2) x += runs[runs.size() - 2];
    if (x < 0 || x > UINT32_MAX) fail("RLE count out of range");
    runs.push_back(static_cast<uint32_t>(x));
  }
  return runs;
}

std::vector<uint8_t> rle_decode(const MaskRle& rle) {
  if (rle.height < 0 || rle.width < 0) fail("RLE size is negative");
  const uint64_t total = static_cast<uint64_t>(rle.height) * static_cast<uint64_t>(rle.width);
  auto runs = rle_decompress(rle.counts);
  uint64_t sum = 0;
  for (auto r : runs) sum += r;
  if (sum != total) fail("RLE runs cover {} pixels, the mask has {}", sum, total);
  std::vector<uint8_t> mask(total, 0);
  uint64_t pos = 0;
  uint8_t v = 0;
  for (auto r : runs) {
    for (uint32_t i = 0; i < r; ++i, ++pos) {
      uint64_t x = pos / rle.height, y = pos % rle.height;
      mask[y * rle.width + x] = v;
    }
    v ^= 1;
  }
  return mask;
}

}  // namespace argus::image
