#include "models/owlvit/owlvit_model.h"

#include <limits>

#include "io/checkpoint.h"
#include "io/json_file.h"
#include "models/owlvit/owlvit_postprocess.h"
#include "nn/inference.h"
#include "nn/load.h"
#include "nn/tensor_io.h"
#include "util/error.h"

namespace argus::models::owlvit {

namespace {

// Fills keys the file leaves out with OWL's defaults (which differ from CLIP's).
nlohmann::json with_defaults(const nlohmann::json& j, const nlohmann::json& defaults) {
  nlohmann::json out = defaults;
  if (j.is_object())
    for (auto it = j.begin(); it != j.end(); ++it) out[it.key()] = it.value();
  return out;
}

}  // namespace

static std::string dims(at::IntArrayRef s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

OwlViTConfig parse_config(const nlohmann::json& j) {
  OwlViTConfig c;
  std::string type = io::get_or<std::string>(j, "model_type", "owlvit");
  if (type != "owlvit" && type != "owlv2") fail("config: model_type \"{}\" is not owlvit or owlv2", type);
  bool v2 = type == "owlv2";
  c.objectness = v2;
  c.base_name = type;
  nlohmann::json tdef = {{"max_position_embeddings", 16}, {"pad_token_id", 0}};
  nlohmann::json vdef = {{"image_size", v2 ? 960 : 768}, {"patch_size", v2 ? 16 : 32}};
  c.text = clip::parse_text_config(with_defaults(j.value("text_config", nlohmann::json::object()), tdef));
  c.vision = clip::parse_vision_config(with_defaults(j.value("vision_config", nlohmann::json::object()), vdef));
  c.projection_dim = io::get_or<int64_t>(j, "projection_dim", c.projection_dim);
  c.logit_scale_init_value = io::get_or<double>(j, "logit_scale_init_value", c.logit_scale_init_value);
  return c;
}

nlohmann::json to_json(const OwlViTConfig& c) {
  clip::ClipConfig as_clip;
  as_clip.text = c.text;
  as_clip.vision = c.vision;
  nlohmann::json j = clip::to_json(as_clip);
  j["model_type"] = c.base_name;
  j["architectures"] = nlohmann::json::array({c.objectness ? "Owlv2ForObjectDetection" : "OwlViTForObjectDetection"});
  j["text_config"]["model_type"] = c.base_name + "_text_model";
  j["vision_config"]["model_type"] = c.base_name + "_vision_model";
  j["projection_dim"] = c.projection_dim;
  j["logit_scale_init_value"] = c.logit_scale_init_value;
  return j;
}

OwlVisionTransformerImpl::OwlVisionTransformerImpl(const clip::ClipVisionConfig& c) {
  embeddings = register_module("embeddings", clip::ClipVisionEmbeddings(c));
  pre_layernorm = register_module("pre_layernorm", nn::layer_norm(c.enc.hidden, c.enc.eps));
  encoder = register_module("encoder", nn::Encoder(c.enc));
  post_layernorm = register_module("post_layernorm", nn::layer_norm(c.enc.hidden, c.enc.eps));
}

at::Tensor OwlVisionTransformerImpl::forward(const at::Tensor& pixel_values) {
  at::Tensor h = pre_layernorm(embeddings(pixel_values));
  return post_layernorm(encoder(h, at::Tensor()));
}

OwlViTModelImpl::OwlViTModelImpl(const OwlViTConfig& c) {
  text_model = register_module("text_model", clip::ClipTextTransformer(c.text));
  vision_model = register_module("vision_model", OwlVisionTransformer(c.vision));
  visual_projection = register_module("visual_projection", nn::dense(c.vision.enc.hidden, c.projection_dim, false));
  text_projection = register_module("text_projection", nn::dense(c.text.enc.hidden, c.projection_dim, false));
  logit_scale = register_parameter("logit_scale", at::full({}, c.logit_scale_init_value));
}

at::Tensor OwlViTModelImpl::text_embeds(const at::Tensor& input_ids, const at::Tensor& attention_mask) {
  return clip::l2_normalize(text_projection(text_model(input_ids, attention_mask).pooler_output));
}

OwlBoxHeadImpl::OwlBoxHeadImpl(int64_t width, int64_t out_dim) {
  dense0 = register_module("dense0", nn::dense(width, width));
  dense1 = register_module("dense1", nn::dense(width, width));
  dense2 = register_module("dense2", nn::dense(width, out_dim));
}

at::Tensor OwlBoxHeadImpl::forward(const at::Tensor& x) {
  return dense2(at::gelu(dense1(at::gelu(dense0(x)))));
}

OwlClassHeadImpl::OwlClassHeadImpl(int64_t vision_hidden, int64_t text_hidden) {
  dense0 = register_module("dense0", nn::dense(vision_hidden, text_hidden));
  logit_shift = register_module("logit_shift", nn::dense(vision_hidden, 1));
  logit_scale = register_module("logit_scale", nn::dense(vision_hidden, 1));
}

ClassHeadOutput OwlClassHeadImpl::forward(const at::Tensor& image_feats, const at::Tensor& query_embeds,
                                          const at::Tensor& query_mask) {
  ClassHeadOutput out;
  at::Tensor ce = dense0(image_feats);
  ce = ce / (ce.norm(2, -1, true) + 1e-6);
  at::Tensor q = query_embeds / (query_embeds.norm(2, -1, true) + 1e-6);
  at::Tensor logits = at::matmul(ce, q.transpose(-1, -2));  // [B, P, Q]
  at::Tensor shift = logit_shift(image_feats);
  at::Tensor scale = at::elu(logit_scale(image_feats)) + 1;
  logits = (logits + shift) * scale;
  if (query_mask.defined()) {
    at::Tensor m = query_mask.dim() > 1 ? query_mask.unsqueeze(-2) : query_mask;
    logits = at::where(m.to(at::kBool), logits,
                       at::full({}, std::numeric_limits<float>::lowest(), logits.options()));
  }
  out.logits = logits;
  out.class_embeds = ce;
  return out;
}

at::Tensor compute_box_bias(int64_t grid_h, int64_t grid_w) {
  auto f = at::TensorOptions().dtype(at::kFloat);
  at::Tensor x = at::arange(1, grid_w + 1, f) / static_cast<double>(grid_w);
  at::Tensor y = at::arange(1, grid_h + 1, f) / static_cast<double>(grid_h);
  // Row-major over (y, x): patch i = y * w + x holds (x, y).
  at::Tensor coords = at::stack({x.unsqueeze(0).expand({grid_h, grid_w}), y.unsqueeze(1).expand({grid_h, grid_w})}, -1)
                          .reshape({-1, 2})
                          .clamp(0.0, 1.0);
  at::Tensor coord_bias = at::log(coords + 1e-4) - at::log1p(-coords + 1e-4);
  at::Tensor size = at::ones_like(coord_bias);
  size.select(-1, 0).div_(static_cast<double>(grid_w));
  size.select(-1, 1).div_(static_cast<double>(grid_h));
  at::Tensor size_bias = at::log(size + 1e-4) - at::log1p(-size + 1e-4);
  return at::cat({coord_bias, size_bias}, -1);
}

OwlViTForObjectDetectionImpl::OwlViTForObjectDetectionImpl(const OwlViTConfig& c) : cfg(c) {
  if (c.vision.image_size % c.vision.patch_size != 0)
    fail("config: image_size {} is not a multiple of patch_size {}", c.vision.image_size, c.vision.patch_size);
  base = register_module(c.base_name, OwlViTModel(c));
  class_head = register_module("class_head", OwlClassHead(c.vision.enc.hidden, c.text.enc.hidden));
  box_head = register_module("box_head", OwlBoxHead(c.vision.enc.hidden, 4));
  if (c.objectness) objectness_head = register_module("objectness_head", OwlBoxHead(c.vision.enc.hidden, 1));
  layer_norm = register_module("layer_norm", nn::layer_norm(c.vision.enc.hidden, c.vision.enc.eps));
  box_bias = compute_box_bias(c.grid(), c.grid());
}

at::Tensor OwlViTForObjectDetectionImpl::image_features(const at::Tensor& pixel_values) {
  int64_t s = cfg.vision.image_size;
  if (pixel_values.dim() != 4 || pixel_values.size(1) != cfg.vision.num_channels || pixel_values.size(2) != s ||
      pixel_values.size(3) != s || pixel_values.size(0) == 0)
    fail("OWL-ViT expects pixel_values [B, {}, {}, {}], got {}", cfg.vision.num_channels, s, s,
         dims(pixel_values.sizes()));
  at::Tensor h = base->vision_model(pixel_values);  // [B, 1 + P, D], every token post-LN
  at::Tensor feats = h.slice(1, 1) * h.slice(1, 0, 1);
  return layer_norm(feats);
}

at::Tensor OwlViTForObjectDetectionImpl::box_predictor(const at::Tensor& image_feats) {
  return at::sigmoid(box_head(image_feats) + box_bias.to(image_feats.dtype()));
}

at::Tensor OwlViTForObjectDetectionImpl::objectness_predictor(const at::Tensor& image_feats) {
  if (!cfg.objectness) fail("this OWL-ViT checkpoint has no objectness head (OWLv2 has one)");
  return objectness_head(image_feats).select(-1, 0);
}

OwlDetectionOutput OwlViTForObjectDetectionImpl::forward(const at::Tensor& pixel_values, const at::Tensor& input_ids,
                                                         const at::Tensor& attention_mask) {
  if (!input_ids.defined() || input_ids.dim() != 2 || input_ids.size(0) == 0 || input_ids.size(1) == 0)
    fail("OWL-ViT detection needs at least one text query (input_ids [B*Q, L])");
  at::Tensor feats = image_features(pixel_values);
  int64_t b = feats.size(0);
  if (input_ids.size(0) % b != 0)
    fail("{} text queries do not split evenly over {} images", input_ids.size(0), b);
  if (attention_mask.defined() && attention_mask.sizes() != input_ids.sizes())
    fail("attention_mask {} does not match input_ids {}", dims(attention_mask.sizes()),
         dims(input_ids.sizes()));
  int64_t q = input_ids.size(0) / b;
  OwlDetectionOutput out;
  out.text_embeds = base->text_embeds(input_ids, attention_mask).reshape({b, q, -1});
  at::Tensor query_mask = input_ids.reshape({b, q, -1}).select(-1, 0) > 0;
  auto cls = class_head(feats, out.text_embeds, query_mask);
  out.logits = cls.logits;
  out.class_embeds = cls.class_embeds;
  out.pred_boxes = box_predictor(feats);
  if (cfg.objectness) out.objectness_logits = objectness_predictor(feats);
  out.image_embeds = feats.reshape({b, cfg.grid(), cfg.grid(), -1});
  return out;
}

void OwlViTForObjectDetectionImpl::embed_image_query(const at::Tensor& query_feats, const at::Tensor& query_boxes,
                                                     at::Tensor& embeds, at::Tensor& indices, at::Tensor& pred_boxes) {
  int64_t bq = query_feats.size(0), k = query_boxes.size(1);
  at::Tensor class_embeds = class_head->embed(query_feats);  // unnormalised, as transformers uses them
  pred_boxes = box_predictor(query_feats);
  at::Tensor corners = center_to_corners(pred_boxes);
  std::vector<at::Tensor> rows_e, rows_i;
  for (int64_t i = 0; i < bq; ++i) {
    at::Tensor ce = class_embeds[i];                 // [P, E]
    at::Tensor mean = ce.mean(0);                    // [E]
    at::Tensor ious_all = box_iou(query_boxes[i].to(corners.dtype()), corners[i]);  // [K, P]
    std::vector<at::Tensor> es, is;
    for (int64_t j = 0; j < k; ++j) {
      at::Tensor ious = ious_all[j];
      if ((ious == 0).all().item<bool>()) ious = generalized_box_iou(query_boxes[i][j].unsqueeze(0).to(corners.dtype()),
                                                                     corners[i])[0];
      at::Tensor selected = (ious >= ious.max() * 0.8).nonzero().select(1, 0);
      int64_t best;
      if (selected.numel() == 0) {
        // Only possible with negative generalised IoUs; transformers then has no query.
        best = ious.argmax().item<int64_t>();
      } else {
        at::Tensor sim = at::matmul(ce.index_select(0, selected), mean);
        best = selected[sim.argmin()].item<int64_t>();
      }
      es.push_back(ce[best]);
      is.push_back(at::full({}, best, at::kLong));
    }
    rows_e.push_back(at::stack(es));
    rows_i.push_back(at::stack(is));
  }
  embeds = at::stack(rows_e);
  indices = at::stack(rows_i);
}

OwlImageGuidedOutput OwlViTForObjectDetectionImpl::image_guided_detection(const at::Tensor& pixel_values,
                                                                          const at::Tensor& query_pixel_values,
                                                                          const at::Tensor& query_boxes) {
  if (!query_pixel_values.defined()) fail("image-guided detection needs a query image");
  at::Tensor feats = image_features(pixel_values);
  at::Tensor qfeats = image_features(query_pixel_values);
  int64_t b = feats.size(0), bq = qfeats.size(0);
  if (bq != b && bq != 1) fail("{} query images for {} target images: give one per target image or one for all", bq, b);
  at::Tensor boxes = query_boxes.defined()
                         ? query_boxes.to(at::kFloat)
                         : at::tensor({0.f, 0.f, 1.f, 1.f}).view({1, 1, 4}).expand({bq, 1, 4});
  if (boxes.dim() == 2) boxes = boxes.unsqueeze(0).expand({bq, -1, -1});
  if (boxes.dim() != 3 || boxes.size(0) != bq || boxes.size(2) != 4)
    fail("query boxes must be [K, 4] or [{}, K, 4] (x0, y0, x1, y1 in [0, 1]), got {}", bq,
         dims(query_boxes.sizes()));
  if (boxes.size(1) == 0) fail("image-guided detection needs at least one exemplar box");
  if (!at::isfinite(boxes).all().item<bool>() || (boxes < 0).any().item<bool>() || (boxes > 1).any().item<bool>())
    fail("an exemplar box lies outside the query image: coordinates must be x0, y0, x1, y1 within [0, 1]");
  at::Tensor x0 = boxes.select(-1, 0), y0 = boxes.select(-1, 1), x1 = boxes.select(-1, 2), y1 = boxes.select(-1, 3);
  if ((x1 <= x0).any().item<bool>() || (y1 <= y0).any().item<bool>())
    fail("an exemplar box is empty: it needs x0 < x1 and y0 < y1");

  OwlImageGuidedOutput out;
  embed_image_query(qfeats, boxes, out.query_embeds, out.query_box_indices, out.query_pred_boxes);
  auto cls = class_head(feats, out.query_embeds, at::Tensor());
  out.logits = cls.logits;
  out.class_embeds = cls.class_embeds;
  out.pred_boxes = box_predictor(feats);
  if (cfg.objectness) out.objectness_logits = objectness_predictor(feats);
  return out;
}

OwlViTForObjectDetection load_owlvit_model(const io::Checkpoint& ck) {
  OwlViTForObjectDetection m(parse_config(ck.config()));
  nn::LoadOptions opts;
  opts.ignore_suffixes = {"embeddings.position_ids"};
  nn::load_weights(*m, ck, opts);
  // transformers builds the model in the checkpoint's dtype (dtype="auto"), so box_bias,
  // a buffer computed at construction, is rounded to that dtype; running the model in
  // float32 afterwards keeps the rounded values. For a float16 checkpoint this moves
  // boxes by up to ~1e-4 on OWLv2's 60x60 grid, so reproduce the rounding.
  if (const io::TensorRef* w = ck.find("box_head.dense2.weight")) {
    at::ScalarType stored = nn::to_scalar_type(w->entry->dtype);
    if (stored == at::kHalf || stored == at::kBFloat16) m->box_bias = m->box_bias.to(stored).to(at::kFloat);
  }
  nn::prepare_for_inference(*m);
  return m;
}

}  // namespace argus::models::owlvit
