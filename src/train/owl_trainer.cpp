#include "train/owl_trainer.h"

#include <filesystem>

#include <ATen/CPUGeneratorImpl.h>

#include "io/checkpoint.h"
#include "io/json_file.h"
#include "models/clip/clip_config.h"
#include "models/owlvit/owlvit_model.h"
#include "models/owlvit/owlvit_postprocess.h"
#include "nn/load.h"
#include "text/tokenizer.h"
#include "train/clip_trainer.h"
#include "train/image_batch.h"
#include "train/model_dir.h"
#include "train/text_batch.h"
#include "util/assignment.h"
#include "util/error.h"

namespace fs = std::filesystem;

namespace argus::train {
namespace {

using models::owlvit::OwlViTForObjectDetection;

// DETR / Deformable DETR's weights: class 2, L1 5, generalised IoU 2, for both the
// matching cost and the loss.
constexpr double kClassWeight = 2, kL1Weight = 5, kGiouWeight = 2;
constexpr double kFocalAlpha = 0.25;

// The OWL-ViT detector around the CLIP in `clip_dir`: the towers and projections are
// the CLIP's tensors (strictly: each must be used, and fit), the heads are new.
OwlViTForObjectDetection detector_from_clip(const std::string& clip_dir) {
  auto ck = io::Checkpoint::open(clip_dir);
  auto clip = models::clip::parse_config(ck.config());
  models::owlvit::OwlViTConfig c;
  c.text = clip.text;
  c.vision = clip.vision;
  c.projection_dim = clip.projection_dim;
  c.logit_scale_init_value = clip.logit_scale_init_value;
  OwlViTForObjectDetection m(c);
  nn::LoadOptions opts;
  opts.ignore_suffixes = {"embeddings.position_ids"};
  opts.rename = nn::rename_table({{"vision_model.pre_layrnorm", "vision_model.pre_layernorm"}});
  nn::load_weights(*m->base, ck, opts);

  at::NoGradGuard ng;
  auto normal = [](nn::Dense& d) {
    d->weight.normal_(0, 0.02);
    if (d->bias.defined()) d->bias.zero_();
  };
  // OWL-ViT's class head starts as the CLIP's image projection, applied per patch, when
  // the spaces agree (projection width = text width, as in every CLIP we train).
  auto& ch = *m->class_head;
  if (ch.dense0->weight.sizes() == m->base->visual_projection->weight.sizes()) {
    ch.dense0->weight.copy_(m->base->visual_projection->weight);
    ch.dense0->bias.zero_();
  } else {
    normal(ch.dense0);
  }
  // Logits start near a 1 % prior (focal-loss practice): scale elu(9) + 1 = 10, shift -0.46.
  normal(ch.logit_shift);
  ch.logit_shift->bias.fill_(-0.46);
  normal(ch.logit_scale);
  ch.logit_scale->bias.fill_(9.0);
  // The box head's last layer starts at zero, so every patch first predicts the box its
  // grid bias gives it.
  normal(m->box_head->dense0);
  normal(m->box_head->dense1);
  m->box_head->dense2->weight.zero_();
  m->box_head->dense2->bias.zero_();
  return m;
}

// Sigmoid focal loss, summed, over the real queries only.
at::Tensor focal_loss_sum(const at::Tensor& logits, const at::Tensor& target, const at::Tensor& valid) {
  at::Tensor safe = at::where(valid, logits, at::zeros({}, logits.options()));
  at::Tensor p = safe.sigmoid();
  at::Tensor ce = at::binary_cross_entropy_with_logits(safe, target, {}, {}, at::Reduction::None);
  at::Tensor pt = p * target + (1 - p) * (1 - target);
  at::Tensor alpha = kFocalAlpha * target + (1 - kFocalAlpha) * (1 - target);
  return (alpha * ce * (1 - pt).pow(2) * valid.to(logits.scalar_type())).sum();
}

// The matching cost of one image: objects × patches.
at::Tensor matching_cost(const at::Tensor& logits, const at::Tensor& pred_boxes, const at::Tensor& gt_boxes,
                         const std::vector<DetectionObject>& objects) {
  at::Tensor p = logits.sigmoid();  // [P, Q]
  // Deformable DETR's focal class cost: positive term minus negative term, averaged over
  // the queries that describe the object.
  at::Tensor pos = kFocalAlpha * (1 - p).pow(2) * -(p + 1e-8).log();
  at::Tensor neg = (1 - kFocalAlpha) * p.pow(2) * -(1 - p + 1e-8).log();
  at::Tensor per_query = pos - neg;  // [P, Q]
  std::vector<at::Tensor> rows;
  for (const auto& o : objects) {
    at::Tensor q = at::tensor(o.queries, at::kLong);
    rows.push_back(per_query.index_select(1, q).mean(1));
  }
  at::Tensor cls = at::stack(rows);                                                    // [N, P]
  at::Tensor l1 = at::cdist(gt_boxes, pred_boxes, 1);                                  // [N, P]
  at::Tensor giou = models::owlvit::generalized_box_iou(models::owlvit::center_to_corners(gt_boxes),
                                                        models::owlvit::center_to_corners(pred_boxes));
  return kClassWeight * cls + kL1Weight * l1 - kGiouWeight * giou;
}

}  // namespace

TrainResult train_owl(const DetectionData& data, const std::string& clip_dir, OwlRecipe recipe,
                      const std::string& out_dir, const std::shared_ptr<Distributed>& dist) {
  const int64_t n = static_cast<int64_t>(data.images.size());
  if (n == 0 || data.objects.size() != data.images.size())
    fail("OWL training needs images each with their object list ({} images, {} object lists)", n, data.objects.size());
  if (!data.phrases.empty() && data.phrases.size() != data.images.size())
    fail("OWL training: {} phrase lists for {} images", data.phrases.size(), n);
  if (data.class_queries.empty()) fail("OWL training needs at least one class query");
  const auto n_classes = static_cast<int64_t>(data.class_queries.size());
  for (size_t i = 0; i < data.objects.size(); ++i)
    for (const auto& o : data.objects[i]) {
      if (o.queries.empty()) fail("OWL training: an object of image {} has no class query", i);
      for (int64_t q : o.queries)
        if (q < 0 || q >= n_classes) fail("OWL training: an object of image {} names class query {} of {}", i, q, n_classes);
      const auto& im = data.images[i];
      if (!(o.box[0] < o.box[2] && o.box[1] < o.box[3]) || o.box[0] < 0 || o.box[1] < 0 || o.box[2] > im.width ||
          o.box[3] > im.height)
        fail("OWL training: object box {},{},{},{} of image {} is empty or outside the {}x{} image", o.box[0], o.box[1],
             o.box[2], o.box[3], i, im.width, im.height);
    }
  for (size_t i = 0; i < data.phrases.size(); ++i)
    for (const auto& ph : data.phrases[i])
      if (ph.object < 0 || ph.object >= static_cast<int64_t>(data.objects[i].size()))
        fail("OWL training: phrase \"{}\" of image {} names object {} of {}", ph.text, i, ph.object, data.objects[i].size());
  const int world = dist ? dist->world_size() : 1, rank = dist ? dist->rank() : 0;
  const int64_t batch = std::min<int64_t>(recipe.batch_size, n);
  if (batch % world != 0) fail("the batch size {} must divide by the {} processes", batch, world);
  const int64_t local = batch / world, n_phrases = data.phrases.empty() ? 0 : recipe.phrases_per_image;
  fs::create_directories(out_dir);

  at::manual_seed(recipe.seed);
  OwlViTForObjectDetection model = detector_from_clip(clip_dir);
  const auto& cfg = model->cfg;
  auto tok = text::load_tokenizer(clip_dir);
  const int64_t context = cfg.text.max_position_embeddings, pad = cfg.text.pad_token_id;
  TokenBatch classes = tokenize_batch(*tok, data.class_queries, context, pad);
  const int64_t class_len = classes.lengths.max().item<int64_t>();
  at::Tensor class_ids = classes.ids.slice(1, 0, class_len);
  at::Tensor class_mask = (at::arange(class_len).unsqueeze(0) < classes.lengths.unsqueeze(1)).to(at::kLong);

  // Stretched to the square input, as OwlViTImageProcessor does without its crop.
  nlohmann::json processor = clip_processor_config(cfg.vision.image_size);
  processor["image_processor_type"] = "OwlViTImageProcessor";
  processor["crop_size"] = {{"height", cfg.vision.image_size}, {"width", cfg.vision.image_size}};
  at::Tensor pixels = preprocess_images(data.images, processor);
  // Ground truth as (cx, cy, w, h) relative to the image.
  std::vector<at::Tensor> gt(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const auto& im = data.images[static_cast<size_t>(i)];
    std::vector<float> rows;
    for (const auto& o : data.objects[static_cast<size_t>(i)])
      rows.insert(rows.end(), {float((o.box[0] + o.box[2]) / 2 / im.width), float((o.box[1] + o.box[3]) / 2 / im.height),
                               float((o.box[2] - o.box[0]) / im.width), float((o.box[3] - o.box[1]) / im.height)});
    gt[static_cast<size_t>(i)] = at::tensor(rows, at::kFloat).view({-1, 4});
  }

  if (recipe.train.checkpoint_dir.empty()) recipe.train.checkpoint_dir = out_dir + "/checkpoint";
  TrainLoop loop(*model, models::owlvit::to_json(cfg), recipe.train, dist);
  StepFn step = [&](int64_t s) {
    // The global batch of step s depends only on (seed, s): resumed and parallel runs agree.
    auto gen = at::make_generator<at::CPUGeneratorImpl>(recipe.seed * 1000003ull + static_cast<uint64_t>(s));
    at::Tensor images = at::randperm(n, gen).slice(0, 0, batch).slice(0, rank * local, (rank + 1) * local);
    at::Tensor pick = at::rand({batch, std::max<int64_t>(n_phrases, 1)}, gen, at::kDouble)
                          .slice(0, rank * local, (rank + 1) * local);
    auto img = images.accessor<int64_t, 1>();

    // Per image: up to n_phrases referring expressions (drawn with replacement), padded.
    std::vector<std::string> texts;
    std::vector<std::vector<int64_t>> phrase_object(static_cast<size_t>(local));
    for (int64_t i = 0; i < local && n_phrases > 0; ++i) {
      const auto& list = data.phrases[static_cast<size_t>(img[i])];
      for (int64_t r = 0; r < n_phrases && !list.empty(); ++r) {
        auto k = std::min(list.size() - 1, static_cast<size_t>(pick[i][r].item<double>() * double(list.size())));
        texts.push_back(list[k].text);
        phrase_object[static_cast<size_t>(i)].push_back(list[k].object);
      }
    }

    at::Tensor feats = model->image_features(pixels.index_select(0, images));  // [b, P, D]
    at::Tensor pred_boxes = model->box_predictor(feats);                         // [b, P, 4]
    at::Tensor class_emb = model->base->text_embeds(class_ids, class_mask);     // [C, E]
    at::Tensor queries = class_emb.unsqueeze(0).expand({local, -1, -1});
    at::Tensor valid = at::ones({local, n_classes}, at::kBool);
    if (n_phrases > 0) {
      at::Tensor phrase_emb = at::zeros({local, n_phrases, class_emb.size(1)});
      at::Tensor phrase_valid = at::zeros({local, n_phrases}, at::kBool);
      if (!texts.empty()) {
        TokenBatch tb = tokenize_batch(*tok, texts, context, pad);
        int64_t len = tb.lengths.max().item<int64_t>();
        at::Tensor mask = (at::arange(len).unsqueeze(0) < tb.lengths.unsqueeze(1)).to(at::kLong);
        at::Tensor emb = model->base->text_embeds(tb.ids.slice(1, 0, len), mask);
        std::vector<int64_t> slots;
        for (int64_t i = 0; i < local; ++i)
          for (size_t r = 0; r < phrase_object[static_cast<size_t>(i)].size(); ++r) slots.push_back(i * n_phrases + int64_t(r));
        at::Tensor slot_t = at::tensor(slots, at::kLong);
        phrase_emb = phrase_emb.view({local * n_phrases, -1}).index_copy(0, slot_t, emb).view({local, n_phrases, -1});
        phrase_valid.view({-1}).index_fill_(0, slot_t, true);
      }
      queries = at::cat({queries, phrase_emb}, 1);
      valid = at::cat({valid, phrase_valid}, 1);
    }
    at::Tensor logits = model->class_head(feats, queries, valid).logits;  // [b, P, Q]

    // Hungarian matching per image, then the targets.
    at::Tensor target = at::zeros_like(logits);
    std::vector<int64_t> match_image, match_patch;
    std::vector<at::Tensor> match_gt;
    {
      at::NoGradGuard ng;
      for (int64_t i = 0; i < local; ++i) {
        const auto& objects = data.objects[static_cast<size_t>(img[i])];
        if (objects.empty()) continue;
        const at::Tensor& g = gt[static_cast<size_t>(img[i])];
        at::Tensor cost = matching_cost(logits[i].slice(1, 0, n_classes), pred_boxes[i], g, objects).to(at::kDouble).contiguous();
        std::vector<double> c(cost.data_ptr<double>(), cost.data_ptr<double>() + cost.numel());
        auto patch_of = min_cost_assignment(c, cost.size(0), cost.size(1));
        for (size_t o = 0; o < objects.size(); ++o) {
          int64_t p = patch_of[o];
          if (p < 0) continue;  // more objects than patches
          for (int64_t q : objects[o].queries) target[i][p][q] = 1;
          const auto& po = phrase_object[static_cast<size_t>(i)];
          for (size_t r = 0; r < po.size(); ++r)
            if (po[r] == static_cast<int64_t>(o)) target[i][p][n_classes + int64_t(r)] = 1;
          match_image.push_back(i);
          match_patch.push_back(p);
          match_gt.push_back(g[static_cast<int64_t>(o)]);
        }
      }
    }
    const double num_boxes = std::max<double>(1.0, double(match_image.size()));
    at::Tensor valid_bpq = valid.unsqueeze(1).expand_as(logits);
    at::Tensor loss = kClassWeight * focal_loss_sum(logits, target, valid_bpq) / num_boxes;
    if (!match_image.empty()) {
      at::Tensor bi = at::tensor(match_image, at::kLong), pi = at::tensor(match_patch, at::kLong);
      at::Tensor matched = pred_boxes.index({bi, pi});  // [M, 4]
      at::Tensor truth = at::stack(match_gt);
      at::Tensor l1 = (matched - truth).abs().sum() / num_boxes;
      at::Tensor giou = models::owlvit::generalized_box_iou(models::owlvit::center_to_corners(matched),
                                                            models::owlvit::center_to_corners(truth))
                            .diagonal();
      loss = loss + kL1Weight * l1 + kGiouWeight * (1 - giou).sum() / num_boxes;
    }
    return StepOutput{loss, local};
  };
  TrainResult result = loop.run(step, GradReduction::Mean);

  if (rank == 0) {
    nlohmann::json rec = recipe_record("owl-vit-detection", recipe.seed, batch, recipe.train, world, result);
    rec["clip"] = clip_dir;
    rec["images"] = n;
    rec["class_queries"] = data.class_queries;
    write_model_dir(out_dir, state_dict(*model), models::owlvit::to_json(cfg), processor, rec);
    for (const char* f : {"vocab.json", "merges.txt"})  // the CLIP's tokenizer
      fs::copy_file(fs::path(clip_dir) / f, fs::path(out_dir) / f, fs::copy_options::overwrite_existing);
  }
  if (dist) dist->barrier();
  return result;
}

}  // namespace argus::train
