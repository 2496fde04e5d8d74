#include "train/clip_towers.h"

#include <cmath>
#include <filesystem>
#include <fstream>

#include <torch/nn/init.h>
#include <torch/nn/modules/linear.h>

#include "image/clip_transform.h"
#include "models/clip/clip_model.h"
#include "models/open_clip/open_clip_load.h"
#include "models/open_clip/open_clip_model.h"
#include "nn/tensor_io.h"
#include "text/bpe_trainer.h"
#include "text/tokenizer.h"
#include "train/image_batch.h"
#include "train/init_weights.h"
#include "train/model_dir.h"
#include "util/error.h"

namespace argus::train {
namespace {

// The transformers CLIPModel with a ViT image tower.
class VitTowers : public ClipTowers {
 public:
  explicit VitTowers(const models::clip::ClipConfig& arch)
      : model_(arch), processor_(clip_processor_config(arch.vision.image_size)) {
    init_weights(*model_, std::max(arch.text.enc.layers, arch.vision.enc.layers));
  }
  torch::nn::Module& module() override { return *model_; }
  nlohmann::json arch() const override { return models::clip::to_json(model_->cfg); }
  int64_t text_context() const override { return model_->cfg.text.max_position_embeddings; }
  at::Tensor pixels(const CaptionedImages& data) const override { return preprocess_images(data.images, processor_); }
  bool add_token_head(int64_t classes) override {
    // The head lives in the model while it trains (so the optimiser and the checkpoints
    // carry it) and is left out of the saved CLIP.
    token_head_ = model_->register_module(kHead, torch::nn::Linear(model_->cfg.vision.enc.hidden, classes));
    return true;
  }
  at::Tensor image_embeds(const at::Tensor& pv, at::Tensor* token_logits) override {
    if (!token_logits) return model_->image_embeds(pv);
    auto tower = model_->vision_model->forward(pv);
    *token_logits = token_head_(tower.last_hidden_state.slice(1, 1));  // the patches, not the class token
    return models::clip::l2_normalize(model_->visual_projection(tower.pooler_output));
  }
  at::Tensor text_embeds(const at::Tensor& ids, const at::Tensor& mask) override { return model_->text_embeds(ids, mask); }
  at::Tensor logit_scale() override { return model_->logit_scale; }
  void save(const std::string& dir, const nlohmann::json& recipe, const text::ClipBpeFiles& tok) override {
    auto tensors = state_dict(*model_);
    for (auto it = tensors.begin(); it != tensors.end();)
      it = it->first.rfind(std::string(kHead) + ".", 0) == 0 ? tensors.erase(it) : std::next(it);
    write_model_dir(dir, tensors, models::clip::to_json(model_->cfg), processor_, recipe);
    text::write_clip_bpe(tok, dir);
  }

 private:
  static constexpr const char* kHead = "token_head";
  models::clip::ClipModel model_;
  nlohmann::json processor_;
  torch::nn::Linear token_head_{nullptr};
};

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// open_clip's CLIP with the ModifiedResNet image tower.
class ResNetTowers : public ClipTowers {
 public:
  explicit ResNetTowers(const models::open_clip::OpenClipConfig& arch) : model_(arch) {
    init_weights(*model_, arch.text.layers);  // the text tower and the temperature
    init_resnet_tower(*model_->resnet);
  }
  torch::nn::Module& module() override { return *model_; }
  nlohmann::json arch() const override { return models::open_clip::to_json(model_->cfg); }
  int64_t text_context() const override { return model_->cfg.text.context_length; }
  at::Tensor pixels(const CaptionedImages& data) const override {
    const auto& p = model_->cfg.preprocess;
    std::vector<at::Tensor> items;
    for (const auto& im : data.images) {
      auto pv = image::clip_transform(im, static_cast<int>(p.size), p.mean, p.std, p.squash);
      items.push_back(at::from_blob(pv.data.data(), {3, pv.height, pv.width}, at::kFloat).clone());
    }
    return at::stack(items);
  }
  bool add_token_head(int64_t) override { return false; }
  at::Tensor image_embeds(const at::Tensor& pv, at::Tensor*) override {
    return models::clip::l2_normalize(model_->encode_image(pv));
  }
  // The tower is causal and pools at the first highest id, the end of text: padding with
  // it changes nothing before it, so the mask is not needed.
  at::Tensor text_embeds(const at::Tensor& ids, const at::Tensor&) override {
    return models::clip::l2_normalize(model_->encode_text(ids));
  }
  at::Tensor logit_scale() override { return model_->logit_scale; }
  void save(const std::string& dir, const nlohmann::json& recipe, const text::ClipBpeFiles& tok) override {
    std::filesystem::create_directories(dir);
    // With the batch-norm running statistics, which eval mode uses.
    nn::save_safetensors(dir + "/open_clip_model.safetensors", state_dict(*model_, true));
    std::ofstream(dir + "/" + models::open_clip::kConfigFile) << arch().dump(2);
    std::ofstream(dir + "/argus_recipe.json") << recipe.dump(2);
    text::write_clip_bpe(tok, dir);
  }

