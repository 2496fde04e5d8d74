#include "models/grounding_dino/grounding_dino_model.h"

#include <cmath>
#include <limits>

#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>

#include "io/checkpoint.h"
#include "models/grounding_dino/position_embeddings.h"
#include "nn/inference.h"
#include "nn/load.h"
#include "nn/vit_encoder.h"
#include "util/error.h"

namespace argus::models::grounding_dino {

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

// GroundingDinoContrastiveEmbedding: query · token, -inf for masked tokens and
// for the columns past the prompt up to max_text_len.
at::Tensor contrastive_logits(const at::Tensor& queries, const at::Tensor& text, const at::Tensor& text_valid,
                              int64_t max_text_len) {
  at::Tensor sim = at::matmul(queries, text.transpose(-1, -2));
  sim = sim.masked_fill(text_valid.logical_not().unsqueeze(1), -kInf);
  at::Tensor out = at::full({sim.size(0), sim.size(1), max_text_len}, -kInf, sim.options());
  out.narrow(-1, 0, sim.size(-1)).copy_(sim);
  return out;
}

// Two-stage proposals: one box per encoder position, centred on its pixel with
// a level-dependent size (0.05 · 2^level), as logits; boxes too close to the
// border are invalid (+inf logits, zeroed features), as in the reference.
std::pair<at::Tensor, at::Tensor> encoder_proposals(const at::Tensor& memory, const SpatialShapes& shapes) {
  auto b = memory.size(0);
  std::vector<at::Tensor> boxes;
  for (size_t l = 0; l < shapes.size(); ++l) {
    auto [h, w] = shapes[l];
    at::Tensor gy = at::linspace(0, h - 1, h, at::kFloat).view({h, 1}).expand({h, w});
    at::Tensor gx = at::linspace(0, w - 1, w, at::kFloat).view({1, w}).expand({h, w});
    at::Tensor cx = (gx + 0.5) / static_cast<double>(w), cy = (gy + 0.5) / static_cast<double>(h);
    at::Tensor wh = at::full({h, w}, 0.05 * std::pow(2.0, static_cast<double>(l)), at::kFloat);
    boxes.push_back(at::stack({cx, cy, wh, wh}, -1).view({-1, 4}));
  }
  at::Tensor p = at::cat(boxes, 0).unsqueeze(0).expand({b, -1, 4});
  at::Tensor valid = ((p > 0.01) & (p < 0.99)).all(-1, true);
  at::Tensor logits = at::log(p / (1 - p)).masked_fill(valid.logical_not(), kInf);
  at::Tensor query = memory.masked_fill(valid.logical_not(), 0.0);
  return {query, logits};
}

}  // namespace

GroundingDinoModelImpl::GroundingDinoModelImpl(const GroundingDinoConfig& c) : cfg(c) {
  backbone = register_module("backbone", GroundingDinoConvModel(c.backbone));
  input_proj_vision = register_module("input_proj_vision", torch::nn::ModuleList());
  std::vector<int64_t> chans = backbone->conv_encoder->model->channels();
  int64_t in = chans.back();
  for (int64_t l = 0; l < c.num_feature_levels; ++l) {
    bool from_backbone = l < static_cast<int64_t>(chans.size());
    auto conv = from_backbone ? torch::nn::Conv2dOptions(chans[l], c.d_model, 1)
                              : torch::nn::Conv2dOptions(in, c.d_model, 3).stride(2).padding(1);
    input_proj_vision->push_back(torch::nn::Sequential(
        torch::nn::Conv2d(conv), torch::nn::GroupNorm(torch::nn::GroupNormOptions(32, c.d_model).eps(1e-5))));
    if (!from_backbone) in = c.d_model;
  }
  text_backbone = register_module("text_backbone", BertModel(c.text));
  text_projection = register_module("text_projection", nn::dense(c.text.hidden_size, c.d_model));
  if (c.embedding_init_target || !c.two_stage)
    query_position_embeddings =
        register_module("query_position_embeddings", torch::nn::Embedding(c.num_queries, c.d_model));
  encoder = register_module("encoder", Encoder(c));
  decoder = register_module("decoder", Decoder(c));
  level_embed = register_parameter("level_embed", at::zeros({c.num_feature_levels, c.d_model}));
  if (c.two_stage) {
    enc_output = register_module("enc_output", nn::dense(c.d_model, c.d_model));
    enc_output_norm = register_module("enc_output_norm", nn::layer_norm(c.d_model, c.layer_norm_eps));
    encoder_output_bbox_embed =
        register_module("encoder_output_bbox_embed", MLPPredictionHead(c.d_model, c.d_model, 4, 3));
  } else {
    reference_points = register_module("reference_points", torch::nn::Embedding(c.num_queries, 4));
  }
}

