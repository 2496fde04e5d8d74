#include <cstdio>

#include "cli/commands.h"
#include "hub/pull.h"
#include "cli/detect_args.h"
#include "image/decode.h"
#include "image/encode_png.h"
#include "image/overlay.h"
#include "nn/tensor_io.h"
#include "tasks/ground/referring_segmenter.h"
#include "util/error.h"

namespace argus::cli {

void add_refseg(CLI::App& app) {
  auto* cmd = app.add_subcommand("refseg", "Referring segmentation: the mask of what a text describes (CLIPSeg)");
  struct Opts {
    std::string model, image, text, out, logits_out;
    double threshold = 0.5;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--model", o->model, "clipseg checkpoint directory or org/name[@rev]")->required();
  cmd->add_option("--image", o->image, "image file")->required();
  cmd->add_option("--text", o->text, "what to segment, e.g. \"a banana\"")->required();
  cmd->add_option("--threshold", o->threshold, "mask where sigmoid(logit) > this, in (0, 1) (default 0.5)");
  cmd->add_option("--out", o->out, "write the image with the mask drawn over it (PNG)");
  cmd->add_option("--logits-out", o->logits_out, "write the logits at the model's input size (safetensors, `logits`)");
  cmd->add_flag("--json", o->json, "print JSON");
  cmd->callback([o] {
    image::Image img = image::load_image(o->image);
    auto seg = tasks::ReferringSegmenter::open(hub::resolve_model(o->model));
    auto res = seg->segment(img, o->text, o->threshold);
    print_warnings(res.warnings);
    if (!o->logits_out.empty()) nn::save_safetensors(o->logits_out, {{"logits", res.logits}});
    if (!o->out.empty()) {
      image::draw_mask(img, res.mask.data(), res.height, res.width, image::palette(0), 0.5f);
      image::encode_png(img, o->out);
    }
    nlohmann::json rle = {{"size", {res.rle.height, res.rle.width}}, {"counts", res.rle.counts}};
    if (o->json) return print_json({{"image_size", {res.height, res.width}}, {"rle", rle}});
    size_t on = 0;
    for (uint8_t v : res.mask) on += v != 0;
    std::printf("%zu of %zu pixels (%.1f%%) match \"%s\"\n", on, res.mask.size(),
                100.0 * static_cast<double>(on) / static_cast<double>(res.mask.size()), o->text.c_str());
  });
}

}  // namespace argus::cli
