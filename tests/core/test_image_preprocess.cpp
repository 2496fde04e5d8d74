// Preprocessing: pixel parity with the fixtures' reference pixel_values (made by
// transformers from the original images), the size rules, and config parsing.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "image/decode.h"
#include "image/preprocess.h"
#include "io/json_file.h"
#include "io/safetensors.h"
#include "util/error.h"

using namespace argus;
using namespace argus::image;

namespace {

std::string fixture(const std::string& name) { return std::string(ARGUS_SHARED_DIR) + "/fixtures/" + name; }
std::string asset(const std::string& name) { return std::string(ARGUS_SHARED_DIR) + "/assets/images/" + name; }

std::vector<std::string> fixture_images(const std::string& name) {
  const auto j = io::read_json(fixture(name) + "/io.json");
  if (j.contains("images")) return j["images"].get<std::vector<std::string>>();
  return {j["image"].get<std::string>()};
}

struct Parity {
  size_t values = 0, exact_steps = 0, exact_floats = 0;
  int max_step = 0;
  double max_abs = 0;
  double percent_exact() const { return values ? 100.0 * exact_steps / values : 0.0; }
};

// Compares in uint8 steps: u = round((v * std + mean) * 255).
void accumulate(Parity& p, const PixelValues& pv, const float* ref, const ImageProcessorConfig& c) {
  const size_t plane = size_t(pv.height) * pv.width;
  for (int ch = 0; ch < 3; ++ch) {
    const double m = float(c.image_mean[ch]), s = float(c.image_std[ch]);
    for (size_t i = 0; i < plane; ++i) {
      const float a = pv.data[ch * plane + i], b = ref[ch * plane + i];
      const long ua = std::lround((a * s + m) * 255.0), ub = std::lround((b * s + m) * 255.0);
      const int d = int(std::labs(ua - ub));
      p.values++;
      p.exact_steps += d == 0;
      p.exact_floats += a == b;
      p.max_step = std::max(p.max_step, d);
      p.max_abs = std::max(p.max_abs, std::fabs(double(a) - double(b)));
    }
  }
}

// Preprocesses each original image of a fixture and compares with pixel_values[i]
// (a fixture with one image and a batch of several repeats it).
Parity fixture_parity(const std::string& name) {
  const ImageProcessorConfig cfg = load_image_processor_config(fixture(name));
  auto io = io::SafetensorsFile::open(fixture(name) + "/io.safetensors");
  const auto& t = io->at("pixel_values");
  EXPECT_EQ(t.dtype, io::DType::F32);
  EXPECT_EQ(t.shape.size(), 4u);
  const auto images = fixture_images(name);
  const int64_t n = t.shape[0], h = t.shape[2], w = t.shape[3];
  EXPECT_TRUE(images.size() == size_t(n) || images.size() == 1u);
  std::vector<float> ref(size_t(t.numel()));
  std::memcpy(ref.data(), t.data, t.nbytes());
  Parity p;
  std::vector<PixelValues> done(images.size());
  for (int64_t i = 0; i < n; ++i) {
    const size_t k = images.size() == 1 ? 0 : size_t(i);
    if (done[k].data.empty()) done[k] = preprocess(load_image(asset(images[k])), cfg);
    const PixelValues& pv = done[k];
    EXPECT_EQ(pv.channels, 3);
    EXPECT_EQ(pv.height, h);
    EXPECT_EQ(pv.width, w);
    if (pv.height != h || pv.width != w) return p;
    accumulate(p, pv, ref.data() + size_t(i) * 3 * h * w, cfg);
  }
  std::cout << "[ parity   ] " << name << ": " << p.values << " values, " << p.percent_exact()
            << "% exact in u8 steps, max step diff " << p.max_step << ", "
            << 100.0 * p.exact_floats / std::max<size_t>(1, p.values) << "% identical floats, max |diff| "
            << p.max_abs << "\n";
  ::testing::Test::RecordProperty("percent_exact", std::to_string(p.percent_exact()));
  ::testing::Test::RecordProperty("max_step", p.max_step);
  return p;
}

void expect_bar(const Parity& p) {
  EXPECT_GT(p.values, 0u);
  EXPECT_GE(p.percent_exact(), 99.0);
  EXPECT_LE(p.max_step, 2);
}

}  // namespace

