// `argus segment` end to end: the fixture's prompt cases from the original image,
// output files, segment-everything, and every kind of bad input.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "cli_runner.h"
#include "image/decode.h"
#include "image/encode_png.h"
#include "image/mask_rle.h"
#include "io/json_file.h"
#include "nn/tensor_io.h"
#include "parity.h"
#include "../common/temp_dir.h"

using namespace argus;
using argus::test::run_cli;
namespace fs = std::filesystem;

namespace {

std::string truck() { return test::asset("images/truck.jpg"); }
std::string sam() { return test::fixture("sam"); }

fs::path fresh_dir(const std::string& name) {
  return argus::test::fresh_temp_dir("cli_segment_" + name);
}

std::string num(double v) {
  std::ostringstream s;
  s.precision(17);
  s << v;
  return s.str();
}

// CLI arguments for the fixture's prompt case `name` (io.json meta: original pixels).
std::vector<std::string> case_args(const std::string& name) {
  auto c = io::read_json(test::fixture("sam/io.json"))["cases"][name];
  std::vector<std::string> args;
  if (c.contains("input_points")) {
    const auto& pts = c["input_points"][0];
    for (size_t i = 0; i < pts.size(); ++i) {
      std::string a = num(pts[i][0].get<double>()) + "," + num(pts[i][1].get<double>());
      if (c.contains("input_labels")) a += "," + std::to_string(c["input_labels"][0][0][i].get<int>());
      args.insert(args.end(), {"--point", a});
    }
  }
  if (c.contains("input_boxes")) {
    const auto& b = c["input_boxes"][0][0];
    args.insert(args.end(), {"--box", num(b[0].get<double>()) + "," + num(b[1].get<double>()) + "," +
                                          num(b[2].get<double>()) + "," + num(b[3].get<double>())});
  }
  return args;
}

// EXPECT_CLEAN_ERROR evaluates its argument more than once: run the command once.
void expect_clean_error(const test::CliResult& r, const std::string& needle) { EXPECT_CLEAN_ERROR(r, needle); }

test::CliResult segment(std::vector<std::string> extra) {
  std::vector<std::string> args{"segment", "--model", sam(), "--image", truck()};
  args.insert(args.end(), extra.begin(), extra.end());
  return run_cli(args);
}

}  // namespace

TEST(CliSegment, FixtureCasesFromTheOriginalImageMatchTransformers) {
  auto ref = test::reference("sam");
  for (const std::string name : {"point", "two_points", "box"}) {
    auto args = case_args(name);
    args.insert(args.end(), {"--multimask", "--json"});
    auto r = segment(args);
    ASSERT_EQ(r.rc, 0) << name << ": " << r.err;
    auto j = r.json();
    EXPECT_EQ(j["image_size"], nlohmann::json({1200, 1800}));
    ASSERT_EQ(j["masks"].size(), 3u) << name;
    at::Tensor want_iou = ref[name + ".iou_scores"].reshape({3});
    at::Tensor want = ref[name + ".masks_full"].reshape({3, 1200, 1800}).to(at::kByte);
    for (int m = 0; m < 3; ++m) {
      const auto& mj = j["masks"][m];
      // The whole pipeline runs from truck.jpg (our decode + resampling), so iou_pred
      // sits a little further from the reference than the decoder-only 1e-3.
      EXPECT_NEAR(mj["iou_pred"].get<double>(), want_iou[m].item<double>(), 5e-3) << name << " mask " << m;
      image::MaskRle rle{mj["rle"]["size"][0], mj["rle"]["size"][1], mj["rle"]["counts"]};
      ASSERT_EQ(rle.height, 1200);
      ASSERT_EQ(rle.width, 1800);
      std::vector<uint8_t> got = image::rle_decode(rle);
      at::Tensor got_t = at::from_blob(got.data(), {1200, 1800}, at::kByte);
      double agree = (got_t == want[m]).to(at::kDouble).mean().item<double>();
      std::printf("[cli segment] %-10s mask %d: iou_pred %.5f (ref %.5f), pixel agreement %.6f\n", name.c_str(), m,
                  mj["iou_pred"].get<double>(), want_iou[m].item<double>(), agree);
      EXPECT_GE(agree, 0.999) << name << " mask " << m;
      // area and bbox describe the decoded mask.
      EXPECT_EQ(mj["area"].get<int64_t>(), got_t.sum().item<int64_t>());
      if (mj["area"].get<int64_t>() > 0) {
        at::Tensor nz = got_t.nonzero();  // [n, 2] (y, x)
        int64_t y0 = nz.select(1, 0).min().item<int64_t>(), x0 = nz.select(1, 1).min().item<int64_t>();
        int64_t y1 = nz.select(1, 0).max().item<int64_t>(), x1 = nz.select(1, 1).max().item<int64_t>();
        EXPECT_EQ(mj["bbox"], nlohmann::json({x0, y0, x1 - x0 + 1, y1 - y0 + 1}));
      }
    }
  }
}

