#include <cstdio>

#include "cli/commands.h"
#include "cli/default_models.h"
#include "cli/detect_args.h"
#include "image/decode.h"
#include "image/encode_png.h"
#include "tasks/ground/ground_overlay.h"
#include "tasks/ground/grounder.h"
#include "util/error.h"

namespace argus::cli {

void add_ground(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "ground", "Grounded segmentation: phrases -> detector boxes (OWL-ViT, OWLv2, Grounding DINO) -> SAM masks");
  struct Opts {
    std::string detector, segmenter, image, phrases, out;
    DetectFlags filter;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--detector", o->detector, "owlvit, owlv2 or grounding-dino checkpoint directory or org/name[@rev] (default: the world OWL-ViT)");
  cmd->add_option("--segmenter", o->segmenter, "sam checkpoint directory or org/name[@rev] (default: the world SAM)");
  cmd->add_option("--image", o->image, "image file")->required();
  cmd->add_option("phrases", o->phrases, "phrases separated by '.', e.g. \"a dog. a person.\"")->required();
  add_detect_flags(cmd, o->filter);
  cmd->add_option("--out", o->out, "write PREFIX.png: the image with masks and boxes drawn");
  cmd->add_flag("--json", o->json, "print JSON");
  cmd->callback([o] {
    auto opts = parse_detect_options(o->filter);
    image::Image img = image::load_image(o->image);
    auto detector = tasks::Detector::open(model_or_default(o->detector, "owl"));
    auto segmenter = tasks::segment::Segmenter::open(model_or_default(o->segmenter, "sam"));
    auto res = tasks::ground(*detector, *segmenter, img, o->phrases, opts);
    print_warnings(res.warnings);
    if (!o->out.empty()) {
      tasks::draw_grounded(img, res);
      image::encode_png(img, o->out + ".png");
    }
    if (o->json) return print_json(tasks::to_json(res));
    for (const auto& ob : res.objects) {
      const auto& d = ob.detection;
      std::printf("%.3f  %-24s  %8.1f %8.1f %8.1f %8.1f\n", d.score, d.label.c_str(), d.box[0], d.box[1], d.box[2],
                  d.box[3]);
    }
  });
}

}  // namespace argus::cli