// ------------------------------------------------------------------ fixture parity

TEST(ImageParity, Clip) { expect_bar(fixture_parity("clip")); }
TEST(ImageParity, Siglip) { expect_bar(fixture_parity("siglip")); }
TEST(ImageParity, Llava) { expect_bar(fixture_parity("llava")); }
TEST(ImageParity, Kosmos2) { expect_bar(fixture_parity("kosmos2")); }
TEST(ImageParity, Blip2) { expect_bar(fixture_parity("blip2")); }
TEST(ImageParity, ClipSeg) { expect_bar(fixture_parity("clipseg")); }
TEST(ImageParity, OwlVit) { expect_bar(fixture_parity("owlvit")); }
TEST(ImageParity, Detr) { expect_bar(fixture_parity("detr")); }

TEST(ImageParity, Sam) {
  expect_bar(fixture_parity("sam"));
  const auto cfg = load_image_processor_config(fixture("sam"));
  const PixelValues pv = preprocess(load_image(asset("truck.jpg")), cfg);
  EXPECT_EQ(pv.original_height, 1200);
  EXPECT_EQ(pv.original_width, 1800);
  EXPECT_EQ(pv.resized_height, 683);
  EXPECT_EQ(pv.resized_width, 1024);
  // Padding comes after normalisation: exact zeros below row 683.
  for (int c = 0; c < 3; ++c)
    for (int y = 683; y < 1024; y += 17)
      for (int x = 0; x < 1024; x += 31) ASSERT_EQ(pv.data[(size_t(c) * 1024 + y) * 1024 + x], 0.0f);
}

// OWLv2 resizes in float, so its reference is not on the u8 grid: compare floats.
TEST(ImageParity, Owlv2Float) {
  const Parity p = fixture_parity("owlv2");
  EXPECT_GT(p.values, 0u);
  EXPECT_LT(p.max_abs, 2e-4);
}

// ------------------------------------------------------------------ size rules

TEST(ImagePreprocess, ShortestEdgeFloorsTheLongSide) {
  const Size2 a = shortest_edge_size(534, 800, 224);  // int(224 * 800 / 534) = 335
  EXPECT_EQ(a.height, 224);
  EXPECT_EQ(a.width, 335);
  const Size2 b = shortest_edge_size(800, 534, 224);
  EXPECT_EQ(b.height, 335);
  EXPECT_EQ(b.width, 224);
  const Size2 c = shortest_edge_size(300, 300, 224);
  EXPECT_EQ(c.height, 224);
  EXPECT_EQ(c.width, 224);
  EXPECT_THROW(shortest_edge_size(0, 5, 224), Error);
}

TEST(ImagePreprocess, LongestEdgeRoundsHalfUp) {
  const Size2 a = longest_edge_size(1200, 1800, 1024);  // 1200 * 1024/1800 = 682.67 -> 683
  EXPECT_EQ(a.height, 683);
  EXPECT_EQ(a.width, 1024);
  const Size2 b = longest_edge_size(534, 800, 1024);  // 683.52 -> 684
  EXPECT_EQ(b.height, 684);
  EXPECT_EQ(b.width, 1024);
}

TEST(ImagePreprocess, ShortestLongestEdgeCapsTheLongSide) {
  const Size2 a = shortest_longest_edge_size(603, 1072, 320, 480);
  EXPECT_EQ(a.height, 270);
  EXPECT_EQ(a.width, 480);
  const Size2 b = shortest_longest_edge_size(480, 640, 800, 1333);
  EXPECT_EQ(b.height, 800);
  EXPECT_EQ(b.width, 1066);
  const Size2 same = shortest_longest_edge_size(320, 500, 320, 1333);
  EXPECT_EQ(same.height, 320);
  EXPECT_EQ(same.width, 500);
}

