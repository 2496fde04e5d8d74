#include "engine/open_clip_encoder.h"

#include <algorithm>
#include <filesystem>

#include "image/clip_transform.h"
#include "io/json_file.h"
#include "models/clip/clip_model.h"
#include "text/clip_bpe.h"
#include "util/hash.h"

namespace argus::engine {

namespace {

namespace fs = std::filesystem;

bool ships_tokenizer(const std::string& dir) {
  std::error_code ec;
  auto has = [&](const char* name) { return fs::is_regular_file(fs::path(dir) / name, ec); };
  return has("tokenizer.json") || (has("vocab.json") && has("merges.txt")) || has("bpe_simple_vocab_16e6.txt.gz");
}

class OpenClipEncoder : public DualEncoder {
 public:
  explicit OpenClipEncoder(const std::string& dir)
      : weights_(models::open_clip::weights_file(dir)), model_(models::open_clip::load_open_clip_model(dir, weights_)) {
    family_ = "open_clip";
    dir_ = dir;
    tokenizer_ = ships_tokenizer(dir) ? text::load_tokenizer(dir) : text::ClipBpeTokenizer::builtin();
  }
  at::Tensor logits(const at::Tensor& i, const at::Tensor& t) override { return model_->logits_per_image(i, t); }
  bool sigmoid_scores() const override { return false; }
  // The config and the start of every weight: enough to tell checkpoints apart.
  std::string fingerprint() const override {
    Fnv1a h;
    h.add(io::read_json((fs::path(dir_) / models::open_clip::kConfigFile).string()).dump());
    h.add(fs::path(weights_).filename().string());
    for (const auto& p : model_->named_parameters(true)) {
      h.add(p.key());
      at::Tensor t = p.value().contiguous();
      h.add(static_cast<const char*>(t.data_ptr()), std::min<size_t>(t.nbytes(), 256));
    }
    return h.hex();
  }

 protected:
  at::Tensor image_forward(const at::Tensor& pv) override { return models::clip::l2_normalize(model_->encode_image(pv)); }
  at::Tensor text_forward(const Tokens& t) override { return models::clip::l2_normalize(model_->encode_text(t.ids)); }
  image::PixelValues preprocess(const image::Image& im) const override {
    const auto& c = model_->cfg;
    return image::clip_transform(im, static_cast<int>(c.preprocess.size), c.preprocess.mean, c.preprocess.std,
                                 c.preprocess.squash);
  }
  // clip.tokenize: SOT ... EOT, cut keeping EOT last, zero padding. The tower is causal
  // and pools at the EOT, so padding to the batch's longest text gives the same features
  // as padding to the full context.
  Tokens tokenize(const std::vector<std::string>& texts) override {
    std::vector<std::vector<int64_t>> seqs;
    size_t longest = 0;
    for (const auto& t : texts) {
      seqs.push_back(text::encode_truncated(*tokenizer_, t, model_->cfg.text.context_length));
      longest = std::max(longest, seqs.back().size());
    }
    at::Tensor ids = at::zeros({static_cast<int64_t>(seqs.size()), static_cast<int64_t>(longest)}, at::kLong);
    for (size_t i = 0; i < seqs.size(); ++i)
      for (size_t j = 0; j < seqs[i].size(); ++j) ids[i][j] = seqs[i][j];
    return {ids, at::Tensor()};
  }

 private:
  std::string weights_;
  models::open_clip::OpenClipModel model_;
  std::unique_ptr<text::Tokenizer> tokenizer_;
};

}  // namespace

std::unique_ptr<DualEncoder> open_open_clip(const std::string& dir) { return std::make_unique<OpenClipEncoder>(dir); }

}  // namespace argus::engine