TEST(CliSegment, SingleMaskIsTheFirstOutputAndFilesAreWritten) {
  auto dir = fresh_dir("out");
  std::string prefix = (dir / "truck").string();
  auto multi = segment({"--point", "500,375", "--multimask", "--json"});
  auto one = segment({"--point", "500,375", "--json", "--out", prefix});
  ASSERT_EQ(one.rc, 0) << one.err;
  ASSERT_EQ(multi.rc, 0) << multi.err;
  ASSERT_EQ(one.json()["masks"].size(), 1u);
  EXPECT_EQ(multi.json()["masks"].size(), 3u);
  EXPECT_EQ(one.json()["masks"][0]["rle"]["size"], nlohmann::json({1200, 1800}));
  // The mask PNG is the RLE mask (0/255) and the overlay is the image's size.
  image::Image png = image::load_image((dir / "truck_0.png").string());
  ASSERT_EQ(png.width, 1800);
  ASSERT_EQ(png.height, 1200);
  auto m = one.json()["masks"][0];
  std::vector<uint8_t> mask = image::rle_decode({1200, 1800, m["rle"]["counts"]});
  size_t same = 0;
  for (size_t i = 0; i < mask.size(); ++i) same += (png.pixels[i * 3] == (mask[i] ? 255 : 0));
  EXPECT_EQ(same, mask.size());
  EXPECT_FALSE(fs::exists(dir / "truck_1.png"));
  image::Image overlay = image::load_image((dir / "truck_overlay.png").string());
  image::Image orig = image::load_image(truck());
  EXPECT_EQ(overlay.width, 1800);
  EXPECT_NE(overlay.pixels, orig.pixels);
  fs::remove_all(dir);
}

TEST(CliSegment, EverythingReturnsFilteredSortedMasks) {
  auto r = segment({"--everything", "--points-per-side", "6", "--pred-iou-thresh=-10", "--stability-thresh", "0",
                    "--json"});
  ASSERT_EQ(r.rc, 0) << r.err;
  auto masks = r.json()["masks"];
  ASSERT_GT(masks.size(), 0u);
  for (size_t i = 0; i < masks.size(); ++i) {
    EXPECT_EQ(masks[i]["rle"]["size"], nlohmann::json({1200, 1800}));
    EXPECT_GT(masks[i]["area"].get<int64_t>(), 0);
    if (i) EXPECT_GE(masks[i - 1]["iou_pred"].get<double>(), masks[i]["iou_pred"].get<double>());
  }
  // Nothing passes an IoU threshold above every prediction: an empty list, not an error.
  auto none = segment({"--everything", "--points-per-side", "4", "--pred-iou-thresh", "1e9", "--json"});
  ASSERT_EQ(none.rc, 0) << none.err;
  EXPECT_EQ(none.json()["masks"].size(), 0u);
}

TEST(CliSegment, PointsAndBoxesOutsideTheImageAreClamped) {
  auto inside = segment({"--point", "1799,0", "--json"});
  auto outside = segment({"--point", "5000,-20", "--json"});
  ASSERT_EQ(outside.rc, 0) << outside.err;
  EXPECT_NE(outside.err.find("clamped"), std::string::npos) << outside.err;
  EXPECT_EQ(outside.json()["masks"], inside.json()["masks"]);
  auto box_in = segment({"--box", "0,100,1800,900", "--json"});
  auto box_out = segment({"--box", "-50,100,99999,900", "--json"});
  ASSERT_EQ(box_out.rc, 0) << box_out.err;
  EXPECT_EQ(box_out.json()["masks"], box_in.json()["masks"]);
}

