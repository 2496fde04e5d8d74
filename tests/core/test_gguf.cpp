#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <limits>

#include "io/gguf.h"
#include "util/error.h"
#include "../common/error_of.h"
#include "../common/gguf_writer.h"
#include "../common/temp_dir.h"

using namespace argus;
using namespace argus::io;
using argus::test::GgufWriter;

namespace {

// float16 bit patterns of exactly representable scales, written out by hand so the
// block encoders below do not depend on argus's converter.
constexpr uint16_t kHalfQuarter = 0x3400;   // 0.25
constexpr uint16_t kHalfHalf = 0x3800;      // 0.5
constexpr uint16_t kHalfEighth = 0x3000;    // 0.125
constexpr uint16_t kHalfMinusOne = 0xBC00;  // -1.0

std::string half_bytes(uint16_t h) { return {static_cast<char>(h & 0xFF), static_cast<char>(h >> 8)}; }

GgufHeader parse(const std::string& b) { return parse_gguf(reinterpret_cast<const uint8_t*>(b.data()), b.size()); }

std::string error_of(const std::string& b) {
  try {
    parse(b);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

std::vector<float> decode(GgmlType t, const std::string& bytes, int64_t n) {
  std::vector<float> out(static_cast<size_t>(n));
  dequantize(t, reinterpret_cast<const uint8_t*>(bytes.data()), n, out.data());
  return out;
}

TEST(GgmlTypes, HalfAndBf16Conversion) {
  EXPECT_EQ(half_to_float(0x3C00), 1.0f);
  EXPECT_EQ(half_to_float(0xC000), -2.0f);
  EXPECT_EQ(half_to_float(0x7BFF), 65504.0f);
  EXPECT_EQ(half_to_float(0x0001), std::ldexp(1.0f, -24));  // smallest subnormal
  EXPECT_EQ(half_to_float(0x0200), std::ldexp(1.0f, -15));  // a subnormal with the top mantissa bit
  EXPECT_TRUE(std::isinf(half_to_float(0x7C00)));
  EXPECT_TRUE(std::isnan(half_to_float(0x7E00)));
  EXPECT_TRUE(std::signbit(half_to_float(0x8000)));
  EXPECT_EQ(bf16_to_float(0x3F80), 1.0f);
  EXPECT_EQ(bf16_to_float(0xC0A0), -5.0f);
}

TEST(GgmlTypes, Q4_0BlockDecodesToScaledOffsetNibbles) {
  // value j and j+16 share byte j: j in the low nibble, j+16 in the high one; q - 8.
  int q[32];
  for (int i = 0; i < 32; ++i) q[i] = (i * 5 + 3) % 16;
  std::string b = half_bytes(kHalfHalf);
  for (int j = 0; j < 16; ++j) b += static_cast<char>(q[j] | (q[j + 16] << 4));
  auto y = decode(GgmlType::Q4_0, b, 32);
  for (int i = 0; i < 32; ++i) EXPECT_EQ(y[i], 0.5f * (q[i] - 8)) << i;
}

TEST(GgmlTypes, Q4_1BlockAddsItsMinimum) {
  int q[32];
  for (int i = 0; i < 32; ++i) q[i] = (i * 7) % 16;
  std::string b = half_bytes(kHalfQuarter) + half_bytes(kHalfMinusOne);
  for (int j = 0; j < 16; ++j) b += static_cast<char>(q[j] | (q[j + 16] << 4));
  auto y = decode(GgmlType::Q4_1, b, 32);
  for (int i = 0; i < 32; ++i) EXPECT_EQ(y[i], 0.25f * q[i] - 1.0f) << i;
}

// Q5: bit i of a 32-bit little-endian word is the fifth bit of value i.
std::string q5_payload(const int* q) {
  uint32_t qh = 0;
  for (int i = 0; i < 32; ++i) qh |= static_cast<uint32_t>((q[i] >> 4) & 1) << i;
  std::string b;
  GgufWriter::put<uint32_t>(b, qh);
  for (int j = 0; j < 16; ++j) b += static_cast<char>((q[j] & 15) | ((q[j + 16] & 15) << 4));
  return b;
}

TEST(GgmlTypes, Q5_0AndQ5_1CarryTheFifthBitSeparately) {
  int q[32];
  for (int i = 0; i < 32; ++i) q[i] = (i * 11 + 1) % 32;
  auto y0 = decode(GgmlType::Q5_0, half_bytes(kHalfHalf) + q5_payload(q), 32);
  auto y1 = decode(GgmlType::Q5_1, half_bytes(kHalfQuarter) + half_bytes(kHalfMinusOne) + q5_payload(q), 32);
  for (int i = 0; i < 32; ++i) {
    EXPECT_EQ(y0[i], 0.5f * (q[i] - 16)) << i;
    EXPECT_EQ(y1[i], 0.25f * q[i] - 1.0f) << i;
  }
}

TEST(GgmlTypes, Q8_0BlockIsSignedBytesTimesScale) {
  std::string b = half_bytes(kHalfEighth);
  for (int i = 0; i < 32; ++i) b += static_cast<char>(static_cast<int8_t>(i * 8 - 128));
  b += half_bytes(kHalfHalf);  // a second block with another scale
  for (int i = 0; i < 32; ++i) b += static_cast<char>(static_cast<int8_t>(127 - i));
  auto y = decode(GgmlType::Q8_0, b, 64);
  for (int i = 0; i < 32; ++i) {
    EXPECT_EQ(y[i], 0.125f * (i * 8 - 128)) << i;
    EXPECT_EQ(y[32 + i], 0.5f * (127 - i)) << i;
  }
}

// The K formats' eight 6-bit scales and mins in 12 bytes: entries 0-3 whole in bytes
// 0-3 / 4-7, entries 4-7 split: low 4 bits in bytes 8-11, top 2 bits in the top of 0-7.
std::string k_scales(const int* sc, const int* mn) {
  uint8_t s[12] = {};
  for (int j = 0; j < 4; ++j) {
    s[j] = static_cast<uint8_t>(sc[j] | ((sc[j + 4] >> 4) << 6));
    s[j + 4] = static_cast<uint8_t>(mn[j] | ((mn[j + 4] >> 4) << 6));
    s[j + 8] = static_cast<uint8_t>((sc[j + 4] & 15) | ((mn[j + 4] & 15) << 4));
  }
  return std::string(reinterpret_cast<const char*>(s), 12);
}

struct KBlock {
  int sc[8], mn[8], q[256];
  explicit KBlock(int qmax) {
    for (int s = 0; s < 8; ++s) {
      sc[s] = (s * 9 + 5) % 64;
      mn[s] = (s * 13 + 40) % 64;  // entries >= 16 exercise the split top bits
    }
    for (int i = 0; i < 256; ++i) q[i] = (i * 37 + i / 7) % qmax;
  }
  float expected(int i) const { return 0.5f * sc[i / 32] * q[i] - 0.25f * mn[i / 32]; }
  // Sub-blocks 2k and 2k+1 share 32 bytes: 2k in the low nibbles, 2k+1 in the high.
  std::string nibbles() const {
    std::string b;
    for (int k = 0; k < 4; ++k)
      for (int l = 0; l < 32; ++l)
        b += static_cast<char>((q[64 * k + l] & 15) | ((q[64 * k + 32 + l] & 15) << 4));
    return b;
  }
};

TEST(GgmlTypes, Q4_KSuperBlockUsesSixBitScalesAndMins) {
  KBlock k(16);
  std::string b = half_bytes(kHalfHalf) + half_bytes(kHalfQuarter) + k_scales(k.sc, k.mn) + k.nibbles();
  ASSERT_EQ(b.size(), 144u);
  auto y = decode(GgmlType::Q4_K, b, 256);
  for (int i = 0; i < 256; ++i) EXPECT_EQ(y[i], k.expected(i)) << i;
}

TEST(GgmlTypes, Q5_KTakesFifthBitsFromItsHighPlane) {
  KBlock k(32);
  std::string qh(32, '\0');
  for (int s = 0; s < 8; ++s)  // bit s of byte l: the fifth bit of value 32*s + l
    for (int l = 0; l < 32; ++l) qh[l] = static_cast<char>(qh[l] | (((k.q[32 * s + l] >> 4) & 1) << s));
  std::string b = half_bytes(kHalfHalf) + half_bytes(kHalfQuarter) + k_scales(k.sc, k.mn) + qh + k.nibbles();
  ASSERT_EQ(b.size(), 176u);
  auto y = decode(GgmlType::Q5_K, b, 256);
  for (int i = 0; i < 256; ++i) EXPECT_EQ(y[i], k.expected(i)) << i;
}

TEST(GgmlTypes, Q6_KCombinesNibblesAndTwoBitPlanes) {
  int q[256];
  int8_t sc[16];
  for (int i = 0; i < 256; ++i) q[i] = (i * 29 + 3) % 64;
  for (int s = 0; s < 16; ++s) sc[s] = static_cast<int8_t>(s * 17 - 120);
  std::string ql(128, '\0'), qh(64, '\0');
  // Each half of 128 values: value 32r + l (r = 0..3, l < 32) keeps its low 4 bits in
  // ql[l] (r = 0, 2: low/high nibble) or ql[l + 32] (r = 1, 3) and its top 2 bits in
  // bits 2r, 2r+1 of qh[l].
  for (int h = 0; h < 2; ++h)
    for (int r = 0; r < 4; ++r)
      for (int l = 0; l < 32; ++l) {
        const int v = q[128 * h + 32 * r + l];
        const int byte = 64 * h + l + (r % 2) * 32;
        ql[byte] = static_cast<char>(ql[byte] | ((v & 15) << (r >= 2 ? 4 : 0)));
        qh[32 * h + l] = static_cast<char>(qh[32 * h + l] | ((v >> 4) << (2 * r)));
      }
  std::string b = ql + qh + std::string(reinterpret_cast<const char*>(sc), 16) + half_bytes(kHalfEighth);
  ASSERT_EQ(b.size(), 210u);
  auto y = decode(GgmlType::Q6_K, b, 256);
  for (int i = 0; i < 256; ++i) EXPECT_EQ(y[i], 0.125f * sc[i / 16] * (q[i] - 32)) << i;
}

TEST(GgmlTypes, PartialBlocksAndUnknownTypesAreRefused) {
  std::string b(34, '\0');
  float out[32];
  EXPECT_THROW(dequantize(GgmlType::Q8_0, reinterpret_cast<const uint8_t*>(b.data()), 31, out), Error);
  EXPECT_EQ(ggml_type_name(10), "Q2_K");
  EXPECT_EQ(ggml_type_name(23), "IQ4_XS");
  EXPECT_EQ(ggml_type_name(9999), "type 9999");
  EXPECT_EQ(ggml_type_info(10), nullptr);
}

std::string f32_bytes(const std::vector<float>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * 4);
}

GgufWriter small_model() {
  GgufWriter w;
  w.kv_string("general.architecture", "llama");
  w.kv_u32("llama.block_count", 2);
  w.kv_f32("llama.rope.freq_base", 10000.0f);
  w.kv_strings("tokenizer.ggml.tokens", {"<unk>", "a", "\xe2\x96\x81" "b"});
  std::string flag;
  GgufWriter::put<uint8_t>(flag, 1);
  w.kv_raw("tokenizer.ggml.add_bos_token", GgufWriter::BOOL, flag);
  w.tensor("token_embd.weight", {4, 3}, 0, f32_bytes({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}));
  std::string q8 = half_bytes(kHalfHalf) + std::string(32, '\x02');
  w.tensor("blk.0.attn_q.weight", {32, 1}, 8, q8);
  return w;
}

TEST(Gguf, ReadsMetadataTensorInfosAndData) {
  std::string bytes = small_model().bytes();
  GgufHeader h = parse(bytes);
  EXPECT_EQ(h.version, 3u);
  EXPECT_EQ(h.metadata.at("general.architecture"), "llama");
  EXPECT_EQ(h.metadata.at("llama.block_count"), 2);
  EXPECT_EQ(h.metadata.at("llama.rope.freq_base"), 10000.0);
  EXPECT_EQ(h.metadata.at("tokenizer.ggml.tokens")[2], "\xe2\x96\x81" "b");
  EXPECT_EQ(h.metadata.at("tokenizer.ggml.add_bos_token"), true);
  EXPECT_EQ(h.metadata.begin().key(), "general.architecture");  // file order is kept
  ASSERT_EQ(h.tensors.size(), 2u);
  const GgufTensor& e = h.tensors[0];
  EXPECT_EQ(e.shape(), (std::vector<int64_t>{3, 4}));  // ggml ne {4, 3} is a 3x4 matrix
  EXPECT_EQ(e.nbytes, 48u);
  EXPECT_EQ(h.data_start % 32, 0u);
  float v;
  std::memcpy(&v, e.data + 7 * 4, 4);
  EXPECT_EQ(v, 7.0f);
  const GgufTensor& q = h.tensors[1];
  EXPECT_EQ(q.type, GgmlType::Q8_0);
  EXPECT_EQ(q.nbytes, 34u);
  EXPECT_EQ(q.offset % 32, 0u);
  std::vector<float> y(32);
  dequantize(q.type, q.data, 32, y.data());
  EXPECT_EQ(y[31], 1.0f);
}

TEST(Gguf, HonoursACustomAlignmentAndVersion2) {
  GgufWriter w;
  w.set_alignment(64);
  w.tensor("a", {3}, 0, f32_bytes({1, 2, 3}));
  w.tensor("b", {2}, 0, f32_bytes({4, 5}));
  const std::string bytes = w.bytes(2);  // the tensors point into it
  GgufHeader h = parse(bytes);
  EXPECT_EQ(h.alignment, 64u);
  EXPECT_EQ(h.data_start % 64, 0u);
  EXPECT_EQ(h.tensors[1].offset, 64u);
  float v;
  std::memcpy(&v, h.tensors[1].data, 4);
  EXPECT_EQ(v, 4.0f);
}

TEST(Gguf, EveryTruncationIsAnErrorNotACrash) {
  std::string bytes = small_model().bytes();
  for (size_t n = 0; n < bytes.size(); ++n) EXPECT_FALSE(error_of(bytes.substr(0, n)).empty()) << n;
}

// Overwrites the 8 bytes at `at` with v.
std::string with_u64(std::string b, size_t at, uint64_t v) {
  std::memcpy(&b[at], &v, 8);
  return b;
}

TEST(Gguf, BadHeadersAreNamed) {
  std::string good = small_model().bytes();
  EXPECT_NE(error_of("GGML" + good.substr(4)).find("magic"), std::string::npos);
  std::string v1 = good;
  v1[4] = 1;
  EXPECT_NE(error_of(v1).find("version 1"), std::string::npos);
  std::string big = good;
  big[4] = 0;
  big[7] = 3;
  EXPECT_NE(error_of(big).find("big-endian"), std::string::npos);
  std::string v9 = good;
  v9[4] = 9;
  EXPECT_NE(error_of(v9).find("version 9"), std::string::npos);
  EXPECT_NE(error_of(with_u64(good, 8, uint64_t{1} << 63)).find("tensors but the file has"), std::string::npos);
  EXPECT_NE(error_of(with_u64(good, 16, ~uint64_t{0})).find("metadata entries"), std::string::npos);
}

TEST(Gguf, AbsurdStringsArraysAndValuesAreRefused) {
  auto one_kv = [](uint32_t type, const std::string& payload) {
    GgufWriter w;
    w.kv_raw("k", type, payload);
    return w.bytes();
  };
  std::string huge_len;
  GgufWriter::put<uint64_t>(huge_len, uint64_t{1} << 40);
  EXPECT_NE(error_of(one_kv(GgufWriter::STRING, huge_len)).find("limit"), std::string::npos);
  std::string arr;
  GgufWriter::put<uint32_t>(arr, GgufWriter::U32);
  GgufWriter::put<uint64_t>(arr, 1000);
  EXPECT_NE(error_of(one_kv(GgufWriter::ARRAY, arr)).find("claims 1000 elements"), std::string::npos);
  std::string bad_elem;
  GgufWriter::put<uint32_t>(bad_elem, 77);
  GgufWriter::put<uint64_t>(bad_elem, 1);
  EXPECT_NE(error_of(one_kv(GgufWriter::ARRAY, bad_elem)).find("unknown type 77"), std::string::npos);
  EXPECT_NE(error_of(one_kv(GgufWriter::BOOL, "\x02")).find("bool of value 2"), std::string::npos);
  EXPECT_NE(error_of(one_kv(42, "")).find("unknown value type 42"), std::string::npos);
  std::string nested;  // arrays of arrays nested past the limit
  for (int i = 0; i < 6; ++i) {
    GgufWriter::put<uint32_t>(nested, GgufWriter::ARRAY);
    GgufWriter::put<uint64_t>(nested, 1);
  }
  nested.append(12, '\0');
  EXPECT_NE(error_of(one_kv(GgufWriter::ARRAY, nested)).find("deeper"), std::string::npos);
  GgufWriter dup;
  dup.kv_u32("a", 1);
  dup.kv_u32("a", 2);
  EXPECT_NE(error_of(dup.bytes()).find("\"a\" appears twice"), std::string::npos);
  GgufWriter align;
  align.set_alignment(48);
  EXPECT_NE(error_of(align.bytes()).find("power of two"), std::string::npos);
}

TEST(Gguf, BadTensorInfosAreNamed) {
  auto one_tensor = [](const std::vector<uint64_t>& ne, uint32_t type, size_t data_bytes) {
    GgufWriter w;
    w.tensor("w", ne, type, std::string(data_bytes, '\0'));
    return error_of(w.bytes());
  };
  EXPECT_NE(one_tensor({32}, 10, 84).find("Q2_K, which argus does not read"), std::string::npos);
  EXPECT_NE(one_tensor({1, 1, 1, 1, 1}, 0, 4).find("5 dimensions"), std::string::npos);
  EXPECT_NE(one_tensor({4, 0}, 0, 0).find("dimension 1 = 0"), std::string::npos);
  EXPECT_NE(one_tensor({uint64_t{1} << 40, uint64_t{1} << 20}, 0, 4).find("2^48"), std::string::npos);
  EXPECT_NE(one_tensor({33}, 8, 34).find("not whole Q8_0 blocks"), std::string::npos);
  EXPECT_NE(one_tensor({16}, 0, 60).find("runs past the end"), std::string::npos);

  GgufWriter dup;
  dup.tensor("w", {1}, 0, std::string(4, '\0'));
  dup.tensor("w", {1}, 0, std::string(4, '\0'));
  EXPECT_NE(error_of(dup.bytes()).find("\"w\" appears twice"), std::string::npos);

  // Two infos pointing at the same bytes, and one off the alignment grid.
  GgufWriter two;
  two.tensor("a", {8}, 0, std::string(32, '\0'));
  two.tensor("b", {8}, 0, std::string(32, '\0'));
  std::string bytes = two.bytes();
  const size_t b_offset = bytes.find(std::string("\x01\x00\x00\x00\x00\x00\x00\x00" "b", 9)) + 9 + 4 + 8 + 4;
  EXPECT_NE(error_of(with_u64(bytes, b_offset, 0)).find("overlap"), std::string::npos);
  EXPECT_NE(error_of(with_u64(bytes, b_offset, 4)).find("not a multiple of the alignment"), std::string::npos);
}

TEST(Gguf, FileLookupsNameTheKeyAndTheFile) {
  std::string dir = argus::test::fresh_temp_dir("test_gguf");
  std::string path = dir + "/m.gguf";
  std::ofstream(path, std::ios::binary) << small_model().bytes();
  auto f = GgufFile::open(path);
  EXPECT_EQ(f->meta_string("general.architecture"), "llama");
  EXPECT_EQ(f->meta_uint("llama.block_count"), 2u);
  EXPECT_EQ(f->meta_number("llama.rope.freq_base"), 10000.0);
  EXPECT_EQ(f->at("token_embd.weight").numel(), 12);
  auto msg = [](auto fn) { return argus::test::error_of(fn); };
  EXPECT_NE(msg([&] { f->meta_string("llama.context_length"); }).find("\"llama.context_length\" is missing"),
            std::string::npos);
  EXPECT_NE(msg([&] { f->meta_uint("general.architecture"); }).find("not a non-negative integer"), std::string::npos);
  EXPECT_NE(msg([&] { f->at("output.weight"); }).find("m.gguf: no tensor \"output.weight\""), std::string::npos);
  std::ofstream(dir + "/bad.gguf", std::ios::binary) << "GGUF\x03";
  EXPECT_NE(msg([&] { GgufFile::open(dir + "/bad.gguf"); }).find("bad.gguf: GGUF: file ends"), std::string::npos);
}

}  // namespace
