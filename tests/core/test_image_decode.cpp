// Decoders and the PNG writer: PIL-compatible RGB conversion, and a clear
// argus::Error (never a crash or a huge allocation) for every kind of bad input.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "image/decode.h"
#include "image/decode_budget.h"
#include "image/encode_png.h"
#include "util/error.h"
#include "../common/temp_dir.h"

using namespace argus;
using namespace argus::image;

namespace {


inline std::vector<uint8_t> read_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

inline uint32_t crc32(const uint8_t* p, size_t n) {
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; ++i) {
    c ^= p[i];
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
  }
  return c ^ 0xFFFFFFFFu;
}

inline void put32(std::vector<uint8_t>& v, uint32_t x) {
  for (int s = 24; s >= 0; s -= 8) v.push_back(static_cast<uint8_t>(x >> s));
}

inline void png_chunk(std::vector<uint8_t>& out, const char* type, const std::vector<uint8_t>& data) {
  put32(out, static_cast<uint32_t>(data.size()));
  std::vector<uint8_t> td(type, type + 4);
  td.insert(td.end(), data.begin(), data.end());
  out.insert(out.end(), td.begin(), td.end());
  put32(out, crc32(td.data(), td.size()));
}

// zlib stream of stored (uncompressed) blocks.
inline std::vector<uint8_t> zlib_stored(const std::vector<uint8_t>& raw) {
  std::vector<uint8_t> z = {0x78, 0x01};
  size_t pos = 0;
  do {
    const size_t n = std::min<size_t>(65535, raw.size() - pos);
    const bool last = pos + n == raw.size();
    z.push_back(last ? 1 : 0);
    z.push_back(static_cast<uint8_t>(n));
    z.push_back(static_cast<uint8_t>(n >> 8));
    z.push_back(static_cast<uint8_t>(~n));
    z.push_back(static_cast<uint8_t>(~n >> 8));
    z.insert(z.end(), raw.begin() + pos, raw.begin() + pos + n);
    pos += n;
  } while (pos < raw.size());
  uint32_t a = 1, b = 0;
  for (uint8_t c : raw) {
    a = (a + c) % 65521;
    b = (b + a) % 65521;
  }
  put32(z, (b << 16) | a);
  return z;
}

// A PNG whose rows (already packed, without filter bytes) are given.
inline std::vector<uint8_t> make_png(uint32_t w, uint32_t h, int depth, int color_type,
                                     const std::vector<std::vector<uint8_t>>& rows,
                                     const std::vector<uint8_t>& plte = {}) {
  std::vector<uint8_t> out = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  std::vector<uint8_t> ihdr;
  put32(ihdr, w);
  put32(ihdr, h);
  ihdr.insert(ihdr.end(), {static_cast<uint8_t>(depth), static_cast<uint8_t>(color_type), 0, 0, 0});
  png_chunk(out, "IHDR", ihdr);
  if (!plte.empty()) png_chunk(out, "PLTE", plte);
  std::vector<uint8_t> raw;
  for (const auto& r : rows) {
    raw.push_back(0);  // filter: none
    raw.insert(raw.end(), r.begin(), r.end());
  }
  if (!rows.empty()) png_chunk(out, "IDAT", zlib_stored(raw));
  png_chunk(out, "IEND", {});
  return out;
}


std::string asset(const std::string& name) { return std::string(ARGUS_SHARED_DIR) + "/assets/images/" + name; }
std::string test_data(const std::string& name) { return std::string(ARGUS_TEST_DATA) + "/images/" + name; }

Image decode(const std::vector<uint8_t>& b, const DecodeLimits& lim = {}) {
  return decode_image(b.data(), b.size(), lim);
}

