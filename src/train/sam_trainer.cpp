#include "train/sam_trainer.h"

#include <filesystem>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/nn/functional/loss.h>

#include "image/processor_config.h"
#include "models/sam/sam_model.h"
#include "models/sam/sam_postprocess.h"
#include "train/image_batch.h"
#include "train/init_weights.h"
#include "train/model_dir.h"
#include "util/error.h"
#include "util/progress.h"

namespace fs = std::filesystem;

namespace argus::train {
namespace {

// Every object's mask in the model's low-res frame (the padded input at 1/2 scale for
// the small SAM: what the decoder outputs), and its box in the input frame.
struct Targets {
  at::Tensor masks;                 // [N, S, S] float 0/1
  at::Tensor boxes;                 // [N, 4] x0 y0 x1 y1, input pixels
  std::vector<int64_t> image_of;    // object row -> image index
};

Targets low_res_targets(const MaskedImages& data, int64_t input_size, int64_t low_res, int rank) {
  Targets t;
  std::vector<at::Tensor> masks;
  std::vector<double> boxes;  // x0 y0 x1 y1 per object
  std::unique_ptr<Progress> progress;
  if (rank == 0) progress = std::make_unique<Progress>("preparing masks", static_cast<int64_t>(data.images.size()));
  for (size_t i = 0; i < data.images.size(); ++i) {
    const auto& im = data.images[i];
    auto g = models::sam::sam_geometry(im.height, im.width, input_size);
    const double sx = double(g.resized_width) / im.width, sy = double(g.resized_height) / im.height;
    for (const auto& o : data.objects[i]) {
      if (o.mask.size() != static_cast<size_t>(im.height) * static_cast<size_t>(im.width))
        fail("SAM training: an object mask of image {} is not the image's size", i);
      at::Tensor m = at::from_blob(const_cast<uint8_t*>(o.mask.data()), {1, 1, im.height, im.width}, at::kByte)
                         .to(at::kFloat);
      m = at::upsample_bilinear2d(m, {g.resized_height, g.resized_width}, false);
      m = at::constant_pad_nd(m, {0, input_size - g.resized_width, 0, input_size - g.resized_height}, 0);
      m = (at::adaptive_avg_pool2d(m, {low_res, low_res}) > 0.5).to(at::kFloat)[0][0];
      if (m.sum().item<double>() < 1) continue;  // too small to see at this resolution
      masks.push_back(m);
      boxes.insert(boxes.end(), {o.box[0] * sx, o.box[1] * sy, o.box[2] * sx, o.box[3] * sy});
      t.image_of.push_back(static_cast<int64_t>(i));
    }
    if (progress) progress->step();
  }
  if (progress) progress->finish();
  if (masks.empty()) fail("SAM training: no object is large enough to train on");
  t.masks = at::stack(masks);
  t.boxes = at::tensor(boxes, at::kDouble).view({-1, 4}).to(at::kFloat);
  return t;
}

// Sigmoid focal loss (alpha 0.25, gamma 2) and dice loss of each mask: [B, M].
std::pair<at::Tensor, at::Tensor> mask_losses(const at::Tensor& logits, const at::Tensor& target) {
  at::Tensor p = logits.sigmoid();
  at::Tensor ce = at::binary_cross_entropy_with_logits(logits, target, {}, {}, at::Reduction::None);
  at::Tensor pt = p * target + (1 - p) * (1 - target);
  at::Tensor alpha = 0.25 * target + 0.75 * (1 - target);
  at::Tensor focal = (alpha * ce * (1 - pt).pow(2)).flatten(2).mean(-1);
  at::Tensor inter = (p * target).flatten(2).sum(-1), total = p.flatten(2).sum(-1) + target.flatten(2).sum(-1);
  at::Tensor dice = 1 - (2 * inter + 1) / (total + 1);
  return {focal, dice};
}

// One prompt's loss per sample: the best of its M masks (focal 20 : dice 1), plus the
// IoU head's squared error against each mask's actual IoU. logits [B, M, S, S],
// iou_pred [B, M], target [B, 1, S, S]; mean over the batch.
at::Tensor mask_loss(const at::Tensor& logits, const at::Tensor& iou_pred, const at::Tensor& target) {
  auto [focal, dice] = mask_losses(logits, target.expand_as(logits));
  at::Tensor best = std::get<0>((20 * focal + dice).min(1));
  at::Tensor actual;
  {
    at::NoGradGuard ng;
    at::Tensor pred = (logits > 0).to(at::kFloat);
    at::Tensor inter = (pred * target).flatten(2).sum(-1);
    at::Tensor uni = ((pred + target) > 0).to(at::kFloat).flatten(2).sum(-1);
    actual = inter / uni.clamp_min(1);
  }
  return best.mean() + at::mse_loss(iou_pred, actual);
}

}  // namespace

models::sam::SamConfig small_sam_config() {
  models::sam::SamConfig c;
  auto& v = c.vision;
  v.image_size = 128;
  v.patch_size = 8;
  v.hidden_size = 128;
  v.num_hidden_layers = 4;
  v.num_attention_heads = 4;
  v.mlp_dim = 512;
  v.window_size = 8;
  v.global_attn_indexes = {1, 3};
  v.output_channels = 64;
  v.num_pos_feats = 32;
  c.prompt.hidden_size = 64;
  c.prompt.image_size = 128;
  c.prompt.patch_size = 8;
  c.prompt.image_embedding_size = 16;
  c.decoder.hidden_size = 64;
  c.decoder.num_attention_heads = 4;
  c.decoder.mlp_dim = 256;
  c.decoder.iou_head_hidden_dim = 64;
  return c;
}

nlohmann::json sam_processor_config(int64_t size) {
  return {{"image_processor_type", "SamImageProcessor"},
          {"do_resize", true},
          {"size", {{"longest_edge", size}}},
          {"resample", 2},
          {"do_rescale", true},
          {"rescale_factor", 1.0 / 255.0},
          {"do_normalize", true},
          {"image_mean", {0.485, 0.456, 0.406}},
          {"image_std", {0.229, 0.224, 0.225}},
          {"do_pad", true},
          {"pad_size", {{"height", size}, {"width", size}}},
          {"do_convert_rgb", true}};
}

TrainResult train_sam(const MaskedImages& data, SamRecipe recipe, const std::string& out_dir,
                      const std::shared_ptr<Distributed>& dist) {
  if (data.images.empty() || data.images.size() != data.objects.size())
    fail("SAM training needs images each with their object masks ({} images, {} object lists)", data.images.size(),
         data.objects.size());
  const int world = dist ? dist->world_size() : 1, rank = dist ? dist->rank() : 0;
  const int64_t batch = recipe.batch_size;
  if (batch < 2 || batch % (2 * world) != 0)
    fail("the SAM batch size {} must be a multiple of 2 x the {} processes (half points, half boxes)", batch, world);
  fs::create_directories(out_dir);
  const auto& arch = recipe.arch;
  const int64_t size = arch.vision.image_size, low_res = 4 * arch.vision.grid();
  const nlohmann::json processor = sam_processor_config(size);
  const auto proc = image::parse_image_processor_config(processor);
  Targets targets = low_res_targets(data, size, low_res, rank);
  const int64_t n = targets.masks.size(0), local = batch / world, half = local / 2;

  at::manual_seed(recipe.seed);
  models::sam::SamModel model(arch);
  // The ViT as the other trainers start theirs; the decoder and prompt encoder keep
  // PyTorch's default initialisation, as SAM's do.
  init_weights(*model->vision_encoder, arch.vision.num_hidden_layers);

  if (recipe.train.checkpoint_dir.empty()) recipe.train.checkpoint_dir = out_dir + "/checkpoint";
  TrainLoop loop(*model, models::sam::to_json(arch), recipe.train, dist);
  StepFn step = [&](int64_t s) {
    // The global batch of step s depends only on (seed, s): resumed and parallel runs agree.
    auto gen = at::make_generator<at::CPUGeneratorImpl>(recipe.seed * 1000003ull + static_cast<uint64_t>(s));
    at::Tensor rows = at::randint(n, {batch}, gen, at::kLong).slice(0, rank * local, (rank + 1) * local);
    at::Tensor u = at::rand({half}, gen, at::kDouble);
    at::Tensor noise = at::randn({local, 4}, gen, at::kDouble);
    std::vector<const image::Image*> images;
    auto r = rows.accessor<int64_t, 1>();
    for (int64_t i = 0; i < local; ++i) images.push_back(&data.images[static_cast<size_t>(targets.image_of[static_cast<size_t>(r[i])])]);
    at::Tensor gt = targets.masks.index_select(0, rows).unsqueeze(1);  // [b, 1, S, S]
    // Points: a random cell of the object's low-res mask, at its centre in input pixels.
    at::Tensor points = at::empty({half, 1, 1, 2}, at::kFloat);
    const double cell = double(size) / double(low_res);
    for (int64_t i = 0; i < half; ++i) {
      at::Tensor fg = gt[i][0].nonzero();  // [k, 2] (y, x)
      int64_t k = std::min<int64_t>(fg.size(0) - 1, static_cast<int64_t>(u[i].item<double>() * double(fg.size(0))));
      points[i][0][0][0] = (fg[k][1].item<double>() + 0.5) * cell;
      points[i][0][0][1] = (fg[k][0].item<double>() + 0.5) * cell;
    }
    // Boxes: the object's, each side jittered by ~5 % of the box (SAM's box noise).
    at::Tensor boxes = targets.boxes.index_select(0, rows.slice(0, half, local)).to(at::kDouble);
    at::Tensor wh = (boxes.slice(1, 2, 4) - boxes.slice(1, 0, 2)).repeat({1, 2});
    boxes = (boxes + 0.05 * wh * noise.slice(0, half, local)).clamp(0, double(size)).to(at::kFloat).unsqueeze(1);

    at::Tensor emb = model->image_embeddings(preprocess_images(images, proc));
    // As SAM: a single point is ambiguous, so it gets three masks and only the best one is
    // penalised; a box is not, and trains the single-mask output.
    auto by_point = model->predict(emb.slice(0, 0, half), points, at::ones({half, 1, 1}, at::kLong), {}, {}, true);
    auto by_box = model->predict(emb.slice(0, half), {}, {}, boxes, {}, false);
    at::Tensor point_loss = mask_loss(by_point.low_res_masks.squeeze(1), by_point.iou_scores.squeeze(1), gt.slice(0, 0, half));
    at::Tensor box_loss = mask_loss(by_box.low_res_masks.squeeze(1), by_box.iou_scores.squeeze(1), gt.slice(0, half));
    at::Tensor loss = (point_loss + box_loss) / 2;
    return StepOutput{loss, local};
  };
  TrainResult result = loop.run(step, GradReduction::Mean);

  if (rank == 0) {
    std::map<std::string, at::Tensor> tensors = state_dict(*model, true);
    // transformers keeps the prompt encoder's tied copy of the positional embedding too.
    tensors["prompt_encoder.shared_embedding.positional_embedding"] =
        model->shared_image_embedding->positional_embedding.detach();
    nlohmann::json rec = recipe_record("sam (points and boxes, best-of-3 focal + dice, IoU head)", recipe.seed, batch,
                                       recipe.train, world, result);
    rec["objects"] = n;
    rec["images"] = data.images.size();
    write_model_dir(out_dir, tensors, models::sam::to_json(arch), processor, rec);
  }
  if (dist) dist->barrier();
  return result;
}

}  // namespace argus::train