 private:
  models::open_clip::OpenClipModel model_;
};

}  // namespace

// The ResNet tower (clip/model.py initialize_parameters, with
// torchvision's He init for the convolutions it leaves to the default): the attention
// pool's projections and positions at std C^-0.5, each bottleneck's last batch-norm gain
// at zero so every residual block starts as the identity. The stem's own bn3 is not in a
// residual branch and keeps gain 1: at zero, the stem would output 0 behind its ReLU, with
// no gradient to revive it (measured: both towers collapsed, the loss stuck at ln batch).
void init_resnet_tower(models::open_clip::ModifiedResNetImpl& visual) {
  at::NoGradGuard ng;
  const double pool_std = std::pow(double(visual.attnpool->positional_embedding.size(1)), -0.5);
  for (auto& kv : visual.named_parameters()) {
    const std::string& n = kv.key();
    at::Tensor p = kv.value();
    if (n.rfind("attnpool.", 0) == 0)
      ends_with(n, ".bias") ? p.zero_() : p.normal_(0, pool_std);
    else if (p.dim() == 4)
      torch::nn::init::kaiming_normal_(p, 0, torch::kFanOut, torch::kReLU);
    else if (n.rfind("layer", 0) == 0 && ends_with(n, ".bn3.weight"))
      p.zero_();
    else
      ends_with(n, ".bias") ? p.zero_() : p.fill_(1);  // batch-norm gains and shifts
  }
}

std::unique_ptr<ClipTowers> make_clip_towers(ClipRecipe& recipe, const text::Tokenizer& tok) {
  if (recipe.tower == ClipTower::Vit) {
    auto& t = recipe.arch.text;
    t.vocab_size = tok.vocab_size();
    t.bos_token_id = tok.bos_id();
    t.eos_token_id = tok.eos_id();
    t.pad_token_id = tok.eos_id();
    return std::make_unique<VitTowers>(recipe.arch);
  }
  auto& a = recipe.resnet_arch;
  if (!a.vision.resnet) fail("the ResNet CLIP recipe was given a ViT image tower config");
  if (a.vision.image_size / 32 < 2)
    fail("a {}-pixel input gives the ResNet tower a {}x{} attention-pool grid; it needs at least 2x2 (image_size >= 64)",
         a.vision.image_size, a.vision.image_size / 32, a.vision.image_size / 32);
  // open_clip's text tower pools at each row's highest id: the end of text must be it.
  if (tok.eos_id() != tok.vocab_size() - 1)
    fail("the tokenizer's end-of-text id {} is not its highest ({}), where open_clip's text tower pools",
         tok.eos_id(), tok.vocab_size() - 1);
  a.text.vocab_size = tok.vocab_size();
  return std::make_unique<ResNetTowers>(a);
}

}  // namespace argus::train