// The error message, or "" when decoding succeeded.
std::string decode_error(const std::vector<uint8_t>& b, const DecodeLimits& lim = {}) {
  try {
    decode(b, lim);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

std::vector<uint8_t> rgb_of(const Image& im) { return im.pixels; }

// Offset of the first SOFn marker's payload (after the length field).
size_t jpeg_sof(const std::vector<uint8_t>& b) {
  size_t i = 2;
  while (i + 4 < b.size()) {
    if (b[i] != 0xFF) return 0;
    const uint8_t m = b[i + 1];
    const size_t len = (size_t(b[i + 2]) << 8) | b[i + 3];
    if (m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC) return i + 4;
    i += 2 + len;
  }
  return 0;
}

std::vector<uint8_t> jpeg_with_size(uint16_t w, uint16_t h) {
  auto b = read_bytes(asset("dog.jpg"));
  const size_t sof = jpeg_sof(b);
  EXPECT_GT(sof, 0u);
  b[sof + 1] = uint8_t(h >> 8);
  b[sof + 2] = uint8_t(h);
  b[sof + 3] = uint8_t(w >> 8);
  b[sof + 4] = uint8_t(w);
  return b;
}

void le32(std::vector<uint8_t>& v, uint32_t x) {
  for (int s = 0; s < 32; s += 8) v.push_back(uint8_t(x >> s));
}

// A lossless WebP header claiming w x h, followed by junk.
std::vector<uint8_t> webp_header(uint32_t w, uint32_t h) {
  std::vector<uint8_t> payload = {0x2F};
  le32(payload, (w - 1) | ((h - 1) << 14));
  payload.resize(64, 0x55);
  std::vector<uint8_t> b = {'R', 'I', 'F', 'F'};
  le32(b, uint32_t(4 + 8 + payload.size()));
  b.insert(b.end(), {'W', 'E', 'B', 'P', 'V', 'P', '8', 'L'});
  le32(b, uint32_t(payload.size()));
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}

std::string tmp_path(const std::string& name) {
  return (std::filesystem::path(argus::test::process_temp_dir("test_image")) / name).string();
}

}  // namespace

// ------------------------------------------------------------------ formats

TEST(ImageDecode, SniffsFormatFromMagicBytes) {
  auto jpg = read_bytes(asset("dog.jpg"));
  auto png = read_bytes(asset("clip_diagram.png"));
  EXPECT_EQ(sniff_format(jpg.data(), jpg.size()), ImageFormat::Jpeg);
  EXPECT_EQ(sniff_format(png.data(), png.size()), ImageFormat::Png);
  auto webp = webp_header(4, 4);
  EXPECT_EQ(sniff_format(webp.data(), webp.size()), ImageFormat::Webp);
  const uint8_t junk[] = {'G', 'I', 'F', '8', '9', 'a'};
  EXPECT_EQ(sniff_format(junk, sizeof junk), ImageFormat::Unknown);
  EXPECT_EQ(sniff_format(png.data(), 4), ImageFormat::Unknown);
}

TEST(ImageDecode, AssetsDecodeWithHeaderSizes) {
  const Image dog = load_image(asset("dog.jpg"));
  EXPECT_EQ(dog.width, 800);
  EXPECT_EQ(dog.height, 534);
  EXPECT_EQ(dog.pixels.size(), 800u * 534u * 3u);
  const Image truck = load_image(asset("truck.jpg"));
  EXPECT_EQ(truck.width, 1800);
  EXPECT_EQ(truck.height, 1200);
  const Image diagram = load_image(asset("clip_diagram.png"));  // RGBA on disk
  EXPECT_EQ(diagram.width, 2162);
  EXPECT_EQ(diagram.height, 762);
  EXPECT_EQ(diagram.pixels.size(), 2162u * 762u * 3u);
}

// Small files whose expected RGB bytes Pillow 9.4 produced (tests/data/images/make_images.py).
TEST(ImageDecode, MatchesPillowOnCmykGrayProgressiveWebpAnd16BitInterlaced) {
  for (const char* name : {"cmyk.jpg", "gray.jpg", "progressive.jpg", "alpha.webp", "rgba16_interlaced.png"}) {
    SCOPED_TRACE(name);
    const Image im = load_image(test_data(name));
    EXPECT_EQ(im.width, 16);
    EXPECT_EQ(im.height, 12);
    EXPECT_EQ(im.pixels, read_bytes(test_data(std::string(name) + ".rgb")));
  }
}

// The alpha channel is kept beside the RGB where PIL opens the file as RGBA
// (<name>.alpha is Pillow's getchannel("A")), and absent where it has none.
TEST(ImageDecode, KeepsThePillowAlphaChannelBesideTheRgb) {
  for (const char* name : {"alpha.webp", "rgba16_interlaced.png"}) {
    SCOPED_TRACE(name);
    EXPECT_EQ(load_image(test_data(name)).alpha, read_bytes(test_data(std::string(name) + ".alpha")));
  }
  for (const char* name : {"cmyk.jpg", "gray.jpg", "progressive.jpg"}) EXPECT_TRUE(load_image(test_data(name)).alpha.empty()) << name;
}

TEST(ImageDecode, GrayJpegReplicatesItsChannel) {
  const Image im = load_image(test_data("gray.jpg"));
  for (size_t i = 0; i < im.pixels.size(); i += 3) {
    ASSERT_EQ(im.pixels[i], im.pixels[i + 1]);
    ASSERT_EQ(im.pixels[i], im.pixels[i + 2]);
  }
}

// ------------------------------------------------------------------ PNG colour types

TEST(ImagePngConvert, RgbaDropsAlphaWithoutCompositing) {
  auto png = make_png(2, 1, 8, 6, {{10, 20, 30, 0, 200, 100, 50, 128}});
  EXPECT_EQ(rgb_of(decode(png)), (std::vector<uint8_t>{10, 20, 30, 200, 100, 50}));
  EXPECT_EQ(decode(png).alpha, (std::vector<uint8_t>{0, 128}));
}

TEST(ImagePngConvert, AlphaPlaneOnlyForAlphaColourTypes) {
  EXPECT_EQ(decode(make_png(2, 1, 8, 4, {{7, 3, 250, 255}})).alpha, (std::vector<uint8_t>{3, 255}));
  EXPECT_EQ(decode(make_png(1, 1, 16, 4, {{0xAB, 0xCD, 0x12, 0x34}})).alpha, (std::vector<uint8_t>{0x12}));
  EXPECT_EQ(decode(make_png(1, 1, 16, 6, {{1, 2, 3, 4, 5, 6, 7, 8}})).alpha, (std::vector<uint8_t>{7}));
  EXPECT_TRUE(decode(make_png(2, 1, 8, 0, {{7, 250}})).alpha.empty());
  EXPECT_TRUE(decode(make_png(1, 1, 8, 2, {{1, 2, 3}})).alpha.empty());
}

TEST(ImagePngConvert, GrayscaleAndGrayAlphaReplicate) {
  EXPECT_EQ(rgb_of(decode(make_png(2, 1, 8, 0, {{7, 250}}))), (std::vector<uint8_t>{7, 7, 7, 250, 250, 250}));
  EXPECT_EQ(rgb_of(decode(make_png(2, 1, 8, 4, {{7, 0, 250, 255}}))), (std::vector<uint8_t>{7, 7, 7, 250, 250, 250}));
}

TEST(ImagePngConvert, LowBitDepthGrayIsScaledToFullRange) {
  // 1 bit: 0/255; 2 bit: x * 85; 4 bit: x * 17 (PIL's "1", "L;2", "L;4").
  EXPECT_EQ(rgb_of(decode(make_png(3, 1, 1, 0, {{0b10100000}}))),
            (std::vector<uint8_t>{255, 255, 255, 0, 0, 0, 255, 255, 255}));
  EXPECT_EQ(rgb_of(decode(make_png(4, 1, 2, 0, {{0b00011011}}))),
            (std::vector<uint8_t>{0, 0, 0, 85, 85, 85, 170, 170, 170, 255, 255, 255}));
  EXPECT_EQ(rgb_of(decode(make_png(2, 1, 4, 0, {{0x3F}}))), (std::vector<uint8_t>{51, 51, 51, 255, 255, 255}));
}

TEST(ImagePngConvert, SixteenBitFollowsPillow) {
  // Gray 16: PIL opens mode "I" and convert("RGB") clips at 255.
  EXPECT_EQ(rgb_of(decode(make_png(3, 1, 16, 0, {{0x00, 0x64, 0x01, 0x00, 0xFF, 0xFF}}))),
            (std::vector<uint8_t>{100, 100, 100, 255, 255, 255, 255, 255, 255}));
  // RGB 16: the high byte of each sample.
  EXPECT_EQ(rgb_of(decode(make_png(1, 1, 16, 2, {{0x12, 0x34, 0x80, 0xFF, 0x00, 0x01}}))),
            (std::vector<uint8_t>{0x12, 0x80, 0x00}));
  // Gray+alpha 16: high byte of the grey sample.
  EXPECT_EQ(rgb_of(decode(make_png(1, 1, 16, 4, {{0xAB, 0xCD, 0x00, 0x00}}))), (std::vector<uint8_t>{0xAB, 0xAB, 0xAB}));
  // RGBA 16: high bytes, alpha dropped.
  EXPECT_EQ(rgb_of(decode(make_png(1, 1, 16, 6, {{1, 2, 3, 4, 5, 6, 7, 8}}))), (std::vector<uint8_t>{1, 3, 5}));
}

TEST(ImagePngConvert, PaletteExpandsAndOutOfRangeIndicesAreGrey) {
  // Two PLTE entries; Pillow 9.4's palette is a grey ramp under them, so index 5 -> (5,5,5).
  const std::vector<uint8_t> plte = {10, 20, 30, 40, 50, 60};
  EXPECT_EQ(rgb_of(decode(make_png(3, 1, 8, 3, {{1, 0, 5}}, plte))),
            (std::vector<uint8_t>{40, 50, 60, 10, 20, 30, 5, 5, 5}));
  EXPECT_EQ(rgb_of(decode(make_png(2, 1, 4, 3, {{0x10}}, plte))), (std::vector<uint8_t>{40, 50, 60, 10, 20, 30}));
}

// ------------------------------------------------------------------ PNG writer

TEST(ImagePngEncode, RoundTripsRgbRgbaAndGray) {
  Image rgb;
  rgb.width = 3;
  rgb.height = 2;
  for (int i = 0; i < 18; ++i) rgb.pixels.push_back(uint8_t(i * 13));
  const auto bytes = encode_png(rgb);
  EXPECT_EQ(sniff_format(bytes.data(), bytes.size()), ImageFormat::Png);
  const Image back = decode(bytes);
  EXPECT_EQ(back.width, 3);
  EXPECT_EQ(back.height, 2);
  EXPECT_EQ(back.pixels, rgb.pixels);

  RgbaImage rgba{2, 1, {1, 2, 3, 0, 4, 5, 6, 255}};
  EXPECT_EQ(rgb_of(decode(encode_png(rgba))), (std::vector<uint8_t>{1, 2, 3, 4, 5, 6}));

  GrayImage mask{3, 1, {0, 128, 255}};
  EXPECT_EQ(rgb_of(decode(encode_png(mask))), (std::vector<uint8_t>{0, 0, 0, 128, 128, 128, 255, 255, 255}));

  const std::string path = tmp_path("roundtrip.png");
  encode_png(rgb, path);
  EXPECT_EQ(load_image(path).pixels, rgb.pixels);
  std::filesystem::remove(path);
}

TEST(ImagePngEncode, RejectsInconsistentBuffersAndBadPaths) {
  Image bad;
  bad.width = 4;
  bad.height = 4;
  bad.pixels.resize(10);
  EXPECT_THROW(encode_png(bad), Error);
  EXPECT_THROW(encode_png(Image{}), Error);
  GrayImage ok{1, 1, {0}};
  EXPECT_THROW(encode_png(ok, "/nonexistent-dir/x/y.png"), Error);
}

// ------------------------------------------------------------------ bad input

TEST(ImageDecodeErrors, EmptyInput) {
  EXPECT_EQ(decode_error({}), "empty image data");
  const std::string path = tmp_path("empty.bin");
  std::ofstream(path).close();
  try {
    load_image(path);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("empty image data"), std::string::npos) << e.what();
  }
  std::filesystem::remove(path);
}

