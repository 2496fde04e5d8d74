#include "train/clip_trainer.h"

#include <cmath>
#include <filesystem>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/nn/functional/loss.h>

#include "models/clip/clip_model.h"
#include "text/bpe_trainer.h"
#include "text/tokenizer.h"
#include "train/image_batch.h"
#include "train/init_weights.h"
#include "train/model_dir.h"
#include "train/text_batch.h"
#include "util/error.h"

namespace argus::train {
namespace {

constexpr double kMaxLogitScale = 4.6052;  // ln 100, CLIP's clamp

struct TokenizedCaptions {
  TokenBatch batch;            // every caption, padded with EOS
  std::vector<int64_t> first;  // first caption row of each image (and one past the end)
};

TokenizedCaptions tokenize_captions(const CaptionedImages& data, const text::Tokenizer& tok, int64_t max_len) {
  TokenizedCaptions t;
  std::vector<std::string> all;
  for (const auto& caps : data.captions) {
    t.first.push_back(static_cast<int64_t>(all.size()));
    all.insert(all.end(), caps.begin(), caps.end());
  }
  t.first.push_back(static_cast<int64_t>(all.size()));
  t.batch = tokenize_batch(tok, all, max_len, tok.eos_id());
  return t;
}

}  // namespace

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

  auto& arch = recipe.arch;
  arch.text.vocab_size = tok->vocab_size();
  arch.text.bos_token_id = tok->bos_id();
  arch.text.eos_token_id = tok->eos_id();
  arch.text.pad_token_id = tok->eos_id();
  nlohmann::json processor = clip_processor_config(arch.vision.image_size);

  at::manual_seed(recipe.seed);
  models::clip::ClipModel model(arch);
  init_weights(*model, std::max(arch.text.enc.layers, arch.vision.enc.layers));

  at::Tensor pixels = preprocess_images(data.images, processor);
  TokenizedCaptions caps = tokenize_captions(data, *tok, arch.text.max_position_embeddings);
  const int64_t n = pixels.size(0), local = batch / world;

  if (recipe.train.checkpoint_dir.empty()) recipe.train.checkpoint_dir = out_dir + "/checkpoint";
  TrainLoop loop(*model, models::clip::to_json(arch), recipe.train, dist);

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
    at::Tensor ids = caps.batch.ids.index_select(0, my_rows).slice(1, 0, len);
    at::Tensor mask = at::arange(len).unsqueeze(0) < caps.batch.lengths.index_select(0, my_rows).unsqueeze(1);

    {
      at::NoGradGuard ng;
      model->logit_scale.clamp_(0, kMaxLogitScale);
    }
    at::Tensor ie = model->image_embeds(pixels.index_select(0, images.slice(0, lo, hi)));
    at::Tensor te = model->text_embeds(ids, mask.to(at::kLong));
    at::Tensor scale = model->logit_scale;
    if (dist) {
      // Other ranks' features enter as constants; each rank back-propagates through its own,
      // and the gradients are summed. The shared temperature gets its gradient once.
      at::Tensor all_i = dist->all_gather(ie.detach()), all_t = dist->all_gather(te.detach());
      ie = at::cat({all_i.slice(0, 0, lo), ie, all_i.slice(0, hi)});
      te = at::cat({all_t.slice(0, 0, lo), te, all_t.slice(0, hi)});
      if (rank != 0) scale = scale.detach();
    }
    at::Tensor logits = scale.exp() * at::matmul(ie, te.t());
    at::Tensor labels = at::arange(batch, at::kLong);
    namespace F = torch::nn::functional;
    at::Tensor loss = (F::cross_entropy(logits, labels) + F::cross_entropy(logits.t(), labels)) / 2;
    return StepOutput{loss, local};
  };
  TrainResult result = loop.run(step, dist ? GradReduction::Sum : GradReduction::Mean);

  if (rank == 0) {
    {
      at::NoGradGuard ng;
      model->logit_scale.clamp_(0, kMaxLogitScale);
    }
    nlohmann::json rec = recipe_record("clip-contrastive", recipe.seed, batch, recipe.train, world, result);
    rec["images"] = n;
    write_model_dir(out_dir, state_dict(*model), models::clip::to_json(model->cfg), processor, rec);
    text::write_clip_bpe(tok_files, out_dir);
  }
  if (dist) dist->barrier();
  return result;
}

}  // namespace argus::train
