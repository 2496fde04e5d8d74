#include "models/llava_next/llava_next_model.h"

#include <vector>

#include "nn/load.h"
#include "util/error.h"

namespace argus::models::llava_next {

LlavaNextForConditionalGenerationImpl::LlavaNextForConditionalGenerationImpl(const LlavaNextConfig& c) : cfg(c) {
  vision_tower = register_module("vision_tower", clip::ClipVisionTransformer(c.llava.vision));
  multi_modal_projector = register_module("multi_modal_projector", llava::LlavaMultiModalProjector(c.llava));
  language_model = register_module("language_model", llama::LlamaForCausalLM(c.llava.text));
  image_newline = register_parameter("image_newline", at::zeros({c.llava.text.hidden_size}));
}

at::Tensor LlavaNextForConditionalGenerationImpl::image_features(const at::Tensor& pixel_values,
                                                                 Resolution image_size) {
  at::NoGradGuard no_grad;
  const AnyresLayout l = cfg.layout(image_size);
  const int64_t views = 1 + l.rows * l.cols, side = cfg.side(), tile = cfg.tile();
  if (pixel_values.dim() != 4 || pixel_values.size(0) != views || pixel_values.size(2) != tile ||
      pixel_values.size(3) != tile)
    fail("llava_next: a {}x{} image is {} views of {}x{} pixels (a {}x{} grid of tiles and the base view); "
         "pixel_values are {}",
         image_size.width, image_size.height, views, tile, tile, l.rows, l.cols, nn::shape_str(pixel_values.sizes()));
  at::Tensor feats = multi_modal_projector(llava::select_tower_features(*vision_tower, cfg.llava, pixel_values));
  const int64_t hidden = feats.size(2);
  at::Tensor base = feats[0];
  // Tile (r, c)'s patch (y, x) goes to grid row r*side + y, column c*side + x: [hidden, rows*side, cols*side].
  at::Tensor grid = feats.slice(0, 1)
                        .view({l.rows, l.cols, side, side, hidden})
                        .permute({4, 0, 2, 1, 3})
                        .reshape({hidden, l.rows * side, l.cols * side});
  grid = grid.slice(1, l.region.top, l.region.top + l.region.height)
             .slice(2, l.region.left, l.region.left + l.region.width);
  at::Tensor newline = image_newline.to(grid.scalar_type()).view({hidden, 1, 1}).expand({hidden, l.region.height, 1});
  at::Tensor rows = at::cat({grid, newline}, 2).flatten(1, 2).transpose(0, 1);
  at::Tensor out = at::cat({base, rows}, 0);
  return out.to(language_model->model->embed_tokens->weight.scalar_type());
}

at::Tensor LlavaNextForConditionalGenerationImpl::forward(const at::Tensor& input_ids, const at::Tensor& pixel_values,
                                                          const at::Tensor& image_sizes) {
  at::NoGradGuard no_grad;
  std::vector<at::Tensor> feats;
  if (pixel_values.defined() && pixel_values.numel() > 0) {
    if (pixel_values.dim() != 5) fail("llava_next: pixel_values must be [images, views, 3, H, W]");
    if (!image_sizes.defined() || image_sizes.dim() != 2 || image_sizes.size(1) != 2 ||
        image_sizes.size(0) != pixel_values.size(0))
      fail("llava_next: image_sizes must be [{}, 2] (height, width per image)", pixel_values.size(0));
    at::Tensor sizes = image_sizes.to(at::kLong).contiguous();
    for (int64_t i = 0; i < pixel_values.size(0); ++i) {
      Resolution size{sizes[i][0].item<int64_t>(), sizes[i][1].item<int64_t>()};
      const AnyresLayout l = cfg.layout(size);
      const int64_t views = 1 + l.rows * l.cols;
      if (views > pixel_values.size(1))
        fail("llava_next: image {} ({}x{}) needs {} views but pixel_values hold {}", i, size.width, size.height, views,
             pixel_values.size(1));
      feats.push_back(image_features(pixel_values[i].slice(0, 0, views), size));
    }
  }
  at::Tensor all = feats.empty() ? at::Tensor() : at::cat(feats, 0);
  return language_model->forward_embeds(
      llava::merge_image_features(*language_model, cfg.llava.image_token_index, input_ids, all));
}

}  // namespace argus::models::llava_next