TEST(ImagePreprocess, SiglipResizesStraightToSquare) {
  const auto cfg = load_image_processor_config(fixture("siglip"));
  const PixelValues pv = preprocess(load_image(asset("truck.jpg")), cfg);
  EXPECT_EQ(pv.height, 224);
  EXPECT_EQ(pv.width, 224);
  EXPECT_EQ(pv.data.size(), 3u * 224 * 224);
}

// ------------------------------------------------------------------ normalisation

TEST(ImagePreprocess, NormalizeIsRescaleThenMeanStd) {
  Image im;
  im.width = 4;
  im.height = 1;
  im.pixels = {0, 1, 2, 127, 128, 129, 250, 254, 255, 9, 99, 199};
  Normalization n{true, 1.0 / 255, true, {0.48145466, 0.4578275, 0.40821073}, {0.26862954, 0.26130258, 0.27577711}};
  const PixelValues pv = normalize(im, n);
  ASSERT_EQ(pv.height, 1);
  ASSERT_EQ(pv.width, 4);
  for (int c = 0; c < 3; ++c)
    for (int x = 0; x < 4; ++x)
      EXPECT_NEAR(pv.data[c * 4 + x], (im.pixels[x * 3 + c] / 255.0 - n.mean[c]) / n.std[c], 2e-6);
  n.do_normalize = false;
  EXPECT_NEAR(normalize(im, n).data[4 + 1], 128 / 255.0, 1e-7);
  n.do_rescale = false;
  EXPECT_EQ(normalize(im, n).data[1], 127.0f);
  n.do_normalize = true;
  EXPECT_NEAR(normalize(im, n).data[0], (0 - n.mean[0]) / n.std[0], 1e-6);
}

TEST(ImagePreprocess, PadBottomRightKeepsContent) {
  PixelValues pv;
  pv.height = 1;
  pv.width = 2;
  pv.data = {1, 2, 3, 4, 5, 6};
  pad_bottom_right(pv, 2, 3, -1.0f);
  EXPECT_EQ(pv.data, (std::vector<float>{1, 2, -1, -1, -1, -1, 3, 4, -1, -1, -1, -1, 5, 6, -1, -1, -1, -1}));
  EXPECT_THROW(pad_bottom_right(pv, 1, 3, 0.0f), Error);
}

// ------------------------------------------------------------------ config parsing

TEST(ImageProcessorConfig, ReadsBothFileShapes) {
  const auto clip = load_image_processor_config(fixture("clip"));
  EXPECT_EQ(clip.type, "CLIPImageProcessor");
  EXPECT_EQ(clip.size.shortest_edge, 224);
  EXPECT_EQ(clip.resample, Filter::Bicubic);
  EXPECT_TRUE(clip.do_center_crop);
  EXPECT_EQ(clip.crop_height, 224);
  const auto sam = load_image_processor_config(fixture("sam"));  // processor_config.json
  EXPECT_EQ(sam.kind, ProcessorKind::Sam);
  EXPECT_EQ(sam.size.longest_edge, 1024);
  EXPECT_EQ(sam.pad_height, 1024);
  EXPECT_EQ(sam.resample, Filter::Bilinear);
  EXPECT_DOUBLE_EQ(sam.image_mean[0], 0.485);
}

