#include "cli/commands.h"
#include "cli/default_models.h"
#include "engine/dual_encoder.h"
#include "image/decode.h"
#include "tasks/embed_limits.h"
#include "util/error.h"

namespace argus::cli {

namespace {
nlohmann::json rows(const at::Tensor& t) {
  nlohmann::json out = nlohmann::json::array();
  at::Tensor c = t.contiguous().to(at::kFloat);
  for (int64_t i = 0; i < c.size(0); ++i) {
    const float* p = c[i].data_ptr<float>();
    out.push_back(std::vector<float>(p, p + c.size(1)));
  }
  return out;
}
}  // namespace

void add_embed(CLI::App& app) {
  auto* cmd = app.add_subcommand("embed", "Projected, L2-normalised image and text embeddings (CLIP, SigLIP)");
  struct Opts {
    std::string model;
    std::vector<std::string> images, texts;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--model", o->model, "CLIP or SigLIP checkpoint directory or org/name[@rev] (default: the world CLIP)");
  cmd->add_option("--image", o->images, "image file (repeatable)");
  cmd->add_option("--text", o->texts, "text (repeatable)");
  cmd->add_flag("--json", o->json, "print JSON (the only output format)");
  cmd->callback([o] {
    if (o->images.empty() && o->texts.empty()) fail("embed needs at least one --image or --text");
    tasks::check_embed_counts(o->texts.size(), o->images.size());
    auto model = engine::DualEncoder::open(model_or_default(o->model, "clip"));
    std::vector<image::Image> images;
    for (const auto& p : o->images) images.push_back(image::load_image(p));
    nlohmann::json out = {{"image_embeds", nlohmann::json::array()}, {"text_embeds", nlohmann::json::array()}};
    if (!images.empty()) out["image_embeds"] = rows(model->embed_images(images));
    if (!o->texts.empty()) out["text_embeds"] = rows(model->embed_texts(o->texts));
    print_json(out);
  });
}

}  // namespace argus::cli
