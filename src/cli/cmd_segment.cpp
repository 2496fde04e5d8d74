// `argus segment`: promptable segmentation (points, a box) or segment-everything
// with SAM; prints masks as COCO RLE and optionally writes mask/overlay PNGs.
#include <cerrno>
#include <cstdlib>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/default_models.h"
#include "image/decode.h"
#include "image/encode_png.h"
#include "image/overlay.h"
#include "tasks/segment/everything.h"
#include "tasks/segment/prompt_masks.h"
#include "tasks/segment/segmenter.h"
#include "util/error.h"

namespace argus::cli {

namespace {

namespace seg = tasks::segment;


std::vector<double> parse_numbers(const std::string& s, const char* what) {
  std::vector<double> out;
  size_t pos = 0;
  while (true) {
    size_t comma = s.find(',', pos);
    std::string part = s.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    const char* begin = part.c_str();
    char* end = nullptr;
    errno = 0;
    double v = std::strtod(begin, &end);
    if (part.empty() || end != begin + part.size() || errno == ERANGE)
      fail("{} \"{}\": \"{}\" is not a number", what, s, part);
    out.push_back(v);
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return out;
}

seg::Point parse_point(const std::string& s) {
  auto v = parse_numbers(s, "--point");
  if (v.size() != 2 && v.size() != 3) fail("--point \"{}\": expected X,Y or X,Y,LABEL", s);
  seg::Point p{v[0], v[1], 1};
  if (v.size() == 3) {
    if (v[2] != 1.0 && v[2] != 0.0)
      fail("--point \"{}\": label must be 1 (foreground) or 0 (background), got {}", s, v[2]);
    p.label = static_cast<int>(v[2]);
  }
  return p;
}

seg::Box parse_box(const std::string& s) {
  auto v = parse_numbers(s, "--box");
  if (v.size() != 4) fail("--box \"{}\": expected X0,Y0,X1,Y1", s);
  return {v[0], v[1], v[2], v[3]};
}

void write_pngs(const std::string& prefix, const image::Image& img, const std::vector<seg::MaskRecord>& masks,
                const seg::Prompt* prompt) {
  image::Image overlay = img;
  for (size_t i = 0; i < masks.size(); ++i) {
    std::vector<uint8_t> m = image::rle_decode(masks[i].rle);
    image::draw_mask(overlay, m.data(), img.height, img.width, image::palette(static_cast<int>(i)), 0.5f);
    image::GrayImage g{img.width, img.height, std::move(m)};
    for (auto& v : g.pixels) v = v ? 255 : 0;
    image::encode_png(g, fmt::format("{}_{}.png", prefix, i));
  }
  if (prompt) {
    const int thick = std::max(2, std::max(img.width, img.height) / 400);
    if (prompt->box) {
      const auto& b = *prompt->box;
      image::draw_box(overlay, static_cast<float>(b.x0), static_cast<float>(b.y0), static_cast<float>(b.x1),
                      static_cast<float>(b.y1), {0, 255, 0}, thick);
    }
    for (const auto& p : prompt->points) {
      const std::array<uint8_t, 3> color = p.label == 1 ? std::array<uint8_t, 3>{0, 255, 0}
                                                        : std::array<uint8_t, 3>{255, 0, 0};
      image::draw_point(overlay, static_cast<float>(p.x), static_cast<float>(p.y), {255, 255, 255}, 2 * thick + 1);
      image::draw_point(overlay, static_cast<float>(p.x), static_cast<float>(p.y), color, 2 * thick);
    }
  }
  image::encode_png(overlay, prefix + "_overlay.png");
}

}  // namespace

void add_segment(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "segment",
      "Segment an image with SAM from point/box prompts, or everything in it (--everything).\n"
      "Prompts are in original-image pixels; points outside the image are clamped to its\n"
      "last pixel and boxes to its border (a note on stderr says so).");
  struct Opts {
    std::string model, image, box, out;
    std::vector<std::string> points;
    bool multimask = false, everything = false, json = false;
    seg::EverythingOptions auto_opts;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--model", o->model,
                  "SAM checkpoint: a Hugging Face directory or org/name[@rev], or Meta's original .pth file (default: the world SAM)");
  cmd->add_option("--image", o->image, "image file (JPEG, PNG, WebP; up to 40 megapixels)")->required();
  cmd->add_option("--point", o->points,
                  "X,Y[,LABEL] prompt point, LABEL 1 = foreground (default) or 0 = background; repeatable")
      ->allow_extra_args(false);
  cmd->add_option("--box", o->box, "X0,Y0,X1,Y1 prompt box (needs X1 > X0 and Y1 > Y0)");
  cmd->add_flag("--multimask", o->multimask, "return SAM's three masks instead of the single one");
  cmd->add_flag("--everything", o->everything, "segment everything: a grid of point prompts, filtered (no prompts)");
  cmd->add_option("--out", o->out, "write PREFIX_N.png (one per mask) and PREFIX_overlay.png");
  cmd->add_flag("--json", o->json, "print JSON");
  auto& a = o->auto_opts;
  cmd->add_option("--points-per-side", a.points_per_side, "--everything: grid points per side (default 32)");
  cmd->add_option("--points-per-batch", a.points_per_batch, "--everything: points per decoder call (default 64)");
  cmd->add_option("--pred-iou-thresh", a.pred_iou_thresh, "--everything: keep masks above this predicted IoU (0.88)");
  cmd->add_option("--stability-thresh", a.stability_score_thresh, "--everything: minimum stability score (0.95)");
  cmd->add_option("--box-nms-thresh", a.box_nms_thresh, "--everything: box IoU above which duplicates go (0.7)");
  cmd->add_option("--crop-layers", a.crop_n_layers, "--everything: extra layers of zoomed-in crops (default 0)");
  cmd->add_option("--min-area", a.min_mask_region_area, "--everything: fill holes / drop islands below this area");
  cmd->callback([o] {
    if (o->everything && (!o->points.empty() || !o->box.empty()))
      fail("segment: --everything takes no --point or --box prompts");
    seg::check_point_count(o->points.size());
    if (o->everything) seg::check_everything_options(o->auto_opts);
    seg::Prompt prompt;
    for (const auto& p : o->points) prompt.points.push_back(parse_point(p));
    if (!o->box.empty()) prompt.box = parse_box(o->box);
    if (!o->everything && prompt.points.empty() && !prompt.box)
      fail("segment: give --point and/or --box prompts, or --everything");

    image::DecodeLimits limits;
    limits.max_pixels = seg::kMaxSegmentPixels;
    image::Image img = image::load_image(o->image, limits);
    auto segmenter = seg::Segmenter::open(model_or_default(o->model, "sam"), 1);

    std::vector<seg::MaskRecord> masks;
    seg::Prompt shown;
    if (o->everything) {
      masks = seg::segment_everything(*segmenter, img, o->auto_opts);
    } else {
      std::vector<std::string> notes;
      masks = seg::segment_prompt(*segmenter, img, prompt, o->multimask, &shown, &notes);
      for (const auto& n : notes) std::fprintf(stderr, "argus: note: %s\n", n.c_str());
    }
    if (!o->out.empty()) write_pngs(o->out, img, masks, o->everything ? nullptr : &shown);
    if (o->json) return print_json(seg::masks_json(img.height, img.width, masks));
    std::printf("%dx%d image, %zu mask(s)\n", img.width, img.height, masks.size());
    for (size_t i = 0; i < masks.size(); ++i) {
      const auto& m = masks[i];
      std::printf("mask %zu: iou_pred %.4f  area %lld  bbox %lld,%lld,%lld,%lld\n", i, m.iou_pred,
                  static_cast<long long>(m.area), static_cast<long long>(m.bbox[0]),
                  static_cast<long long>(m.bbox[1]), static_cast<long long>(m.bbox[2]),
                  static_cast<long long>(m.bbox[3]));
    }
  });
}

}  // namespace argus::cli
