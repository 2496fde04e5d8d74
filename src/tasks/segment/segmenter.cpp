#include "tasks/segment/segmenter.h"

#include <filesystem>

#include <map>
#include <tuple>

#include "engine/model_kind.h"
#include "image/preprocess.h"
#include "io/checkpoint.h"
#include "models/sam/sam_meta_checkpoint.h"
#include "util/error.h"

namespace argus::tasks::segment {

namespace sam = models::sam;

Segmenter::Segmenter(sam::SamModel m, image::ImageProcessorConfig p, size_t cache_capacity)
    : model_(std::move(m)), processor_(std::move(p)), cache_(cache_capacity) {}

std::unique_ptr<Segmenter> Segmenter::open(const std::string& dir, size_t cache_capacity) {
  std::error_code ec;
  if (sam::is_torch_checkpoint_path(dir) && std::filesystem::is_regular_file(dir, ec))
    return from_model(sam::load_meta_sam_model(dir),
                      image::parse_image_processor_config({{"image_processor_type", "SamImageProcessor"}}),
                      cache_capacity);
  auto ck = io::Checkpoint::open(dir);
  auto kind = engine::model_kind(ck);
  if (kind.family != engine::Family::Sam)
    fail("{}: segment needs a SAM checkpoint, this is {} ({})", dir, engine::family_name(kind.family), kind.model_type);
  auto processor = image::load_image_processor_config(dir);
  if (processor.kind != image::ProcessorKind::Sam)
    fail("{}: the image processor is {}, not SamImageProcessor", dir, processor.type);
  return from_model(sam::load_sam_model(ck), std::move(processor), cache_capacity);
}

std::unique_ptr<Segmenter> Segmenter::from_model(sam::SamModel model, image::ImageProcessorConfig processor,
                                                 size_t cache_capacity) {
  const int64_t size = model->cfg.vision.image_size;
  if (processor.kind != image::ProcessorKind::Sam || !processor.do_pad || processor.pad_height != size ||
      processor.pad_width != size || processor.size.longest_edge != size)
    fail("the image processor must resize the longest edge to {} and pad to {}x{} (the encoder's input); it has "
         "longest_edge {}, pad {}x{}",
         size, size, size, processor.size.longest_edge, processor.pad_width, processor.pad_height);
  return std::unique_ptr<Segmenter>(new Segmenter(std::move(model), std::move(processor), cache_capacity));
}

std::shared_ptr<const ImageEmbedding> Segmenter::embed(const image::Image& img) {
  const std::string key = image::content_key(img);
  if (auto hit = cache_.get(key)) {
    ++hits_;
    return hit;
  }
  ++misses_;
  image::PixelValues pv = image::preprocess(img, processor_);
  at::Tensor pixels = at::from_blob(pv.data.data(), {1, pv.channels, pv.height, pv.width}, at::kFloat);
  auto e = std::make_shared<ImageEmbedding>();
  {
    at::NoGradGuard ng;
    e->embeddings = model_->image_embeddings(pixels);  // a new tensor: pv may go
  }
  e->geometry = {pv.original_height, pv.original_width, pv.resized_height, pv.resized_width};
  cache_.put(key, e);
  return e;
}

std::vector<Prediction> Segmenter::predict(const ImageEmbedding& e, const std::vector<Prompt>& prompts_in,
                                           bool multimask, std::vector<std::string>* notes) {
  const auto& g = e.geometry;
  std::vector<Prompt> prompts;
  for (const auto& p : prompts_in)
    prompts.push_back(checked_prompt(p, static_cast<int>(g.original_height), static_cast<int>(g.original_width), notes));

  // Prompts with the same shape go through the decoder together. Extra padding
  // points would change the answer (they are tokens the decoder attends to), so
  // different point counts are never mixed.
  std::map<std::tuple<size_t, bool, bool>, std::vector<size_t>> groups;
  for (size_t i = 0; i < prompts.size(); ++i)
    groups[{prompts[i].points.size(), prompts[i].box.has_value(), prompts[i].mask_input.defined()}].push_back(i);

  std::vector<Prediction> out(prompts.size());
  at::NoGradGuard ng;
  const auto f64 = at::TensorOptions().dtype(at::kDouble);
  for (const auto& [shape, idx] : groups) {
    const auto [n_points, has_box, has_mask] = shape;
    const int64_t n = static_cast<int64_t>(idx.size());
    at::Tensor points, labels, boxes, masks;
    if (n_points > 0) {
      points = at::empty({n, static_cast<int64_t>(n_points), 2}, f64);
      labels = at::empty({n, static_cast<int64_t>(n_points)}, at::kLong);
      auto pa = points.accessor<double, 3>();
      auto la = labels.accessor<int64_t, 2>();
      for (int64_t k = 0; k < n; ++k)
        for (size_t j = 0; j < n_points; ++j) {
          const Point& q = prompts[idx[k]].points[j];
          pa[k][j][0] = q.x, pa[k][j][1] = q.y, la[k][j] = q.label;
        }
      points = sam::rescale_prompt_coords(points, g);
    }
    if (has_box) {
      boxes = at::empty({n, 4}, f64);
      auto ba = boxes.accessor<double, 2>();
      for (int64_t k = 0; k < n; ++k) {
        const Box& b = *prompts[idx[k]].box;
        ba[k][0] = b.x0, ba[k][1] = b.y0, ba[k][2] = b.x1, ba[k][3] = b.y1;
      }
      boxes = sam::rescale_prompt_coords(boxes, g);
    }
    at::Tensor iou, low;
    if (!has_mask) {
      // One image, n prompts on the point-batch axis: the embedding is shared.
      if (points.defined()) points = points.unsqueeze(0), labels = labels.unsqueeze(0);
      if (boxes.defined()) boxes = boxes.unsqueeze(0);
      auto r = model_->predict(e.embeddings, points, labels, boxes, at::Tensor(), multimask);
      iou = r.iou_scores[0], low = r.low_res_masks[0];  // [n, M], [n, M, 256, 256]
    } else {
      // The dense (mask) prompt is per image in the decoder, so each prompt becomes
      // its own batch row over the same embedding.
      std::vector<at::Tensor> ms;
      for (size_t k : idx) ms.push_back(prompts[k].mask_input.unsqueeze(0));
      masks = at::stack(ms);  // [n, 1, 256, 256]
      if (points.defined()) points = points.unsqueeze(1), labels = labels.unsqueeze(1);
      if (boxes.defined()) boxes = boxes.unsqueeze(1);
      at::Tensor emb = e.embeddings.expand({n, -1, -1, -1});
      auto r = model_->predict(emb, points, labels, boxes, masks, multimask);
      iou = r.iou_scores.select(1, 0), low = r.low_res_masks.select(1, 0);
    }
    for (int64_t k = 0; k < n; ++k) out[idx[k]] = {iou[k].contiguous(), low[k].contiguous()};
  }
  return out;
}

at::Tensor Segmenter::full_masks(const ImageEmbedding& e, const Prediction& p) const {
  at::NoGradGuard ng;
  return sam::post_process_masks(p.low_res, e.geometry, model_->cfg.vision.image_size);
}

}  // namespace argus::tasks::segment
