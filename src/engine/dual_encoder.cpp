#include "engine/dual_encoder.h"

#include <algorithm>

#include "engine/model_kind.h"
#include "image/preprocess.h"
#include "io/checkpoint.h"
#include "models/clip/clip_model.h"
#include "engine/open_clip_encoder.h"
#include "models/siglip/siglip_model.h"
#include "text/tokenizer.h"
#include "util/error.h"
#include "util/hash.h"

namespace argus::engine {

namespace {

at::Tensor stack_pixels(const std::vector<image::PixelValues>& pv) {
  std::vector<at::Tensor> items;
  for (const auto& p : pv)
    items.push_back(at::from_blob(const_cast<float*>(p.data.data()), {p.channels, p.height, p.width}, at::kFloat));
  return at::stack(items);  // copies out of the borrowed buffers
}

// Pads token lists to one length with `pad`; also returns the 0/1 mask.
std::pair<at::Tensor, at::Tensor> pad_batch(const std::vector<std::vector<int64_t>>& seqs, int64_t pad, int64_t len) {
  at::Tensor ids = at::full({static_cast<int64_t>(seqs.size()), len}, pad, at::kLong);
  at::Tensor mask = at::zeros({static_cast<int64_t>(seqs.size()), len}, at::kLong);
  for (size_t i = 0; i < seqs.size(); ++i) {
    for (size_t j = 0; j < seqs[i].size(); ++j) ids[i][j] = seqs[i][j];
    mask[i].slice(0, 0, static_cast<int64_t>(seqs[i].size())).fill_(1);
  }
  return {ids, mask};
}

class TokenizedModel : public DualEncoder {
 protected:
  void load_tokenizer(const std::string& dir) { tokenizer_ = text::load_tokenizer(dir); }
  std::vector<std::vector<int64_t>> encode_all(const std::vector<std::string>& texts, int64_t max_len) {
    if (!tokenizer_) fail("{}: this model has no tokenizer files, so it cannot embed text", dir_);
    std::vector<std::vector<int64_t>> out;
    for (const auto& t : texts) out.push_back(text::encode_truncated(*tokenizer_, t, max_len));
    return out;
  }
  std::unique_ptr<text::Tokenizer> tokenizer_;
};

class ClipEncoder : public TokenizedModel {
 public:
  ClipEncoder(const io::Checkpoint& ck) : model_(models::clip::load_clip_model(ck)) {
    family_ = "clip";
    load_tokenizer(ck.dir());
  }
  at::Tensor logits(const at::Tensor& i, const at::Tensor& t) override { return model_->logits_per_image(i, t); }
  bool sigmoid_scores() const override { return false; }

 protected:
  at::Tensor image_forward(const at::Tensor& pv) override { return model_->image_embeds(pv); }
  at::Tensor text_forward(const Tokens& t) override { return model_->text_embeds(t.ids, t.mask); }
  Tokens tokenize(const std::vector<std::string>& texts) override {
    auto seqs = encode_all(texts, model_->cfg.text.max_position_embeddings);
    size_t longest = 0;
    for (const auto& s : seqs) longest = std::max(longest, s.size());
    int64_t pad = tokenizer_->pad_id() >= 0 ? tokenizer_->pad_id() : model_->cfg.text.pad_token_id;
    auto [ids, mask] = pad_batch(seqs, pad, static_cast<int64_t>(longest));
    return {ids, mask};
  }

 private:
  models::clip::ClipModel model_;
};

class SiglipEncoder : public TokenizedModel {
 public:
  SiglipEncoder(const io::Checkpoint& ck) : model_(models::siglip::load_siglip_model(ck)) {
    family_ = "siglip";
    if (ck.has_file("tokenizer.json") || ck.has_file("tokenizer.model") || ck.has_file("spiece.model"))
      load_tokenizer(ck.dir());
  }
  at::Tensor logits(const at::Tensor& i, const at::Tensor& t) override { return model_->logits_per_image(i, t); }
  bool sigmoid_scores() const override { return true; }

 protected:
  at::Tensor image_forward(const at::Tensor& pv) override { return model_->image_embeds(pv); }
  at::Tensor text_forward(const Tokens& t) override { return model_->text_embeds(t.ids, t.mask); }
  Tokens tokenize(const std::vector<std::string>& texts) override {
    // SigLIP was trained on texts padded to the full context and attends to the
    // padding, so it is padded to max_length with no mask (as its processor does).
    int64_t len = model_->cfg.text.max_position_embeddings;
    auto seqs = encode_all(texts, len);
    int64_t pad = tokenizer_->pad_id() >= 0 ? tokenizer_->pad_id() : model_->cfg.text.pad_token_id;
    return {pad_batch(seqs, pad, len).first, at::Tensor()};
  }

 private:
  models::siglip::SiglipModel model_;
};

}  // namespace

std::unique_ptr<DualEncoder> DualEncoder::open(const std::string& dir) {
  if (models::open_clip::is_open_clip_dir(dir)) return open_open_clip(dir);
  auto ck = io::Checkpoint::open(dir);
  auto kind = model_kind(ck);
  std::unique_ptr<DualEncoder> enc;
  if (kind.family == Family::Clip)
    enc = std::make_unique<ClipEncoder>(ck);
  else if (kind.family == Family::Siglip)
    enc = std::make_unique<SiglipEncoder>(ck);
  else
    fail("{}: model_type \"{}\" is not an image-text embedding model (use a CLIP or SigLIP checkpoint)", dir,
         kind.model_type);
  enc->dir_ = dir;
  auto pp = ck.side_json("preprocessor_config.json");
  if (pp.is_null()) fail("{}: no preprocessor_config.json", dir);
  enc->preprocessor_ = image::parse_image_processor_config(pp);
  return enc;
}

at::Tensor DualEncoder::embed_images(const std::vector<image::Image>& images) {
  if (images.empty()) return at::empty({0, 0});
  std::vector<image::PixelValues> pv;
  for (const auto& im : images) pv.push_back(preprocess(im));
  at::NoGradGuard ng;
  return image_forward(stack_pixels(pv));
}

at::Tensor DualEncoder::embed_texts(const std::vector<std::string>& texts) {
  if (texts.empty()) return at::empty({0, 0});
  at::NoGradGuard ng;
  return text_forward(tokenize(texts));
}

image::PixelValues DualEncoder::preprocess(const image::Image& im) const { return image::preprocess(im, preprocessor_); }

std::string DualEncoder::fingerprint() const {
  auto ck = io::Checkpoint::open(dir_);
  Fnv1a h;
  h.add(ck.config().dump());
  for (const auto& [name, ref] : ck.tensors()) {
    h.add(name);
    h.add(ref.entry->data, std::min<size_t>(ref.entry->nbytes(), 256));
  }
  return h.hex();
}

}  // namespace argus::engine
