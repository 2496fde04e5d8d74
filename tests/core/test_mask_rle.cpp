#include <gtest/gtest.h>

#include <random>

#include "image/mask_rle.h"
#include "util/error.h"

using namespace argus;

namespace {

// An independent reading of pycocotools' string form, written from its spec, so the
// encoder is checked against something it did not produce.
std::vector<uint8_t> reference_decode(const std::string& s, int h, int w) {
  std::vector<long> cnts;
  size_t p = 0;
  while (p < s.size()) {
    long x = 0;
    int k = 0;
    int c;
    do {
      c = s[p++] - 48;
      x |= static_cast<long>(c & 0x1f) << (5 * k);
      ++k;
    } while (c & 0x20);
    if (c & 0x10) x |= -(1L << (5 * k));  // sign-extend (shifting -1 left is UB)
    if (cnts.size() > 2) x += cnts[cnts.size() - 2];
    cnts.push_back(x);
  }
  std::vector<uint8_t> m(static_cast<size_t>(h) * w, 0);
  long idx = 0;
  for (size_t i = 0; i < cnts.size(); ++i)
    for (long j = 0; j < cnts[i]; ++j, ++idx)
      if (i % 2) m[(idx % h) * w + idx / h] = 1;
  EXPECT_EQ(idx, static_cast<long>(h) * w);
  return m;
}

}  // namespace

TEST(MaskRle, HandComputedCases) {
  std::vector<uint8_t> full(4, 1), empty(6, 0);
  EXPECT_EQ(image::rle_encode(full.data(), 2, 2).counts, "04");
  EXPECT_EQ(image::rle_encode(empty.data(), 2, 3).counts, "6");
  // Row-major 2x3 [[0,1,0],[0,1,1]]: column-major order is 0,0,1,1,0,1 -> runs 2,2,1,1.
  std::vector<uint8_t> m = {0, 1, 0, 0, 1, 1};
  EXPECT_EQ(image::rle_runs(m.data(), 2, 3), (std::vector<uint32_t>{2, 2, 1, 1}));
  // Fourth count is stored as 1 - 2 = -1: one 5-bit group 0x1f -> 'O'.
  EXPECT_EQ(image::rle_encode(m.data(), 2, 3).counts, std::string("22") + "1" + "O");
}

TEST(MaskRle, RandomMasksRoundTripThroughAnIndependentDecoder) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 200; ++trial) {
    int h = 1 + rng() % 70, w = 1 + rng() % 70;
    // Blobs of varying density give runs from 1 to thousands of pixels.
    std::vector<uint8_t> mask(static_cast<size_t>(h) * w);
    double p = (rng() % 100) / 100.0;
    uint8_t v = 0;
    for (auto& b : mask) {
      if ((rng() % 1000) / 1000.0 < p * 0.2) v ^= 1;
      b = v;
    }
    auto rle = image::rle_encode(mask.data(), h, w);
    ASSERT_EQ(reference_decode(rle.counts, h, w), mask) << h << "x" << w;
    ASSERT_EQ(image::rle_decode(rle), mask);
  }
}

TEST(MaskRle, LongRunsNeedSeveralGroups) {
  std::vector<uint8_t> mask(1000 * 1000, 0);
  for (int y = 0; y < 1000; ++y)
    for (int x = 500; x < 1000; ++x) mask[y * 1000 + x] = 1;
  auto rle = image::rle_encode(mask.data(), 1000, 1000);
  EXPECT_EQ(image::rle_decompress(rle.counts), (std::vector<uint32_t>{500000, 500000}));
  EXPECT_EQ(reference_decode(rle.counts, 1000, 1000), mask);
}

TEST(MaskRle, MalformedStringsAreErrors) {
  EXPECT_THROW(image::rle_decompress("0\x7f"), Error);  // out of the alphabet
  EXPECT_THROW(image::rle_decompress("P"), Error);      // continuation bit, then nothing
  EXPECT_THROW(image::rle_decode({2, 2, "03"}), Error);  // covers 3 of 4 pixels
  EXPECT_THROW(image::rle_decode({2, 2, "05"}), Error);  // covers 5 of 4 pixels
}
