#include "io/ggml_types.h"

#include <cstring>

#include "util/error.h"

namespace argus::io {

namespace {

constexpr int64_t kQK = 32;    // values per block of the original formats (Q4_0 ... Q8_0)
constexpr int64_t kQKK = 256;  // values per super-block of the K formats

constexpr GgmlTypeInfo kTypes[] = {
    {GgmlType::F32, "F32", 1, 4},
    {GgmlType::F16, "F16", 1, 2},
    {GgmlType::BF16, "BF16", 1, 2},
    // d (f16), 16 bytes of 4-bit quants
    {GgmlType::Q4_0, "Q4_0", kQK, 2 + 16},
    // d, m (f16), 16 bytes of 4-bit quants
    {GgmlType::Q4_1, "Q4_1", kQK, 2 + 2 + 16},
    // d (f16), 32 high bits, 16 bytes of low nibbles
    {GgmlType::Q5_0, "Q5_0", kQK, 2 + 4 + 16},
    // d, m (f16), 32 high bits, 16 bytes of low nibbles
    {GgmlType::Q5_1, "Q5_1", kQK, 2 + 2 + 4 + 16},
    // d (f16), 32 int8 quants
    {GgmlType::Q8_0, "Q8_0", kQK, 2 + 32},
    // d, dmin (f16), 12 bytes of 6-bit scales and mins, 128 bytes of 4-bit quants
    {GgmlType::Q4_K, "Q4_K", kQKK, 2 + 2 + 12 + 128},
    // as Q4_K plus 32 bytes of fifth bits
    {GgmlType::Q5_K, "Q5_K", kQKK, 2 + 2 + 12 + 32 + 128},
    // 128 bytes of low nibbles, 64 bytes of 2-bit highs, 16 int8 scales, d (f16)
    {GgmlType::Q6_K, "Q6_K", kQKK, 128 + 64 + 16 + 2},
};

uint16_t u16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }
float f16(const uint8_t* p) { return half_to_float(u16(p)); }

void dequant_q4_0(const uint8_t* b, float* y) {
  const float d = f16(b);
  const uint8_t* qs = b + 2;
  for (int j = 0; j < 16; ++j) {
    y[j] = static_cast<float>((qs[j] & 0x0F) - 8) * d;  // low nibbles: the first 16 values
    y[j + 16] = static_cast<float>((qs[j] >> 4) - 8) * d;
  }
}

void dequant_q4_1(const uint8_t* b, float* y) {
  const float d = f16(b), m = f16(b + 2);
  const uint8_t* qs = b + 4;
  for (int j = 0; j < 16; ++j) {
    y[j] = static_cast<float>(qs[j] & 0x0F) * d + m;
    y[j + 16] = static_cast<float>(qs[j] >> 4) * d + m;
  }
}

// Bit j of the 32-bit `qh` is the fifth bit of value j.
void dequant_q5(const uint8_t* qh_bytes, const uint8_t* qs, float d, float m, int offset, float* y) {
  uint32_t qh;
  std::memcpy(&qh, qh_bytes, 4);  // little-endian on every platform argus builds for
  for (int j = 0; j < 16; ++j) {
    const int lo = (qs[j] & 0x0F) | static_cast<int>(((qh >> j) & 1u) << 4);
    const int hi = (qs[j] >> 4) | static_cast<int>(((qh >> (j + 16)) & 1u) << 4);
    y[j] = static_cast<float>(lo - offset) * d + m;
    y[j + 16] = static_cast<float>(hi - offset) * d + m;
  }
}

void dequant_q8_0(const uint8_t* b, float* y) {
  const float d = f16(b);
  const auto* qs = reinterpret_cast<const int8_t*>(b + 2);
  for (int j = 0; j < 32; ++j) y[j] = static_cast<float>(qs[j]) * d;
}

// The K formats' 12 scale bytes hold eight 6-bit scales and eight 6-bit mins: entries
// 0-3 in the low 6 bits of bytes 0-3 (scales) and 4-7 (mins); entries 4-7 take their low
// 4 bits from bytes 8-11 (scale low nibble, min high nibble) and their top 2 bits from
// the top 2 bits of bytes 0-3 (scales) and 4-7 (mins).
void k_scale_min(int j, const uint8_t* q, int& sc, int& m) {
  if (j < 4) {
    sc = q[j] & 63;
    m = q[j + 4] & 63;
  } else {
    sc = (q[j + 4] & 0x0F) | ((q[j - 4] >> 6) << 4);
    m = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
  }
}

// Q4_K / Q5_K: eight sub-blocks of 32 values; value = d*scale*q - dmin*min. Quants come
// in 32-byte runs: the low nibbles are one sub-block, the high nibbles the next. Q5_K's
// fifth bits: bit 2k of qh[l] belongs to run k's low half, bit 2k+1 to its high half.
void dequant_k4(const uint8_t* b, const uint8_t* qh, float* y) {
  const float d = f16(b), dmin = f16(b + 2);
  const uint8_t* scales = b + 4;
  const uint8_t* qs = qh ? b + 16 + 32 : b + 16;
  for (int run = 0; run < 4; ++run) {
    int sc0, m0, sc1, m1;
    k_scale_min(2 * run, scales, sc0, m0);
    k_scale_min(2 * run + 1, scales, sc1, m1);
    const float d0 = d * static_cast<float>(sc0), min0 = dmin * static_cast<float>(m0);
    const float d1 = d * static_cast<float>(sc1), min1 = dmin * static_cast<float>(m1);
    for (int l = 0; l < 32; ++l) {
      int lo = qs[l] & 0x0F, hi = qs[l] >> 4;
      if (qh) {
        lo |= ((qh[l] >> (2 * run)) & 1) << 4;
        hi |= ((qh[l] >> (2 * run + 1)) & 1) << 4;
      }
      y[l] = d0 * static_cast<float>(lo) - min0;
      y[l + 32] = d1 * static_cast<float>(hi) - min1;
    }
    qs += 32;
    y += 64;
  }
}

// Q6_K: sixteen sub-blocks of 16 values with int8 scales; 6-bit quants offset by 32.
// Each half (128 values) uses 64 bytes of low nibbles and 32 bytes of 2-bit highs: for
// l < 32, values l, l+32, l+64, l+96 take ql[l] low, ql[l+32] low, ql[l] high, ql[l+32]
// high, and bits 0-1, 2-3, 4-5, 6-7 of qh[l].
void dequant_q6_k(const uint8_t* b, float* y) {
  const uint8_t* ql = b;
  const uint8_t* qh = b + 128;
  const auto* sc = reinterpret_cast<const int8_t*>(b + 192);
  const float d = f16(b + 208);
  for (int half = 0; half < 2; ++half) {
    for (int l = 0; l < 32; ++l) {
      const int is = l / 16;
      const int q1 = ((ql[l] & 0x0F) | (((qh[l] >> 0) & 3) << 4)) - 32;
      const int q2 = ((ql[l + 32] & 0x0F) | (((qh[l] >> 2) & 3) << 4)) - 32;
      const int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
      const int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
      y[l] = d * static_cast<float>(sc[is + 0]) * static_cast<float>(q1);
      y[l + 32] = d * static_cast<float>(sc[is + 2]) * static_cast<float>(q2);
      y[l + 64] = d * static_cast<float>(sc[is + 4]) * static_cast<float>(q3);
      y[l + 96] = d * static_cast<float>(sc[is + 6]) * static_cast<float>(q4);
    }
    y += 128;
    ql += 64;
    qh += 32;
    sc += 8;
  }
}

}  // namespace

