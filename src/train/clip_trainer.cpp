#include "train/clip_trainer.h"

#include <cmath>
#include <filesystem>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/nn/functional/loss.h>

#include "text/bpe_trainer.h"
#include "text/tokenizer.h"
#include "train/clip_towers.h"
#include "train/model_dir.h"
#include "train/text_batch.h"
#include "util/error.h"

namespace argus::train {
namespace {

constexpr double kMaxLogitScale = 4.6052;  // ln 100, CLIP's clamp

struct TokenizedCaptions {
  TokenBatch batch;            // every caption, padded with EOS
  std::vector<int64_t> first;  // first caption row of each image (and one past the end)
  TokenBatch negatives;        // row r: caption r's hard negative (when used)
  at::Tensor has_negative;     // [rows] bool
};

TokenizedCaptions tokenize_captions(const CaptionedImages& data, const text::Tokenizer& tok, int64_t max_len,
                                    bool negatives) {
  if (negatives && data.hard_negatives.size() != data.captions.size())
    fail("CLIP training: {} hard-negative lists for {} images", data.hard_negatives.size(), data.captions.size());
  TokenizedCaptions t;
  std::vector<std::string> all, negs;
  for (size_t i = 0; i < data.captions.size(); ++i) {
    t.first.push_back(static_cast<int64_t>(all.size()));
    all.insert(all.end(), data.captions[i].begin(), data.captions[i].end());
    if (negatives) {
      if (data.hard_negatives[i].size() != data.captions[i].size())
        fail("CLIP training: image {} has {} captions but {} hard negatives", i, data.captions[i].size(),
             data.hard_negatives[i].size());
      negs.insert(negs.end(), data.hard_negatives[i].begin(), data.hard_negatives[i].end());
    }
  }
  t.first.push_back(static_cast<int64_t>(all.size()));
  t.batch = tokenize_batch(tok, all, max_len, tok.eos_id());
  if (negatives) {
    t.negatives = tokenize_batch(tok, negs, max_len, tok.eos_id());
    t.has_negative = at::empty({static_cast<int64_t>(negs.size())}, at::kBool);
    for (size_t r = 0; r < negs.size(); ++r) t.has_negative[static_cast<int64_t>(r)] = !negs[r].empty();
  }
  return t;
}

// Rows `rows` of a token batch, cut to their longest.
std::pair<at::Tensor, at::Tensor> select_tokens(const TokenBatch& b, const at::Tensor& rows, int64_t len) {
  at::Tensor ids = b.ids.index_select(0, rows).slice(1, 0, len);
  at::Tensor mask = at::arange(len).unsqueeze(0) < b.lengths.index_select(0, rows).unsqueeze(1);
  return {ids, mask.to(at::kLong)};
}

// Every image's patch labels, [N, P].
at::Tensor all_patch_labels(const CaptionedImages& data, const models::clip::ClipVisionConfig& v) {
  if (data.label_maps.size() != data.images.size() || data.label_classes < 2)
    fail("token labelling needs a label map per image and at least 2 classes ({} maps for {} images, {} classes)",
         data.label_maps.size(), data.images.size(), data.label_classes);
  const int64_t side = v.image_size / v.patch_size, n = static_cast<int64_t>(data.images.size());
  at::Tensor labels = at::empty({n, side * side}, at::kLong);
  for (int64_t i = 0; i < n; ++i) {
    const auto& map = data.label_maps[static_cast<size_t>(i)];
    const auto& im = data.images[static_cast<size_t>(i)];
    if (map.width != im.width || map.height != im.height)
      fail("the label map of image {} is {}x{}, the image {}x{}", i, map.width, map.height, im.width, im.height);
    auto row = patch_majority_labels(map, v.image_size, v.patch_size, data.label_classes);
    std::copy(row.begin(), row.end(), labels[i].data_ptr<int64_t>());
  }
  return labels;
}

}  // namespace

std::vector<int64_t> patch_majority_labels(const image::GrayImage& map, int64_t image_size, int64_t patch,
                                           int64_t classes) {
  if (patch < 1 || image_size % patch != 0)
    fail("a {}-pixel input does not divide into {}-pixel patches", image_size, patch);
  if (map.width < 1 || map.height < 1 || map.pixels.size() != static_cast<size_t>(map.width) * map.height)
    fail("a label map of {}x{} pixels holds {} values", map.width, map.height, map.pixels.size());
  const int64_t side = image_size / patch;
  std::vector<int64_t> votes(static_cast<size_t>(side * side * classes), 0);
  for (int64_t y = 0; y < image_size; ++y) {
    // The input pixel's centre, back in the map (the resize stretches each axis).
    const int64_t sy = std::min<int64_t>(map.height - 1, (2 * y + 1) * map.height / (2 * image_size));
    for (int64_t x = 0; x < image_size; ++x) {
      const int64_t sx = std::min<int64_t>(map.width - 1, (2 * x + 1) * map.width / (2 * image_size));
      const int64_t c = map.pixels[static_cast<size_t>(sy * map.width + sx)];
      if (c >= classes) fail("label map value {} at ({}, {}) is not below the {} classes", c, sx, sy, classes);
      ++votes[static_cast<size_t>(((y / patch) * side + x / patch) * classes + c)];
    }
  }
  std::vector<int64_t> labels(static_cast<size_t>(side * side));
  for (size_t p = 0; p < labels.size(); ++p) {
    auto first = votes.begin() + static_cast<std::ptrdiff_t>(p * static_cast<size_t>(classes));
    labels[p] = std::max_element(first, first + classes) - first;  // the first maximum: background wins ties
  }
  return labels;
}

models::clip::ClipConfig small_clip_config() {
  models::clip::ClipConfig c;
  // 96 pixels in 12-pixel patches: 64 tokens, as cheap as 64/8, with the objects' outlines
  // at 2.25x the pixels. (8-pixel patches learnt shapes no better in 600 steps.)
  c.vision.image_size = 96;
  c.vision.patch_size = 12;
  c.vision.enc = {128, 512, 4, 4, 1e-5, "quick_gelu"};
  c.text.enc = {128, 512, 4, 4, 1e-5, "quick_gelu"};
  c.text.max_position_embeddings = 64;
  c.projection_dim = 128;
  return c;
}

models::open_clip::OpenClipConfig small_resnet_clip_config() {
  models::open_clip::OpenClipConfig c;
  c.embed_dim = 128;
  c.quick_gelu = true;
  c.vision.resnet = true;
  c.vision.res_layers = {1, 1, 1, 1};
  c.vision.width = 16;  // stages of 64, 128, 256 and 512 channels
  c.vision.head_width = 64;
  c.vision.image_size = 96;
  c.text = {64, 0, 128, 4, 4, 4.0};  // as small_clip_config's; the vocabulary is the tokenizer's
  c.preprocess.size = 96;
  c.preprocess.squash = true;
  return c;
}

nlohmann::json clip_processor_config(int64_t image_size) {
  return {{"image_processor_type", "CLIPImageProcessor"},
          {"do_resize", true},
          {"size", {{"height", image_size}, {"width", image_size}}},
          {"resample", 3},
          {"do_center_crop", false},
          {"do_rescale", true},
          {"rescale_factor", 1.0 / 255.0},
          {"do_normalize", true},
          {"image_mean", {0.48145466, 0.4578275, 0.40821073}},
          {"image_std", {0.26862954, 0.26130258, 0.27577711}}};
}

TrainResult train_clip(const CaptionedImages& data, const std::vector<std::string>& vocabulary, ClipRecipe recipe,
                       const std::string& out_dir, const std::shared_ptr<Distributed>& dist) {
  namespace fs = std::filesystem;
  if (data.images.empty() || data.images.size() != data.captions.size())
    fail("CLIP training needs images each with captions ({} images, {} caption lists)", data.images.size(),
         data.captions.size());
  for (size_t i = 0; i < data.captions.size(); ++i)
    if (data.captions[i].empty()) fail("CLIP training: image {} has no caption", i);
  int world = dist ? dist->world_size() : 1, rank = dist ? dist->rank() : 0;
  int64_t batch = std::min<int64_t>(recipe.batch_size, static_cast<int64_t>(data.images.size()));
  if (batch % world != 0) fail("the batch size {} must divide by the {} processes", batch, world);
  fs::create_directories(out_dir);

  // Every rank trains the same tokenizer (deterministic); rank 0 writes it.
  text::ClipBpeFiles tok_files = text::train_clip_bpe(vocabulary);
  std::string tok_dir = out_dir + "/.tokenizer.rank" + std::to_string(rank);
  fs::create_directories(tok_dir);
  text::write_clip_bpe(tok_files, tok_dir);
  auto tok = text::load_tokenizer(tok_dir);
  fs::remove_all(tok_dir);

  if (recipe.tower == ClipTower::ResNet && dist && world > 1)
    fail("the ResNet CLIP recipe runs in one process: its batch norm would see each process's share of the batch "
         "(synchronised batch norm is not implemented); drop --nproc");
  at::manual_seed(recipe.seed);
  std::unique_ptr<ClipTowers> towers = make_clip_towers(recipe, *tok);
  const bool token_labels = recipe.token_label_weight > 0;
  at::Tensor patch_labels;
  if (token_labels) {
    if (!towers->add_token_head(data.label_classes))
      fail("token labelling (--token-labels) names the class under each patch token of a ViT; the ResNet tower has "
           "no patch tokens");
    patch_labels = all_patch_labels(data, recipe.arch.vision);
  }

  at::Tensor pixels = towers->pixels(data);
  const bool negatives = recipe.hard_negatives && !data.hard_negatives.empty();
  TokenizedCaptions caps = tokenize_captions(data, *tok, towers->text_context(), negatives);
  const int64_t n = pixels.size(0), local = batch / world;

  if (recipe.train.checkpoint_dir.empty()) recipe.train.checkpoint_dir = out_dir + "/checkpoint";
  TrainLoop loop(towers->module(), towers->arch(), recipe.train, dist);

  StepFn step = [&](int64_t s) {
    // The global batch of step s depends only on (seed, s): resumed and parallel runs agree.
    auto gen = at::make_generator<at::CPUGeneratorImpl>(recipe.seed * 1000003ull + static_cast<uint64_t>(s));
    at::Tensor images = at::randperm(n, gen).slice(0, 0, batch);
    at::Tensor pick = at::rand({batch}, gen, at::kDouble);
    std::vector<int64_t> rows(batch);
    auto img = images.accessor<int64_t, 1>();
    auto pk = pick.accessor<double, 1>();
    for (int64_t i = 0; i < batch; ++i) {
      int64_t lo = caps.first[img[i]], count = caps.first[img[i] + 1] - lo;
      rows[i] = lo + std::min<int64_t>(count - 1, static_cast<int64_t>(pk[i] * double(count)));
    }
    at::Tensor row_t = at::tensor(rows, at::kLong);
    int64_t lo = rank * local, hi = lo + local;
    at::Tensor my_rows = row_t.slice(0, lo, hi);
    int64_t len = caps.batch.lengths.index_select(0, row_t).max().item<int64_t>();
    auto [ids, mask] = select_tokens(caps.batch, my_rows, len);

    {
      at::NoGradGuard ng;
      towers->logit_scale().clamp_(0, kMaxLogitScale);
    }
    at::Tensor my_images = images.slice(0, lo, hi);
    at::Tensor pv = pixels.index_select(0, my_images);
    at::Tensor token_logits, token_loss;
    at::Tensor ie = towers->image_embeds(pv, token_labels ? &token_logits : nullptr);
    if (token_labels)
      // Scaled by this rank's share: the ranks' summed gradients are the global batch mean's.
      token_loss = torch::nn::functional::cross_entropy(token_logits.reshape({-1, token_logits.size(-1)}),
                                                        patch_labels.index_select(0, my_images).reshape(-1)) *
                   (double(local) / double(batch));
    at::Tensor te = towers->text_embeds(ids, mask);
    at::Tensor neg;  // the hard negatives' embeddings
    if (negatives) {
      int64_t neg_len = caps.negatives.lengths.index_select(0, row_t).max().item<int64_t>();
      auto [neg_ids, neg_mask] = select_tokens(caps.negatives, my_rows, neg_len);
      neg = towers->text_embeds(neg_ids, neg_mask);
    }
    at::Tensor scale = towers->logit_scale();
    if (dist) {
      // Other ranks' features enter as constants; each rank back-propagates through its own,
      // and the gradients are summed. The shared temperature gets its gradient once.
      auto gather = [&](const at::Tensor& mine) {
        at::Tensor all = dist->all_gather(mine.detach());
        return at::cat({all.slice(0, 0, lo), mine, all.slice(0, hi)});
      };
      ie = gather(ie);
      te = gather(te);
      if (negatives) neg = gather(neg);
      // Report the global batch's token loss (the sum of the ranks' shares); the gradient
      // still flows through this rank's share only.
      if (token_labels) token_loss = token_loss + (dist->all_gather(token_loss.detach().view({1})).sum() - token_loss).detach();
      if (rank != 0) scale = scale.detach();
    }
    at::Tensor logits = scale.exp() * at::matmul(ie, te.t());
    at::Tensor labels = at::arange(batch, at::kLong);
    namespace F = torch::nn::functional;
    at::Tensor image_to_text = logits;
    if (negatives) {
      // Each image also against every caption's negative; captions without one are masked.
      at::Tensor neg_logits = scale.exp() * at::matmul(ie, neg.t());
      at::Tensor valid = caps.has_negative.index_select(0, row_t).unsqueeze(0);
      image_to_text = at::cat({logits, neg_logits.masked_fill(valid.logical_not(), -1e9)}, 1);
    }
    at::Tensor loss = (F::cross_entropy(image_to_text, labels) + F::cross_entropy(logits.t(), labels)) / 2;
    if (token_labels) loss = loss + recipe.token_label_weight * token_loss;
    return StepOutput{loss, local};
  };
  TrainResult result = loop.run(step, dist ? GradReduction::Sum : GradReduction::Mean);

  if (rank == 0) {
    {
      at::NoGradGuard ng;
      towers->logit_scale().clamp_(0, kMaxLogitScale);
    }
    nlohmann::json rec = recipe_record("clip-contrastive", recipe.seed, batch, recipe.train, world, result);
    rec["tower"] = recipe.tower == ClipTower::ResNet ? "resnet" : "vit";
    rec["images"] = n;
    rec["token_label_weight"] = recipe.token_label_weight;
    rec["hard_negatives"] = negatives;
    towers->save(out_dir, rec, tok_files);
  }
  if (dist) dist->barrier();
  return result;
}

}  // namespace argus::train
