#include <cmath>
#include <cstdio>
#include <cstdlib>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/default_models.h"
#include "cli/detect_args.h"
#include "image/decode.h"
#include "image/encode_png.h"
#include "tasks/detect/detection_overlay.h"
#include "tasks/detect/detector.h"
#include "util/error.h"

namespace argus::cli {

tasks::Exemplar parse_exemplar(const std::string& spec) {
  // PATH:X0,Y0,X1,Y1 -- split at the last ':' so paths may contain one.
  auto colon = spec.rfind(':');
  if (colon == std::string::npos || colon == 0)
    fail("--exemplar \"{}\" must be PATH:X0,Y0,X1,Y1 (a box in the exemplar image's pixels)", spec);
  std::string nums = spec.substr(colon + 1);
  tasks::Exemplar ex;
  size_t pos = 0;
  for (int k = 0; k < 4; ++k) {
    size_t end = nums.find(',', pos);
    if ((k < 3) != (end != std::string::npos))
      fail("--exemplar \"{}\": the box needs exactly four numbers X0,Y0,X1,Y1", spec);
    std::string part = nums.substr(pos, k < 3 ? end - pos : std::string::npos);
    char* stop = nullptr;
    float v = std::strtof(part.c_str(), &stop);
    if (part.empty() || *stop != '\0') fail("--exemplar \"{}\": \"{}\" is not a number", spec, part);
    ex.box[k] = v;
    pos = end + 1;
  }
  ex.label = spec;
  ex.image = image::load_image(spec.substr(0, colon));
  return ex;
}

void add_detect_flags(CLI::App* cmd, DetectFlags& f) {
  f.threshold_flag = cmd->add_option("--threshold", f.threshold,
                  "keep detections scoring above this (default 0.1 for OWL-ViT/OWLv2, 0.25 for Grounding DINO, "
                  "0.5 for DETR)");
  cmd->add_option("--text-threshold", f.text_threshold,
                  "Grounding DINO: the query's phrase must score above this too (default 0.25)");
  cmd->add_option("--nms", f.nms, "NMS IoU threshold in [0, 1), or none (default 0.3; none for DETR)");
  cmd->add_flag("--class-agnostic", f.class_agnostic, "NMS across queries, not only within each query");
  f.top_k_flag = cmd->add_option("--top-k", f.top_k, "keep at most K detections (best first; default all)");
}

tasks::DetectOptions parse_detect_options(const DetectFlags& f) {
  const std::string& nms = f.nms;
  tasks::DetectOptions o;
  if (f.threshold_flag && f.threshold_flag->count()) o.threshold = f.threshold;
  o.text_threshold = f.text_threshold;
  if (nms == "none") {
    o.nms_iou = -1;
  } else if (!nms.empty()) {
    char* stop = nullptr;
    const double iou = std::strtod(nms.c_str(), &stop);
    if (*stop != '\0' || !(iou >= 0 && iou < 1)) fail("--nms \"{}\" must be an IoU in [0, 1) or \"none\"", nms);
    o.nms_iou = iou;
  }
  o.class_agnostic = f.class_agnostic;
  if (f.top_k_flag && f.top_k_flag->count()) o.top_k = f.top_k;
  tasks::check_detect_options(o);
  return o;
}

void print_warnings(const std::vector<std::string>& warnings) {
  for (const auto& w : warnings) std::fprintf(stderr, "argus: warning: %s\n", w.c_str());
}

void add_detect(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "detect", "Object detection: open-vocabulary by text (OWL-ViT, OWLv2, Grounding DINO) or exemplar (OWL), "
                "or a closed-set detector's own classes (DETR)");
  struct Opts {
    std::string model, image, out;
    std::vector<std::string> queries, exemplars;
    DetectFlags filter;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--model", o->model,
                  "owlvit, owlv2, grounding-dino or detr checkpoint directory or org/name[@rev] (default: the world "
                  "OWL-ViT)");
  cmd->add_option("--image", o->image, "image to search")->required();
  cmd->add_option("--query", o->queries, "text query, e.g. \"a photo of a dog\" (repeatable)");
  cmd->add_option("--exemplar", o->exemplars,
                  "query by example: PATH:X0,Y0,X1,Y1, a box around the object in another image (repeatable)");
  add_detect_flags(cmd, o->filter);
  cmd->add_option("--out", o->out, "write the image with the boxes drawn (PNG, one colour per query)");
  cmd->add_flag("--json", o->json, "print JSON");
  cmd->callback([o] {
    auto opts = parse_detect_options(o->filter);
    tasks::check_query_counts(o->queries.size(), o->exemplars.size());
    auto detector = tasks::Detector::open(model_or_default(o->model, "owl"));
    // Checked before any image is decoded; a closed-set detector refuses queries itself.
    if (!detector->closed_set() && o->queries.empty() && o->exemplars.empty())
      fail("detect needs at least one --query or --exemplar");
    std::vector<tasks::Exemplar> exemplars;
    for (const auto& spec : o->exemplars) exemplars.push_back(parse_exemplar(spec));
    image::Image img = image::load_image(o->image);
    auto res = detector->detect(img, o->queries, exemplars, opts);
    print_warnings(res.warnings);
    if (!o->out.empty()) {
      tasks::draw_detections(img, res.detections);
      image::encode_png(img, o->out);
    }
    if (o->json) return print_json(tasks::to_json(res));
    for (const auto& d : res.detections)
      std::printf("%.3f  %-24s  %8.1f %8.1f %8.1f %8.1f\n", d.score, d.label.c_str(), d.box[0], d.box[1], d.box[2],
                  d.box[3]);
  });
}

}  // namespace argus::cli