float half_to_float(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  const uint32_t exp = (h >> 10) & 0x1F;
  uint32_t mant = h & 0x3FF;
  uint32_t bits;
  if (exp == 0x1F) {
    bits = sign | 0x7F800000u | (mant << 13);  // inf / nan
  } else if (exp != 0) {
    bits = sign | ((exp + 112) << 23) | (mant << 13);  // rebias 15 -> 127
  } else if (mant == 0) {
    bits = sign;
  } else {  // subnormal: normalise the mantissa
    int e = 113;
    while (!(mant & 0x400)) {
      mant <<= 1;
      --e;
    }
    bits = sign | (static_cast<uint32_t>(e) << 23) | ((mant & 0x3FF) << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

float bf16_to_float(uint16_t h) {
  const uint32_t bits = static_cast<uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

const GgmlTypeInfo* ggml_type_info(uint32_t id) {
  for (const auto& t : kTypes)
    if (static_cast<uint32_t>(t.type) == id) return &t;
  return nullptr;
}

std::string ggml_type_name(uint32_t id) {
  if (const auto* t = ggml_type_info(id)) return t->name;
  // Types llama.cpp defines that argus does not decode, so an error can name them.
  static const char* const kOthers[] = {nullptr,   nullptr,  nullptr, nullptr, "Q4_2",  "Q4_3",   nullptr,
                                        nullptr,   nullptr,  "Q8_1",  "Q2_K",  "Q3_K",  nullptr,  nullptr,
                                        nullptr,   "Q8_K",   "IQ2_XXS", "IQ2_XS", "IQ3_XXS", "IQ1_S", "IQ4_NL",
                                        "IQ3_S",   "IQ2_S",  "IQ4_XS", "I8",    "I16",   "I32",    "I64",
                                        "F64",     "IQ1_M"};
  if (id < sizeof(kOthers) / sizeof(kOthers[0]) && kOthers[id]) return kOthers[id];
  return "type " + std::to_string(id);
}

void dequantize(GgmlType type, const uint8_t* src, int64_t n, float* dst) {
  const GgmlTypeInfo* info = ggml_type_info(static_cast<uint32_t>(type));
  if (!info) fail("ggml: cannot decode {}", ggml_type_name(static_cast<uint32_t>(type)));
  if (n < 0 || n % info->block_elems != 0)
    fail("ggml: {} values of {} are not a whole number of {}-value blocks", n, info->name, info->block_elems);
  const int64_t blocks = n / info->block_elems;
  for (int64_t i = 0; i < blocks; ++i) {
    const uint8_t* b = src + static_cast<size_t>(i) * info->block_bytes;
    float* y = dst + i * info->block_elems;
    switch (type) {
      case GgmlType::F32: std::memcpy(y, b, 4); break;
      case GgmlType::F16: *y = f16(b); break;
      case GgmlType::BF16: *y = bf16_to_float(u16(b)); break;
      case GgmlType::Q4_0: dequant_q4_0(b, y); break;
      case GgmlType::Q4_1: dequant_q4_1(b, y); break;
      case GgmlType::Q5_0: dequant_q5(b + 2, b + 6, f16(b), 0.0f, 16, y); break;
      case GgmlType::Q5_1: dequant_q5(b + 4, b + 8, f16(b), f16(b + 2), 0, y); break;
      case GgmlType::Q8_0: dequant_q8_0(b, y); break;
      case GgmlType::Q4_K: dequant_k4(b, nullptr, y); break;
      case GgmlType::Q5_K: dequant_k4(b, b + 16, y); break;
      case GgmlType::Q6_K: dequant_q6_k(b, y); break;
    }
  }
}

}  // namespace argus::io