TEST(ImageProcessorConfig, DefaultsAndLegacyForms) {
  auto c = parse_image_processor_config(nlohmann::json::parse(R"({"image_processor_type": "CLIPImageProcessorFast", "size": 336, "crop_size": 336})"));
  EXPECT_EQ(c.type, "CLIPImageProcessor");
  EXPECT_EQ(c.size.shortest_edge, 336);
  EXPECT_EQ(c.crop_height, 336);
  EXPECT_EQ(c.crop_width, 336);
  EXPECT_DOUBLE_EQ(c.image_std[2], 0.27577711);
  c = parse_image_processor_config(nlohmann::json::parse(R"({"feature_extractor_type": "CLIPFeatureExtractor"})"));
  EXPECT_EQ(c.type, "CLIPImageProcessor");
  c = parse_image_processor_config(nlohmann::json::parse(R"({"image_processor_type": "SiglipImageProcessor", "size": 384, "image_mean": 0.5})"));
  EXPECT_EQ(c.size.height, 384);
  EXPECT_EQ(c.size.width, 384);
  EXPECT_EQ(c.resample, Filter::Bicubic);
  EXPECT_DOUBLE_EQ(c.image_mean[1], 0.5);
  // Grounding DINO's processor resizes and normalises as DETR's does (whose pixels have
  // their own parity test above): shortest edge 800, longest 1333, bilinear, ImageNet.
  c = parse_image_processor_config(nlohmann::json::parse(R"({"image_processor_type": "GroundingDinoImageProcessor"})"));
  EXPECT_EQ(c.kind, ProcessorKind::Detr);
  EXPECT_EQ(c.size.shortest_edge, 800);
  EXPECT_EQ(c.size.longest_edge, 1333);
  EXPECT_EQ(c.resample, Filter::Bilinear);
  EXPECT_DOUBLE_EQ(c.image_std[0], 0.229);
  // LLaVA-NeXT's processor normalises each view as CLIP's does (its anyres tiling is
  // models/llava_next's); a bare size is a shortest edge, as for CLIP.
  c = parse_image_processor_config(nlohmann::json::parse(R"({"image_processor_type": "LlavaNextImageProcessorFast", "size": 336})"));
  EXPECT_EQ(c.type, "LlavaNextImageProcessor");
  EXPECT_EQ(c.kind, ProcessorKind::Generic);
  EXPECT_EQ(c.size.shortest_edge, 336);
  EXPECT_EQ(c.crop_height, 224);
  EXPECT_EQ(c.resample, Filter::Bicubic);
  EXPECT_DOUBLE_EQ(c.image_mean[0], 0.48145466);
}

TEST(ImageProcessorConfig, RejectsBadConfigsWithOneLine) {
  auto error_of = [](const char* text) -> std::string {
    try {
      parse_image_processor_config(nlohmann::json::parse(text));
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_NE(error_of(R"({"image_processor_type": "Qwen2VLImageProcessor"})").find("unsupported image_processor_type \"Qwen2VLImageProcessor\""), std::string::npos);
  EXPECT_NE(error_of(R"({"size": {"height": 3, "width": 3}})").find("no image_processor_type"), std::string::npos);
  EXPECT_NE(error_of(R"({"image_processor_type": "CLIPImageProcessor", "resample": 9})").find("resample code 9"), std::string::npos);
  EXPECT_NE(error_of(R"({"image_processor_type": "CLIPImageProcessor", "resample": "bicubic"})").find("resample"), std::string::npos);
  EXPECT_NE(error_of(R"({"image_processor_type": "CLIPImageProcessor", "image_mean": [0.5, 0.5]})").find("image_mean"), std::string::npos);
  EXPECT_NE(error_of(R"({"image_processor_type": "CLIPImageProcessor", "size": {"height": 3}})").find("size"), std::string::npos);
  EXPECT_NE(error_of(R"({"image_processor_type": "CLIPImageProcessor", "size": {"shortest_edge": -4}})").find("size.shortest_edge"), std::string::npos);
  EXPECT_NE(error_of(R"({"image_processor_type": "SiglipImageProcessor", "image_std": [0.5, 0, 0.5]})").find("image_std"), std::string::npos);
  EXPECT_NE(error_of(R"({"image_processor_type": "SamImageProcessor", "size": {"height": 3, "width": 3}})").find("does not suit"), std::string::npos);
  EXPECT_NE(error_of(R"([1, 2])").find("not a JSON object"), std::string::npos);
  EXPECT_THROW(load_image_processor_config("/nonexistent/model"), Error);
}
