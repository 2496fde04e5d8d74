#include "models/detr/detr_model.h"

#include <cmath>
#include <string>
#include <vector>

#include "io/checkpoint.h"
#include "nn/attention.h"
#include "nn/inference.h"
#include "nn/load.h"
#include "util/error.h"

namespace argus::models::detr {

namespace {

// [..., n] -> sin at even features, cos at odd ones, interleaved back to [..., n].
at::Tensor interleave_sin_cos(const at::Tensor& x) {
  at::Tensor s = x.slice(-1, 0, at::indexing::None, 2).sin();
  at::Tensor c = x.slice(-1, 1, at::indexing::None, 2).cos();
  return at::stack({s, c}, -1).flatten(-2);
}

// Before anything is allocated: the config's sizes must be the checkpoint's, so that
// an absurd d_model or layer count is an error naming the tensor, not a huge
// allocation. The strict loader checks every other shape afterwards.
void check_sizes_against(const io::Checkpoint& ck, const DetrConfig& c) {
  auto expect = [&](const std::string& key, const std::vector<int64_t>& shape, const std::string& from) {
    const io::TensorRef* t = ck.find(key);
    if (!t) fail("{}: config.json's {} needs the tensor \"{}\", which the checkpoint lacks", ck.dir(), from, key);
    if (t->entry->shape != shape)
      fail("{}: config.json's {} says \"{}\" is {}, but the checkpoint's is {}", ck.dir(), from, key, nn::shape_str(shape),
           nn::shape_str(t->entry->shape));
  };
  const ResNetConfig& b = c.backbone;
  const std::string bb = "model.backbone.conv_encoder.model.";
  expect(bb + "embedder.embedder.convolution.weight", {b.embedding_size, b.num_channels, 7, 7},
         "backbone_config embedding_size / num_channels");
  const bool basic = b.layer_type == "basic";
  for (size_t s = 0; s < b.depths.size(); ++s) {
    const int64_t out = b.hidden_sizes[s], in = basic ? out : out / 4;
    expect(fmt::format("{}encoder.stages.{}.layers.{}.layer.{}.convolution.weight", bb, s, b.depths[s] - 1, basic ? 1 : 2),
           {out, in, basic ? 3 : 1, basic ? 3 : 1}, fmt::format("backbone_config depths[{}] / hidden_sizes[{}]", s, s));
  }
  expect("model.input_projection.weight", {c.d_model, b.out_channels(), 1, 1}, "d_model / backbone output");
  expect("model.query_position_embeddings.weight", {c.num_queries, c.d_model}, "num_queries / d_model");
  if (c.encoder_layers > 0)
    expect(fmt::format("model.encoder.layers.{}.fc1.weight", c.encoder_layers - 1), {c.encoder_ffn_dim, c.d_model},
           "encoder_layers / encoder_ffn_dim");
  expect(fmt::format("model.decoder.layers.{}.fc1.weight", c.decoder_layers - 1), {c.decoder_ffn_dim, c.d_model},
         "decoder_layers / decoder_ffn_dim");
  expect("class_labels_classifier.weight", {c.num_labels() + 1, c.d_model}, "id2label (one class per label + no-object)");
}

}  // namespace

at::Tensor sine_position_embedding(const at::Tensor& mask, int64_t half_dim, double temperature) {
  const double scale = 2 * M_PI, eps = 1e-6;
  at::Tensor m = mask.to(at::kFloat);
  at::Tensor y = m.cumsum(1), x = m.cumsum(2);
  // Each column (row) is normalised by its own count of real positions, so a padded
  // image's embedding spans 0..2π over its real extent.
  y = y / (y.slice(1, -1) + eps) * scale;
  x = x / (x.slice(2, -1) + eps) * scale;
  at::Tensor i = at::arange(half_dim, at::kFloat);
  at::Tensor dim_t = at::pow(temperature, 2 * at::floor_divide(i, 2) / static_cast<double>(half_dim));
  at::Tensor px = interleave_sin_cos(x.unsqueeze(-1) / dim_t);
  at::Tensor py = interleave_sin_cos(y.unsqueeze(-1) / dim_t);
  return at::cat({py, px}, -1).permute({0, 3, 1, 2});
}

DetrModelImpl::DetrModelImpl(const DetrConfig& c) {
  backbone = register_module("backbone", DetrConvModel(c.backbone));
  input_projection =
      register_module("input_projection", torch::nn::Conv2d(torch::nn::Conv2dOptions(c.backbone.out_channels(), c.d_model, 1)));
  query_position_embeddings =
      register_module("query_position_embeddings", torch::nn::Embedding(c.num_queries, c.d_model));
  encoder = register_module("encoder", DetrEncoder(c));
  decoder = register_module("decoder", DetrDecoder(c));
}

DetrMLPPredictionHeadImpl::DetrMLPPredictionHeadImpl(int64_t in, int64_t hidden, int64_t out, int64_t num_layers) {
  layers = register_module("layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < num_layers; ++i) layers->push_back(nn::dense(i == 0 ? in : hidden, i + 1 == num_layers ? out : hidden));
}

at::Tensor DetrMLPPredictionHeadImpl::forward(at::Tensor x) {
  for (size_t i = 0; i < layers->size(); ++i) {
    x = layers[i]->as<nn::DenseImpl>()->forward(x);
    if (i + 1 < layers->size()) x = at::relu(x);
  }
  return x;
}

DetrForObjectDetectionImpl::DetrForObjectDetectionImpl(const DetrConfig& c) : cfg(c) {
  model = register_module("model", DetrModel(c));
  class_labels_classifier = register_module("class_labels_classifier", nn::dense(c.d_model, c.num_labels() + 1));
  bbox_predictor = register_module("bbox_predictor", DetrMLPPredictionHead(c.d_model, c.d_model, 4, 3));
}

DetrOutput DetrForObjectDetectionImpl::forward(const at::Tensor& pixel_values, const at::Tensor& pixel_mask) {
  const int64_t b = pixel_values.size(0);
  at::Tensor mask = pixel_mask.defined() ? pixel_mask : at::ones({b, pixel_values.size(2), pixel_values.size(3)}, at::kLong);
  if (mask.dim() != 3 || mask.size(0) != b || mask.size(1) != pixel_values.size(2) || mask.size(2) != pixel_values.size(3))
    fail("DETR: pixel_mask {} does not match pixel_values {}", nn::shape_str(mask.sizes()), nn::shape_str(pixel_values.sizes()));

  at::Tensor features = model->backbone->conv_encoder->model(pixel_values);
  // Nearest-neighbour downsampling of the mask to the feature map, as F.interpolate's default.
  const std::vector<int64_t> fsize{features.size(2), features.size(3)};
  at::Tensor fmask = at::upsample_nearest2d(mask.to(at::kFloat).unsqueeze(1), fsize).squeeze(1).to(at::kBool);
  at::Tensor pos = sine_position_embedding(fmask, cfg.d_model / 2).flatten(2).permute({0, 2, 1});
  at::Tensor tokens = model->input_projection(features).flatten(2).permute({0, 2, 1});
  at::Tensor key_padding = nn::padding_mask(fmask.flatten(1), tokens.scalar_type());

  at::Tensor memory = model->encoder(tokens, pos, key_padding);
  at::Tensor query_pos = model->query_position_embeddings->weight.unsqueeze(0).expand({b, -1, -1});
  at::Tensor h = model->decoder(query_pos, memory, pos, key_padding);

  DetrOutput out;
  out.logits = class_labels_classifier(h);
  out.pred_boxes = bbox_predictor(h).sigmoid();
  out.last_hidden_state = h;
  out.feature_mask = fmask;
  return out;
}

DetrForObjectDetection load_detr_model(const io::Checkpoint& ck) {
  if (!ck.has_config()) fail("{}: no config.json", ck.dir());
  DetrConfig cfg = [&] {
    try {
      return parse_config(ck.config());
    } catch (const Error& e) {
      fail("{}/config.json: {}", ck.dir(), e.what());
    }
  }();
  check_sizes_against(ck, cfg);
  DetrForObjectDetection model(cfg);
  nn::LoadOptions opts;
  // BatchNorm's training counter, which DetrFrozenBatchNorm2d drops on load too.
  opts.ignore_suffixes = {".num_batches_tracked"};
  nn::load_weights(*model, ck, opts);
  model->eval();
  nn::prepare_for_inference(*model);
  return model;
}

}  // namespace argus::models::detr
