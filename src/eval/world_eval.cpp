#include "eval/world_eval.h"

#include <filesystem>

#include "engine/dual_encoder.h"
#include "image/decode.h"
#include "util/error.h"
#include "util/progress.h"
#include "world/attributes.h"
#include "world/describe.h"
#include "world/load.h"

namespace fs = std::filesystem;

namespace argus::eval {
namespace {

// Prompt ensembling (Radford et al.): the mean of several phrasings' embeddings, in the
// forms the world's captions use.
at::Tensor class_embeddings(engine::DualEncoder& enc, const std::vector<std::string>& names) {
  static const std::vector<std::string> templates = {"{}", "a picture of {}", "an image of {}", "a drawing of {}"};
  at::Tensor sum;
  for (const auto& t : templates) {
    std::vector<std::string> prompts;
    for (const auto& n : names) prompts.push_back(fmt::format(fmt::runtime(t), world::with_article(n)));
    at::Tensor e = enc.embed_texts(prompts);
    sum = sum.defined() ? sum + e : e;
  }
  return sum / sum.norm(2, -1, true);
}

at::Tensor embed_images_batched(engine::DualEncoder& enc, const world::WorldSplit& split,
                                const std::vector<const world::ImageRecord*>& images, const std::string& what) {
  std::vector<at::Tensor> parts;
  Progress progress(what, static_cast<int64_t>(images.size()));
  for (size_t i = 0; i < images.size(); i += 64) {
    std::vector<image::Image> batch;
    for (size_t j = i; j < std::min(images.size(), i + 64); ++j) batch.push_back(image::load_image(split.image_path(*images[j])));
    parts.push_back(enc.embed_images(batch));
    progress.step(static_cast<int64_t>(batch.size()));
  }
  progress.finish();
  return at::cat(parts);
}

}  // namespace

nlohmann::json evaluate_clip(const std::string& model_dir, const std::string& split_dir, int64_t max_images) {
  auto enc = engine::DualEncoder::open(model_dir);
  world::WorldSplit split = world::load_split(split_dir);
  std::vector<const world::ImageRecord*> images;
  for (const auto& im : split.images)
    if (max_images <= 0 || static_cast<int64_t>(images.size()) < max_images) images.push_back(&im);
  if (images.empty()) fail("{}: no images to evaluate", split_dir);
  at::Tensor image_emb = embed_images_batched(*enc, split, images, "embedding " + fs::path(split_dir).filename().string());

  // Zero-shot: every single-object scene against all (colour, shape) names.
  std::vector<std::string> names;
  std::vector<std::pair<std::string, std::string>> classes;
  for (int c = 0; c < world::kNumColours; ++c)
    for (int s = 0; s < world::kNumShapes; ++s) {
      auto colour = world::name(static_cast<world::Colour>(c));
      auto shape = world::name(static_cast<world::Shape>(s));
      names.push_back(std::string(colour) + " " + shape);
      classes.emplace_back(colour, shape);
    }
  at::Tensor class_emb = class_embeddings(*enc, names);
  int64_t zs_total = 0, zs_right = 0, shape_right = 0, colour_right = 0;
  for (size_t i = 0; i < images.size(); ++i) {
    auto anns = split.annotations_of(images[i]->id);
    if (anns.size() != 1) continue;
    int64_t best = at::matmul(image_emb[static_cast<int64_t>(i)], class_emb.t()).argmax().item<int64_t>();
    ++zs_total;
    bool shape_ok = classes[best].second == anns[0]->shape, colour_ok = classes[best].first == anns[0]->colour;
    zs_right += shape_ok && colour_ok;
    shape_right += shape_ok;
    colour_right += colour_ok;
  }

  // Text -> image R@1 with each image's first caption. A hit is a retrieved image that the
  // caption describes exactly (it is among that image's captions): scenes can coincide.
  std::map<int64_t, std::vector<std::string>> captions_of;
  for (const auto& c : split.captions) captions_of[c.image_id].push_back(c.caption);
  std::vector<std::string> queries;
  for (const auto* im : images) {
    auto it = captions_of.find(im->id);
    if (it == captions_of.end() || it->second.empty()) fail("{}: image {} has no caption", split_dir, im->id);
    queries.push_back(it->second.front());
  }
  std::vector<at::Tensor> text_parts;
  for (size_t i = 0; i < queries.size(); i += 256)
    text_parts.push_back(enc->embed_texts({queries.begin() + i, queries.begin() + std::min(queries.size(), i + 256)}));
  at::Tensor top = at::matmul(at::cat(text_parts), image_emb.t()).argmax(1);
  int64_t r1 = 0;
  for (size_t q = 0; q < queries.size(); ++q) {
    const auto& caps = captions_of[images[top[static_cast<int64_t>(q)].item<int64_t>()]->id];
    r1 += std::find(caps.begin(), caps.end(), queries[q]) != caps.end();
  }

  auto frac = [](int64_t a, int64_t b) { return b > 0 ? nlohmann::json(double(a) / double(b)) : nlohmann::json(); };
  return {{"zero_shot_acc", frac(zs_right, zs_total)},
          {"zero_shot_shape_acc", frac(shape_right, zs_total)},
          {"zero_shot_colour_acc", frac(colour_right, zs_total)},
          {"retrieval_r1", frac(r1, static_cast<int64_t>(queries.size()))},
          {"counts", {{"zero_shot_images", zs_total}, {"retrieval_queries", queries.size()}}}};
}

nlohmann::json evaluate_world(const WorldEvalOptions& o) {
  if (!fs::exists(fs::path(o.data_dir) / "world.json")) fail("{}: not a generated world (no world.json)", o.data_dir);
  nlohmann::json out = {{"splits", nlohmann::json::object()}};
  for (const auto& split : o.splits) {
    std::string split_dir = (fs::path(o.data_dir) / split).string();
    nlohmann::json m = {{"zero_shot_acc", nullptr}, {"retrieval_r1", nullptr}, {"vqa_acc", nullptr},
                        {"vqa_by_type", nullptr},   {"pope_acc", nullptr},     {"det_ap50", nullptr},
                        {"point_miou", nullptr},    {"refer_iou", nullptr}};
    std::string clip_dir = (fs::path(o.models_dir) / "clip").string();
    if (fs::exists(fs::path(clip_dir) / "config.json")) m.update(evaluate_clip(clip_dir, split_dir, o.max_images));
    out["splits"][split] = m;
  }
  return out;
}

}  // namespace argus::eval
