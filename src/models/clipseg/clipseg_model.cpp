#include "models/clipseg/clipseg_model.h"

#include <algorithm>
#include <cmath>

#include "io/checkpoint.h"
#include "io/json_file.h"
#include "nn/inference.h"
#include "nn/load.h"
#include "util/error.h"

namespace argus::models::clipseg {

ClipSegConfig parse_config(const nlohmann::json& j) {
  ClipSegConfig c;
  c.clip = clip::parse_config(j);
  c.extract_layers = io::get_or<std::vector<int64_t>>(j, "extract_layers", c.extract_layers);
  c.reduce_dim = io::get_or<int64_t>(j, "reduce_dim", c.reduce_dim);
  c.conditional_layer = io::get_or<int64_t>(j, "conditional_layer", c.conditional_layer);
  c.decoder_heads = io::get_or<int64_t>(j, "decoder_num_attention_heads", c.decoder_heads);
  c.decoder_intermediate = io::get_or<int64_t>(j, "decoder_intermediate_size", c.decoder_intermediate);
  c.complex_transposed_convolution =
      io::get_or<bool>(j, "use_complex_transposed_convolution", c.complex_transposed_convolution);
  if (c.extract_layers.empty()) fail("config: extract_layers is empty");
  for (int64_t l : c.extract_layers)
    if (l < 0 || l >= c.clip.vision.enc.layers)
      fail("config: extract_layers entry {} is outside the {} vision layers", l, c.clip.vision.enc.layers);
  if (c.reduce_dim <= 0 || c.decoder_heads <= 0 || c.reduce_dim % c.decoder_heads != 0)
    fail("config: reduce_dim {} must be a positive multiple of decoder_num_attention_heads {}", c.reduce_dim,
         c.decoder_heads);
  return c;
}

ClipSegDecoderLayerImpl::ClipSegDecoderLayerImpl(const nn::EncoderDims& d) {
  self_attn = register_module("self_attn", nn::SelfAttention(d.hidden, d.heads));
  layer_norm1 = register_module("layer_norm1", nn::layer_norm(d.hidden, d.eps));
  mlp = register_module("mlp", nn::Mlp(d.hidden, d.intermediate, d.act));
  layer_norm2 = register_module("layer_norm2", nn::layer_norm(d.hidden, d.eps));
}

at::Tensor ClipSegDecoderLayerImpl::forward(const at::Tensor& x) {
  at::Tensor h = layer_norm1(x + self_attn(x, at::Tensor()));
  return layer_norm2(h + mlp(h));
}

ComplexUpsamplerImpl::ComplexUpsamplerImpl(int64_t r, int64_t patch) {
  int64_t k = patch / 4;
  if (k <= 0) fail("config: patch_size {} is too small for the complex transposed convolution", patch);
  conv = register_module("0", torch::nn::Conv2d(torch::nn::Conv2dOptions(r, r, 3).padding(1)));
  up1 = register_module("2", torch::nn::ConvTranspose2d(torch::nn::ConvTranspose2dOptions(r, r / 2, k).stride(k)));
  up2 = register_module("4", torch::nn::ConvTranspose2d(torch::nn::ConvTranspose2dOptions(r / 2, 1, k).stride(k)));
}

at::Tensor ComplexUpsamplerImpl::forward(const at::Tensor& x) {
  return up2(at::relu(up1(at::relu(conv(x)))));
}

ClipSegDecoderImpl::ClipSegDecoderImpl(const ClipSegConfig& c) : conditional_layer(c.conditional_layer) {
  int64_t r = c.reduce_dim, p = c.clip.vision.patch_size;
  film_mul = register_module("film_mul", nn::dense(c.clip.projection_dim, r));
  film_add = register_module("film_add", nn::dense(c.clip.projection_dim, r));
  if (c.complex_transposed_convolution)
    complex_transposed_convolution = register_module("transposed_convolution", ComplexUpsampler(r, p));
  else
    transposed_convolution = register_module(
        "transposed_convolution", torch::nn::ConvTranspose2d(torch::nn::ConvTranspose2dOptions(r, 1, p).stride(p)));
  reduces = register_module("reduces", torch::nn::ModuleList());
  layers = register_module("layers", torch::nn::ModuleList());
  // transformers copies the vision config and overrides these (the activation is always ReLU).
  nn::EncoderDims d{r, c.decoder_intermediate, c.decoder_heads, 1, c.clip.vision.enc.eps, "relu"};
  for (size_t i = 0; i < c.extract_layers.size(); ++i) {
    reduces->push_back(nn::dense(c.clip.vision.enc.hidden, r));
    layers->push_back(ClipSegDecoderLayer(d));
  }
}

at::Tensor ClipSegDecoderImpl::forward(const std::vector<at::Tensor>& activations, const at::Tensor& cond) {
  if (activations.size() != reduces->size()) fail("decoder expects {} activations, got {}", reduces->size(), activations.size());
  at::Tensor out;
  int64_t n = static_cast<int64_t>(activations.size());
  for (int64_t i = 0; i < n; ++i) {
    const at::Tensor& act = activations[n - 1 - i];  // deepest first
    at::Tensor red = reduces[i]->as<nn::Dense>()->forward(act);
    out = out.defined() ? red + out : red;
    if (i == conditional_layer) out = film_mul(cond).unsqueeze(1) * out + film_add(cond).unsqueeze(1);
    out = layers[i]->as<ClipSegDecoderLayer>()->forward(out);
  }
  at::Tensor tokens = out.slice(1, 1).transpose(1, 2);  // [B, R, N]
  int64_t side = static_cast<int64_t>(std::lround(std::sqrt(static_cast<double>(tokens.size(2)))));
  if (side * side != tokens.size(2)) fail("CLIPSeg needs a square patch grid, got {} patches", tokens.size(2));
  at::Tensor grid = tokens.reshape({cond.size(0), tokens.size(1), side, side});
  at::Tensor logits = transposed_convolution.is_empty() ? complex_transposed_convolution(grid) : transposed_convolution(grid);
  return logits.squeeze(1);
}

ClipSegForImageSegmentationImpl::ClipSegForImageSegmentationImpl(const ClipSegConfig& c) : cfg(c) {
  clip = register_module("clip", clip::ClipModel(c.clip));
  decoder = register_module("decoder", ClipSegDecoder(c));
}

at::Tensor ClipSegForImageSegmentationImpl::text_conditional(const at::Tensor& input_ids,
                                                             const at::Tensor& attention_mask) {
  if (!input_ids.defined() || input_ids.dim() != 2 || input_ids.size(0) == 0 || input_ids.size(1) == 0)
    fail("CLIPSeg needs at least one text prompt (input_ids [N, L])");
  return clip->text_projection(clip->text_model(input_ids, attention_mask).pooler_output);
}

at::Tensor ClipSegForImageSegmentationImpl::image_conditional(const at::Tensor& pixel_values) {
  return clip->visual_projection(clip->vision_model(pixel_values).pooler_output);
}

at::Tensor ClipSegForImageSegmentationImpl::forward(const at::Tensor& pixel_values, const at::Tensor& conditional) {
  int64_t s = cfg.clip.vision.image_size;
  if (!pixel_values.defined() || pixel_values.dim() != 4 || pixel_values.size(0) == 0 ||
      pixel_values.size(1) != cfg.clip.vision.num_channels || pixel_values.size(2) != s || pixel_values.size(3) != s)
    fail("CLIPSeg expects pixel_values [B, {}, {}, {}]", cfg.clip.vision.num_channels, s, s);
  if (!conditional.defined() || conditional.dim() != 2 || conditional.size(0) != pixel_values.size(0) ||
      conditional.size(1) != cfg.clip.projection_dim)
    fail("CLIPSeg needs one conditional embedding of size {} per image ({} images)", cfg.clip.projection_dim,
         pixel_values.size(0));
  int64_t deepest = *std::max_element(cfg.extract_layers.begin(), cfg.extract_layers.end());
  auto vis = clip->vision_model(pixel_values, /*hidden_states=*/true, deepest + 1);
  std::vector<at::Tensor> acts;
  for (int64_t l : cfg.extract_layers) acts.push_back(vis.hidden_states[l + 1]);
  return decoder(acts, conditional);
}

at::Tensor ClipSegForImageSegmentationImpl::segment(const at::Tensor& pixel_values, const at::Tensor& input_ids,
                                                    const at::Tensor& attention_mask) {
  at::Tensor cond = text_conditional(input_ids, attention_mask);
  if (pixel_values.defined() && pixel_values.dim() == 4 && cond.size(0) != pixel_values.size(0))
    fail("{} prompts for {} images: give one prompt per image", cond.size(0), pixel_values.size(0));
  return forward(pixel_values, cond);
}

ClipSegForImageSegmentation load_clipseg_model(const io::Checkpoint& ck) {
  ClipSegForImageSegmentation m(parse_config(ck.config()));
  nn::LoadOptions opts;
  opts.ignore_suffixes = {"embeddings.position_ids"};
  nn::load_weights(*m, ck, opts);
  nn::prepare_for_inference(*m);
  return m;
}

}  // namespace argus::models::clipseg