TEST(ImageDecodeErrors, UnknownAndUnsupportedFormats) {
  const std::string text = "hello, this is not an image";
  EXPECT_NE(decode_error(std::vector<uint8_t>(text.begin(), text.end())).find("unknown image format"), std::string::npos);
  const std::vector<uint8_t> gif = {'G', 'I', 'F', '8', '9', 'a', 1, 0, 1, 0, 0, 0, 0};
  EXPECT_NE(decode_error(gif).find("unsupported image format GIF"), std::string::npos);
  const std::vector<uint8_t> bmp = {'B', 'M', 0, 0, 0, 0, 0, 0};
  EXPECT_NE(decode_error(bmp).find("BMP"), std::string::npos);
}

TEST(ImageDecodeErrors, RandomGarbageBehindEachMagic) {
  uint32_t seed = 12345;
  auto rnd = [&] { return uint8_t((seed = seed * 1103515245u + 12345u) >> 16); };
  const std::vector<std::vector<uint8_t>> magics = {
      {}, {0xFF, 0xD8, 0xFF}, {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'}, {'R', 'I', 'F', 'F', 0, 1, 0, 0, 'W', 'E', 'B', 'P'}};
  for (const auto& magic : magics) {
    for (size_t len : {1u, 16u, 300u, 5000u}) {
      std::vector<uint8_t> b = magic;
      for (size_t i = 0; i < len; ++i) b.push_back(rnd());
      EXPECT_THROW(decode(b), Error) << "magic of " << magic.size() << " bytes, " << len << " random bytes";
    }
  }
}

TEST(ImageDecodeErrors, TruncatedJpeg) {
  const auto full = read_bytes(asset("dog.jpg"));
  for (size_t n : {size_t(3), size_t(20), size_t(200), full.size() / 2, full.size() - 2}) {
    SCOPED_TRACE(n);
    std::vector<uint8_t> b(full.begin(), full.begin() + n);
    EXPECT_NE(decode_error(b), "");
  }
  std::vector<uint8_t> half(full.begin(), full.begin() + full.size() / 2);
  EXPECT_NE(decode_error(half).find("truncated"), std::string::npos) << decode_error(half);
}

TEST(ImageDecodeErrors, TruncatedPng) {
  const auto full = read_bytes(asset("clip_diagram.png"));
  for (size_t n : {size_t(8), size_t(20), size_t(40), full.size() / 2, full.size() - 20}) {
    SCOPED_TRACE(n);
    std::vector<uint8_t> b(full.begin(), full.begin() + n);
    EXPECT_NE(decode_error(b), "");
  }
  std::vector<uint8_t> half(full.begin(), full.begin() + full.size() / 2);
  EXPECT_NE(decode_error(half).find("truncated"), std::string::npos) << decode_error(half);
}

TEST(ImageDecodeErrors, TruncatedWebp) {
  const auto full = read_bytes(test_data("alpha.webp"));
  for (size_t n : {size_t(12), size_t(30), full.size() / 2, full.size() - 1}) {
    SCOPED_TRACE(n);
    EXPECT_NE(decode_error(std::vector<uint8_t>(full.begin(), full.begin() + n)), "");
  }
}

TEST(ImageDecodeErrors, CorruptPngChecksum) {
  auto png = make_png(1, 1, 8, 0, {{7}});
  png[16 + 3] ^= 0x01;  // a byte of IHDR's width: the chunk CRC no longer matches
  EXPECT_NE(decode_error(png).find("corrupt PNG"), std::string::npos) << decode_error(png);
}

TEST(ImageDecodeErrors, ZeroSizeHeaders) {
  EXPECT_NE(decode_error(make_png(0, 1, 8, 0, {{}})), "");
  EXPECT_NE(decode_error(make_png(1, 0, 8, 0, {{1}})), "");
  EXPECT_NE(decode_error(jpeg_with_size(800, 0)), "");
  EXPECT_NE(decode_error(jpeg_with_size(0, 534)), "");
}

// Each header claims 2.5e9 pixels; the refusal must come from the header check
// (the files hold no such data, so a decoder that allocated first would fail later
// with a truncation error, after reserving gigabytes).
TEST(ImageDecodeErrors, HugeHeadersAreRefusedBeforeAllocation) {
  const std::string png = decode_error(make_png(50000, 50000, 8, 2, {{1, 2, 3}}));
  EXPECT_NE(png.find("50000x50000"), std::string::npos) << png;
  EXPECT_NE(png.find("exceeds the limit"), std::string::npos) << png;
  const std::string jpg = decode_error(jpeg_with_size(50000, 50000));
  EXPECT_NE(jpg.find("exceeds the limit"), std::string::npos) << jpg;
  const std::string webp = decode_error(webp_header(16384, 16384));
  EXPECT_NE(webp.find("exceeds the limit"), std::string::npos) << webp;
  // PNG allows widths up to 2^31 - 1.
  const std::string wide = decode_error(make_png(0x7FFFFFFF, 2, 8, 0, {{1}}));
  EXPECT_NE(wide.find("exceeds the limit"), std::string::npos) << wide;
}

// Under PIL's pixel limit but over the decode budget (image/decode_budget.h): a 13000 x
// 13000 PNG is 493 KB on disk and 507 MB decoded. Refused from the header, naming the
// size and the budget, whatever the caller's pixel limit.
TEST(ImageDecodeErrors, ImagesOverTheDecodeBudgetAreRefusedBeforeAllocation) {
  ASSERT_LT(int64_t{13000} * 13000, DecodeLimits{}.max_pixels);
  for (const auto& [what, bytes] : std::vector<std::pair<const char*, std::vector<uint8_t>>>{
           {"PNG", make_png(13000, 13000, 8, 2, {{1, 2, 3}})},
           {"JPEG", jpeg_with_size(13000, 13000)},
           {"WebP", webp_header(12000, 12000)}}) {
    SCOPED_TRACE(what);
    const std::string e = decode_error(bytes);
    EXPECT_NE(e.find("decode budget of 384 MB"), std::string::npos) << e;
    EXPECT_NE(e.find("x1"), std::string::npos) << e;  // the size is named
  }
  // A kept alpha plane counts: 10500 x 10000 fits as RGB (300 MB), not as RGBA (400 MB).
  EXPECT_TRUE(within_decode_budget(10500, 10000, 3));
  EXPECT_FALSE(within_decode_budget(10500, 10000, 4));
  EXPECT_NE(decode_error(make_png(10500, 10000, 8, 6, {{1, 2, 3, 4}})).find("decode budget"), std::string::npos);
}

TEST(ImageDecodeErrors, CallerLimitApplies) {
  const auto b = read_bytes(asset("dog.jpg"));
  DecodeLimits small;
  small.max_pixels = 800 * 534 - 1;
  EXPECT_NE(decode_error(b, small).find("exceeds the limit of 427199 pixels"), std::string::npos);
  small.max_pixels = 800 * 534;
  EXPECT_EQ(decode_error(b, small), "");
}

TEST(ImageDecodeErrors, LoadImageNamesThePath) {
  try {
    load_image("/nonexistent/argus/none.png");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/argus/none.png"), std::string::npos) << e.what();
  }
  const std::string path = tmp_path("garbage.jpg");
  {
    std::ofstream f(path, std::ios::binary);
    f << "\xFF\xD8\xFF garbage";
  }
  try {
    load_image(path);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).rfind(path + ": ", 0), 0u) << e.what();
  }
  std::filesystem::remove(path);
}
