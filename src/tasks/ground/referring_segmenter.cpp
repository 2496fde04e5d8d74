#include "tasks/ground/referring_segmenter.h"

#include <cmath>

#include "engine/model_kind.h"
#include "image/preprocess.h"
#include "io/checkpoint.h"
#include "util/error.h"

namespace argus::tasks {

ReferringSegmenter::ReferringSegmenter(models::clipseg::ClipSegForImageSegmentation m, image::ImageProcessorConfig pp,
                                       std::unique_ptr<TextQueryEncoder> prompts)
    : model_(std::move(m)), preprocessor_(std::move(pp)), prompts_(std::move(prompts)) {}

std::unique_ptr<ReferringSegmenter> ReferringSegmenter::open(const std::string& dir) {
  auto ck = io::Checkpoint::open(dir);
  auto kind = engine::model_kind(ck);
  if (kind.family != engine::Family::ClipSeg)
    fail("{}: model_type \"{}\" is not a referring segmenter (use a clipseg checkpoint)", dir, kind.model_type);
  auto model = models::clipseg::load_clipseg_model(ck);
  auto pp = image::load_image_processor_config(dir);
  auto tokenizer = text::load_tokenizer(dir);
  int64_t pad = tokenizer->pad_id() >= 0 ? tokenizer->pad_id() : model->cfg.clip.text.pad_token_id;
  models::clipseg::ClipSegForImageSegmentation m = model;
  auto tower = [m](const at::Tensor& ids, const at::Tensor& mask) mutable { return m->text_conditional(ids, mask); };
  auto prompts = std::make_unique<TextQueryEncoder>(std::move(tokenizer), tower,
                                                    model->cfg.clip.text.max_position_embeddings, pad);
  return std::unique_ptr<ReferringSegmenter>(
      new ReferringSegmenter(std::move(model), std::move(pp), std::move(prompts)));
}

RefSegResult ReferringSegmenter::segment(const image::Image& im, const std::string& prompt, double threshold) {
  if (!(threshold > 0 && threshold < 1)) fail("mask threshold {} must lie in (0, 1)", threshold);
  RefSegResult res;
  res.height = im.height;
  res.width = im.width;
  at::Tensor cond = prompts_->embed({prompt}, &res.warnings);  // [1, P]
  image::PixelValues pv = image::preprocess(im, preprocessor_);
  at::Tensor px = at::from_blob(pv.data.data(), {1, pv.channels, pv.height, pv.width}, at::kFloat).clone();
  at::NoGradGuard ng;
  at::Tensor logits = model_->forward(px, cond);  // [1, S, S]
  res.logits = logits[0].contiguous();
  // Upsample the logits (not the probabilities), as a pipeline resizing the model's output would.
  at::Tensor up = at::upsample_bilinear2d(logits.unsqueeze(1), {im.height, im.width}, /*align_corners=*/false);
  at::Tensor mask = (at::sigmoid(up[0][0]) > threshold).to(at::kByte).contiguous();
  const uint8_t* p = mask.data_ptr<uint8_t>();
  res.mask.assign(p, p + mask.numel());
  res.rle = image::rle_encode(res.mask.data(), im.height, im.width);
  return res;
}

}  // namespace argus::tasks
