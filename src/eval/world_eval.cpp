#include "eval/world_eval.h"

#include <cctype>
#include <filesystem>
#include <set>

#include "engine/dual_encoder.h"
#include "image/decode.h"
#include "tasks/chat/chat_completion.h"
#include "text/chat_template.h"
#include "train/llava_trainer.h"
#include "train/world_data.h"
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

std::string split_name(const world::WorldSplit& split) { return fs::path(split.dir).filename().string(); }

// The images a run evaluates: the split's first `max_images` (0: all of them).
std::vector<const world::ImageRecord*> evaluated_images(const world::WorldSplit& split, int64_t max_images) {
  std::vector<const world::ImageRecord*> images;
  for (const auto& im : split.images)
    if (max_images <= 0 || static_cast<int64_t>(images.size()) < max_images) images.push_back(&im);
  return images;
}


nlohmann::json evaluate_clip(const std::string& model_dir, const world::WorldSplit& split, int64_t max_images) {
  auto enc = engine::DualEncoder::open(model_dir);
  std::vector<const world::ImageRecord*> images = evaluated_images(split, max_images);
  if (images.empty()) fail("{}: no images to evaluate", split.dir);
  at::Tensor image_emb = embed_images_batched(*enc, split, images, "embedding " + split_name(split));

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
    if (it == captions_of.end() || it->second.empty()) fail("{}: image {} has no caption", split.dir, im->id);
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

namespace {

// Exact match after the usual VQA normalisation: case, surrounding space, a final period.
std::string normalise_answer(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  while (!s.empty() && (std::isspace(static_cast<unsigned char>(s.back())) || s.back() == '.')) s.pop_back();
  size_t b = 0;
  while (b < s.size() && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  return s.substr(b);
}

}  // namespace

nlohmann::json evaluate_llava(const std::string& model_dir, const world::WorldSplit& split, int64_t max_images) {
  auto model = tasks::ChatModel::open(model_dir);
  auto tmpl = text::ChatTemplate::for_model(model_dir);
  std::set<int64_t> kept;
  for (const auto* im : evaluated_images(split, max_images)) kept.insert(im->id);
  tasks::GenerateOptions opts;
  opts.max_new_tokens = 8;
  opts.eos_ids = model->eos_ids();
  std::map<int64_t, at::Tensor> features;
  auto ask = [&](const world::QuestionRecord& q) {
    auto it = features.find(q.image_id);
    if (it == features.end())
      it = features.emplace(q.image_id, model->encode_image(image::load_image(split.image_path(split.image(q.image_id))))).first;
    auto messages = nlohmann::json::array({train::image_question(q.question + " " + train::kShortAnswerPrompt)});
    auto reply = tasks::complete_chat(*model, tmpl, messages, {it->second}, opts, {});
    return normalise_answer(reply.text) == normalise_answer(q.answer);
  };
  std::map<std::string, std::pair<int64_t, int64_t>> by_type;  // right, asked
  int64_t vqa_right = 0, vqa_total = 0, pope_right = 0, pope_total = 0;
  int64_t questions = 0;
  for (const auto* list : {&split.vqa, &split.pope})
    for (const auto& q : *list) questions += kept.count(q.image_id);
  Progress progress("asking " + split_name(split), questions);
  for (const auto& q : split.vqa) {
    if (!kept.count(q.image_id)) continue;
    bool ok = ask(q);
    vqa_right += ok;
    ++vqa_total;
    by_type[q.type].first += ok;
    ++by_type[q.type].second;
    progress.step();
  }
  for (const auto& q : split.pope) {
    if (!kept.count(q.image_id)) continue;
    pope_right += ask(q);
    ++pope_total;
    progress.step();
  }
  progress.finish();
  auto frac = [](int64_t a, int64_t b) { return b > 0 ? nlohmann::json(double(a) / double(b)) : nlohmann::json(); };
  nlohmann::json types = nlohmann::json::object();
  for (const auto& [t, ra] : by_type) types[t] = frac(ra.first, ra.second);
  return {{"vqa_acc", frac(vqa_right, vqa_total)},
          {"vqa_by_type", types},
          {"pope_acc", frac(pope_right, pope_total)},
          {"counts", {{"vqa_questions", vqa_total}, {"pope_questions", pope_total}}}};
}

nlohmann::json evaluate_world(const WorldEvalOptions& o) {
  if (!fs::exists(fs::path(o.data_dir) / "world.json")) fail("{}: not a generated world (no world.json)", o.data_dir);
  nlohmann::json out = {{"splits", nlohmann::json::object()}};
  for (const auto& split : o.splits) {
    // Read once; both evaluators ask about the same images.
    const world::WorldSplit data = world::load_split((fs::path(o.data_dir) / split).string());
    nlohmann::json m = {{"zero_shot_acc", nullptr}, {"retrieval_r1", nullptr}, {"vqa_acc", nullptr},
                        {"vqa_by_type", nullptr},   {"pope_acc", nullptr},     {"det_ap50", nullptr},
                        {"point_miou", nullptr},    {"refer_iou", nullptr}};
    nlohmann::json counts = nlohmann::json::object();
    auto merge = [&](nlohmann::json part) {
      counts.update(part["counts"]);
      part.erase("counts");
      m.update(part);
    };
    // Each model present is measured; an absent one leaves its metrics null.
    using Evaluator = nlohmann::json (*)(const std::string&, const world::WorldSplit&, int64_t);
    for (auto [name, evaluate] : {std::pair<const char*, Evaluator>{"clip", &evaluate_clip},
                                  {"llava", &evaluate_llava},
                                  {"sam", &evaluate_sam},
                                  {"owl", &evaluate_owl}}) {
      std::string dir = (fs::path(o.models_dir) / name).string();
      // The CLIP may be in open_clip's layout (the ResNet tower).
      if (fs::exists(fs::path(dir) / "config.json") || fs::exists(fs::path(dir) / "open_clip_config.json"))
        merge(evaluate(dir, data, o.max_images));
    }
    m["counts"] = counts;
    out["splits"][split] = m;
  }
  return out;
}

}  // namespace argus::eval