TEST(CliSegment, BadPromptsAreCleanErrors) {
  expect_clean_error(segment({"--box", "300,10,200,90"}), "degenerate box");
  expect_clean_error(segment({"--box", "300,10,300,90"}), "degenerate box");
  expect_clean_error(segment({"--box", "1,2,3"}), "X0,Y0,X1,Y1");
  expect_clean_error(segment({"--box", "5000,10,6000,90"}), "outside");
  expect_clean_error(segment({"--point", "10,10,2"}), "label must be 1 (foreground) or 0 (background)");
  expect_clean_error(segment({"--point", "10,10,-1"}), "label must be 1");
  expect_clean_error(segment({"--point", "10,abc"}), "not a number");
  expect_clean_error(segment({"--point", "10"}), "X,Y");
  expect_clean_error(segment({"--point", "nan,10"}), "non-finite");
  expect_clean_error(segment({}), "--everything");
  expect_clean_error(segment({"--everything", "--point", "10,10"}), "no --point or --box");
  expect_clean_error(segment({"--everything", "--points-per-side", "0"}), "points_per_side");
  expect_clean_error(run_cli({"segment", "--model", test::fixture("clip"), "--image", truck(), "--point", "1,1"}),
                     "needs a SAM checkpoint");
}

TEST(CliSegment, GrayRgbaAndHugeImages) {
  auto dir = fresh_dir("images");
  // Grayscale and RGBA PNGs are converted to RGB like PIL's convert("RGB").
  image::Image rgb = image::load_image(truck());
  image::GrayImage gray{64, 48, std::vector<uint8_t>(64 * 48)};
  image::RgbaImage rgba{64, 48, std::vector<uint8_t>(64 * 48 * 4)};
  for (int i = 0; i < 64 * 48; ++i) {
    gray.pixels[i] = static_cast<uint8_t>(i * 7);
    for (int c = 0; c < 4; ++c) rgba.pixels[i * 4 + c] = static_cast<uint8_t>(i * (c + 3));
  }
  image::encode_png(gray, (dir / "gray.png").string());
  image::encode_png(rgba, (dir / "rgba.png").string());
  for (const char* f : {"gray.png", "rgba.png"}) {
    auto r = run_cli({"segment", "--model", sam(), "--image", (dir / f).string(), "--point", "30,20", "--json"});
    ASSERT_EQ(r.rc, 0) << f << ": " << r.err;
    EXPECT_EQ(r.json()["image_size"], nlohmann::json({48, 64}));
    EXPECT_EQ(r.json()["masks"][0]["rle"]["size"], nlohmann::json({48, 64}));
  }
  // Over the 40-megapixel budget: refused before any pixel memory is allocated.
  image::GrayImage huge{8000, 5001, std::vector<uint8_t>(8000 * 5001, 0)};
  image::encode_png(huge, (dir / "huge.png").string());
  auto r = run_cli({"segment", "--model", sam(), "--image", (dir / "huge.png").string(), "--point", "1,1"});
  EXPECT_CLEAN_ERROR(r, "exceeds the limit");
  expect_clean_error(run_cli({"segment", "--model", sam(), "--image", (dir / "missing.png").string(), "--point", "1,1"}),
                     "missing.png");
  fs::remove_all(dir);
}

TEST(CliSegment, MismatchedPromptEncoderWidthIsACleanError) {
  auto dir = fresh_dir("badwidth");
  for (const char* f : {"config.json", "processor_config.json"})
    fs::copy_file(test::fixture(std::string("sam/") + f), dir / f);
  auto tensors = nn::load_safetensors(test::fixture("sam/model.safetensors"));
  for (auto& [k, v] : tensors)
    if (k.rfind("prompt_encoder.", 0) == 0 && k.find("embed.") != std::string::npos && v.dim() == 2)
      v = v.narrow(1, 0, 24).contiguous();
  nn::save_safetensors((dir / "model.safetensors").string(), tensors);
  auto r = run_cli({"segment", "--model", dir.string(), "--image", truck(), "--point", "1,1"});
  EXPECT_CLEAN_ERROR(r, "prompt_encoder.");
  EXPECT_NE(r.err.find("[1, 24]"), std::string::npos) << r.err;
  fs::remove_all(dir);
}
