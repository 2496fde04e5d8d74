#include "cli/commands.h"
#include "cli/default_models.h"
#include "image/decode.h"
#include "tasks/classify.h"

namespace argus::cli {

void add_classify(CLI::App& app) {
  auto* cmd = app.add_subcommand("classify", "Zero-shot classification of an image against text labels");
  struct Opts {
    std::string model, image, text_template = "{}";
    std::vector<std::string> labels;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--model", o->model, "CLIP or SigLIP checkpoint directory or org/name[@rev] (default: the world CLIP)");
  cmd->add_option("--image", o->image, "image file")->required();
  cmd->add_option("--label", o->labels, "candidate label (repeatable)")->required();
  cmd->add_option("--template", o->text_template, "prompt template, {} is the label (e.g. \"a photo of a {}\")");
  cmd->add_flag("--json", o->json, "print JSON");
  cmd->callback([o] {
    tasks::check_classify_request(o->labels, o->text_template);
    auto model = engine::DualEncoder::open(model_or_default(o->model, "clip"));
    auto r = tasks::classify(*model, image::load_image(o->image), o->labels, o->text_template);
    if (o->json) return print_json({{"labels", r.labels}, {"logits", r.logits}, {"probs", r.probs}});
    for (size_t i = 0; i < r.labels.size(); ++i)
      std::printf("%6.2f%%  %8.3f  %s\n", 100 * r.probs[i], r.logits[i], r.labels[i].c_str());
  });
}

}  // namespace argus::cli