GroundingDinoForObjectDetectionImpl::GroundingDinoForObjectDetectionImpl(const GroundingDinoConfig& c) : cfg(c) {
  model = register_module("model", GroundingDinoModel(c));
  bbox_embed = register_module("bbox_embed", torch::nn::ModuleList());
  // With decoder_bbox_embed_share every layer uses head 0 (the checkpoint stores it once).
  int64_t heads = c.decoder_bbox_embed_share ? 1 : c.decoder_layers;
  for (int64_t i = 0; i < heads; ++i) bbox_embed->push_back(MLPPredictionHead(c.d_model, c.d_model, 4, 3));
}

std::vector<MLPPredictionHead> GroundingDinoForObjectDetectionImpl::box_heads() const {
  std::vector<MLPPredictionHead> out;
  for (int64_t i = 0; i < cfg.decoder_layers; ++i)
    out.emplace_back(bbox_embed->ptr<MLPPredictionHeadImpl>(cfg.decoder_bbox_embed_share ? 0 : i));
  return out;
}

GroundingDinoOutput GroundingDinoForObjectDetectionImpl::forward(const at::Tensor& pixel_values,
                                                                 const at::Tensor& input_ids_in,
                                                                 const at::Tensor& attention_mask_in,
                                                                 const at::Tensor& token_type_ids_in) {
  at::NoGradGuard no_grad;
  auto& m = *model;
  if (input_ids_in.dim() != 2 || input_ids_in.size(1) < 1)
    fail("grounding-dino: input_ids must be [batch, length] with length >= 1");
  if (pixel_values.dim() != 4 || pixel_values.size(0) != input_ids_in.size(0))
    fail("grounding-dino: pixel_values must be [B, 3, H, W] with B = {} (the input_ids batch)", input_ids_in.size(0));
  at::Tensor input_ids = input_ids_in.to(at::kLong);
  at::Tensor attention_mask = attention_mask_in.defined() ? attention_mask_in : at::ones_like(input_ids);
  at::Tensor token_type_ids = token_type_ids_in.defined() ? token_type_ids_in.to(at::kLong) : at::zeros_like(input_ids);
  if (attention_mask.sizes() != input_ids.sizes() || token_type_ids.sizes() != input_ids.sizes())
    fail("grounding-dino: attention_mask and token_type_ids must have the shape of input_ids");

  PhraseMasks phrases = phrase_masks(input_ids, delimiter_ids);
  at::Tensor text_valid = attention_mask.to(at::kBool);
  if (input_ids.size(1) > cfg.max_text_len) {  // the reference truncates to max_text_len
    int64_t n = cfg.max_text_len;
    phrases.attention = phrases.attention.narrow(1, 0, n).narrow(2, 0, n);
    phrases.position_ids = phrases.position_ids.narrow(1, 0, n);
    input_ids = input_ids.narrow(1, 0, n);
    token_type_ids = token_type_ids.narrow(1, 0, n);
    text_valid = text_valid.narrow(1, 0, n);
  }
  GroundingDinoOutput out;
  out.input_ids = input_ids;
  at::Tensor text =
      m.text_projection(m.text_backbone(input_ids, token_type_ids, phrases.position_ids, phrases.attention));
  out.text_features = text;

  // Multi-level image features, each projected to d_model, with sine + level position embeddings.
  auto b = pixel_values.size(0);
  out.backbone_features = m.backbone->conv_encoder->model(pixel_values);
  std::vector<at::Tensor> maps;
  for (int64_t l = 0; l < cfg.num_feature_levels; ++l) {
    auto proj = m.input_proj_vision[l]->as<torch::nn::SequentialImpl>();
    int64_t n_out = static_cast<int64_t>(out.backbone_features.size());
    const at::Tensor& src = l < n_out ? out.backbone_features[l] : (l == n_out ? out.backbone_features.back() : maps.back());
    maps.push_back(proj->forward(src));
  }
  SpatialShapes shapes;
  std::vector<at::Tensor> flat, pos;
  for (int64_t l = 0; l < cfg.num_feature_levels; ++l) {
    auto h = maps[l].size(2), w = maps[l].size(3);
    shapes.emplace_back(h, w);
    flat.push_back(maps[l].flatten(2).transpose(1, 2));
    at::Tensor p = sine_position_embedding_2d(b, h, w, cfg.d_model / 2, cfg.positional_embedding_temperature);
    pos.push_back(p.flatten(2).transpose(1, 2) + m.level_embed[l].view({1, 1, -1}));
  }
  EncoderInputs enc;
  enc.vision = at::cat(flat, 1);
  enc.vision_valid = at::ones({b, enc.vision.size(1)}, at::kBool);
  enc.vision_pos = at::cat(pos, 1);
  enc.shapes = shapes;
  enc.text = text;
  enc.text_valid = text_valid;
  enc.text_attention = phrases.attention;
  enc.text_position_ids = phrases.position_ids;
  auto [memory, memory_text] = m.encoder(enc);
  out.encoder_vision = memory;
  out.encoder_text = memory_text;

  // Query selection.
  at::Tensor target, reference;
  if (cfg.two_stage) {
    auto [query, proposals] = encoder_proposals(memory, shapes);
    at::Tensor object_query = m.enc_output_norm(m.enc_output(query));
    at::Tensor enc_class = contrastive_logits(object_query, memory_text, text_valid, cfg.max_text_len);
    at::Tensor coord_logits = m.encoder_output_bbox_embed(object_query) + proposals;
    int64_t k = cfg.num_queries;
    if (k > coord_logits.size(1))
      fail("grounding-dino: num_queries {} exceeds the {} encoder positions of this image size", k,
           coord_logits.size(1));
    at::Tensor topk = std::get<1>(at::topk(std::get<0>(enc_class.max(-1)), k, 1));
    reference = at::gather(coord_logits, 1, topk.unsqueeze(-1).expand({-1, -1, 4})).sigmoid();
    if (m.query_position_embeddings)
      target = m.query_position_embeddings->weight.unsqueeze(0).expand({b, -1, -1});
    else
      target = at::gather(object_query, 1, topk.unsqueeze(-1).expand({-1, -1, cfg.d_model}));
  } else {
    target = m.query_position_embeddings->weight.unsqueeze(0).expand({b, -1, -1});
    reference = m.reference_points->weight.sigmoid().unsqueeze(0).expand({b, -1, -1});
  }
  out.init_reference_points = reference;

  auto heads = box_heads();
  DecoderOutput dec = m.decoder(target, reference, shapes, memory, enc.vision_valid, memory_text, text_valid, heads);
  size_t last = dec.hidden.size() - 1;
  at::Tensor last_reference = last == 0 ? reference : dec.references[last - 1];
  out.logits = contrastive_logits(dec.hidden[last], memory_text, text_valid, cfg.max_text_len);
  out.pred_boxes = at::sigmoid(heads[last](dec.hidden[last]) + inverse_sigmoid(last_reference));
  return out;
}

GroundingDinoForObjectDetection load_grounding_dino_model(const io::Checkpoint& ck) {
  if (!ck.has_config()) fail("{}: no config.json", ck.dir());
  GroundingDinoForObjectDetection model(parse_config(ck.config()));
  nn::LoadOptions opts;
  // SwinBackbone checkpoints carry the classification model's final norm, which
  // the backbone never applies; older exports also store BERT's position_ids buffer.
  opts.ignore_suffixes = {"conv_encoder.model.swin.layernorm.weight", "conv_encoder.model.swin.layernorm.bias",
                          "text_backbone.embeddings.position_ids", "text_backbone.embeddings.token_type_ids"};
  nn::load_weights(*model, ck, opts);
  model->eval();
  nn::prepare_for_inference(*model);
  return model;
}

}  // namespace argus::models::grounding_dino
