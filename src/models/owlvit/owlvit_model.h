// OwlViTForObjectDetection and Owlv2ForObjectDetection (transformers layout): a CLIP
// text tower and a CLIP-like vision tower (`pre_layernorm`, post_layernorm applied to
// every token), then per-patch heads: a class head scoring each patch against query
// embeddings (text or image exemplars) and a box head predicting (cx, cy, w, h) with a
// bias from the patch grid. OWLv2 is the same model plus an objectness head; both are
// one class here, switched by OwlViTConfig::objectness.
#pragma once
#include <string>

#include <nlohmann/json.hpp>
#include <torch/nn/module.h>

#include "models/clip/clip_config.h"
#include "models/clip/clip_model.h"
#include "nn/dense.h"

namespace argus::io { class Checkpoint; }

namespace argus::models::owlvit {

struct OwlViTConfig {
  clip::ClipTextConfig text;
  clip::ClipVisionConfig vision;
  int64_t projection_dim = 512;
  double logit_scale_init_value = 2.6592;
  bool objectness = false;           // OWLv2: objectness_head
  std::string base_name = "owlvit";  // the checkpoint's name for the CLIP part ("owlv2")
  int64_t grid() const { return vision.image_size / vision.patch_size; }  // patches per side
};
// Reads an owlvit or owlv2 config.json (model_type decides which), with transformers' defaults.
OwlViTConfig parse_config(const nlohmann::json& j);
// config.json as transformers writes it for OwlViTForObjectDetection / Owlv2 (what
// parse_config reads back).
nlohmann::json to_json(const OwlViTConfig& c);

// CLIP's vision tower under OWL's key names; returns every token after post_layernorm.
struct OwlVisionTransformerImpl : torch::nn::Module {
  explicit OwlVisionTransformerImpl(const clip::ClipVisionConfig& c);
  at::Tensor forward(const at::Tensor& pixel_values);  // [B, 1 + N, D]
  clip::ClipVisionEmbeddings embeddings{nullptr};
  torch::nn::LayerNorm pre_layernorm{nullptr};
  nn::Encoder encoder{nullptr};
  torch::nn::LayerNorm post_layernorm{nullptr};
};
TORCH_MODULE(OwlVisionTransformer);

// OwlViTModel / Owlv2Model: the CLIP part.
struct OwlViTModelImpl : torch::nn::Module {
  explicit OwlViTModelImpl(const OwlViTConfig& c);
  // Projected, L2-normalised text embeddings [N, projection_dim].
  at::Tensor text_embeds(const at::Tensor& input_ids, const at::Tensor& attention_mask);
  clip::ClipTextTransformer text_model{nullptr};
  OwlVisionTransformer vision_model{nullptr};
  nn::Dense visual_projection{nullptr}, text_projection{nullptr};
  at::Tensor logit_scale;
};
TORCH_MODULE(OwlViTModel);

// dense0 -> GELU -> dense1 -> GELU -> dense2 (box head: 4 outputs; objectness: 1).
struct OwlBoxHeadImpl : torch::nn::Module {
  OwlBoxHeadImpl(int64_t width, int64_t out_dim);
  at::Tensor forward(const at::Tensor& x);
  nn::Dense dense0{nullptr}, dense1{nullptr}, dense2{nullptr};
};
TORCH_MODULE(OwlBoxHead);

struct ClassHeadOutput {
  at::Tensor logits;        // [B, P, Q]
  at::Tensor class_embeds;  // [B, P, E], L2-normalised (as transformers returns them with queries)
};

struct OwlClassHeadImpl : torch::nn::Module {
  OwlClassHeadImpl(int64_t vision_hidden, int64_t text_hidden);
  // Unnormalised per-patch class embeddings (dense0) [B, P, E]: image-query candidates.
  at::Tensor embed(const at::Tensor& image_feats) { return dense0(image_feats); }
  // image_feats [B, P, D]; query_embeds [B or 1, Q, E]; query_mask [B, Q] (true = real
  // query) or undefined. Masked queries get the float minimum as logit.
  ClassHeadOutput forward(const at::Tensor& image_feats, const at::Tensor& query_embeds, const at::Tensor& query_mask);
  nn::Dense dense0{nullptr}, logit_shift{nullptr}, logit_scale{nullptr};
};
TORCH_MODULE(OwlClassHead);

struct OwlDetectionOutput {
  at::Tensor logits;             // [B, P, Q]
  at::Tensor pred_boxes;         // [B, P, 4] (cx, cy, w, h) in [0, 1] of the (padded) input
  at::Tensor class_embeds;       // [B, P, E] normalised
  at::Tensor text_embeds;        // [B, Q, E] normalised (text queries only)
  at::Tensor objectness_logits;  // [B, P] (OWLv2 only, else undefined)
  at::Tensor image_embeds;       // feature map [B, h, w, D]
};

struct OwlImageGuidedOutput {
  at::Tensor logits;             // [B, P, K]: K exemplar boxes per query image
  at::Tensor pred_boxes;         // [B, P, 4] target boxes (cx, cy, w, h)
  at::Tensor class_embeds;       // [B, P, E] normalised
  at::Tensor objectness_logits;  // [B, P] (OWLv2 only)
  at::Tensor query_embeds;       // [Bq, K, E] the selected (unnormalised) patch class embeddings
  at::Tensor query_box_indices;  // [Bq, K] int64: which query-image patch each query came from
  at::Tensor query_pred_boxes;   // [Bq, P, 4] the query images' predicted boxes (cx, cy, w, h)
};

struct OwlViTForObjectDetectionImpl : torch::nn::Module {
  explicit OwlViTForObjectDetectionImpl(const OwlViTConfig& c);

  // Text-queried detection. pixel_values [B, 3, S, S]; input_ids [B*Q, L]: Q queries per
  // image, image-major (transformers' layout); a query whose first id is 0 is padding.
  // attention_mask [B*Q, L] or undefined.
  OwlDetectionOutput forward(const at::Tensor& pixel_values, const at::Tensor& input_ids,
                             const at::Tensor& attention_mask = {});

  // Image-guided (one-shot) detection. For each query image and each exemplar box on it
  // (query_boxes [Bq, K, 4] or [K, 4] for all: x0, y0, x1, y1 relative to the query image,
  // in [0, 1]; undefined = the whole image, which is transformers' behaviour), the query
  // is the class embedding of the query-image patch whose predicted box best matches the
  // exemplar: among the patches within 80 % of the best IoU (generalised IoU when none
  // overlaps), the one least similar to the image's mean embedding. Bq is B or 1.
  OwlImageGuidedOutput image_guided_detection(const at::Tensor& pixel_values, const at::Tensor& query_pixel_values,
                                              const at::Tensor& query_boxes = {});

  // Building blocks.
  // Patch features [B, P, D]: post-LN tokens, patches × class token, layer_norm.
  at::Tensor image_features(const at::Tensor& pixel_values);
  at::Tensor box_predictor(const at::Tensor& image_feats);         // [B, P, 4], sigmoid(head + grid bias)
  at::Tensor objectness_predictor(const at::Tensor& image_feats);  // [B, P]; OWLv2 only
  // Picks one query embedding per exemplar box (see image_guided_detection).
  void embed_image_query(const at::Tensor& query_feats, const at::Tensor& query_boxes, at::Tensor& embeds,
                         at::Tensor& indices, at::Tensor& pred_boxes);

  OwlViTConfig cfg;
  OwlViTModel base{nullptr};  // registered as cfg.base_name ("owlvit" / "owlv2")
  OwlClassHead class_head{nullptr};
  OwlBoxHead box_head{nullptr};
  OwlBoxHead objectness_head{nullptr};  // OWLv2 only
  torch::nn::LayerNorm layer_norm{nullptr};
  at::Tensor box_bias;  // [P, 4], computed from the grid (not a checkpoint tensor)
};
TORCH_MODULE(OwlViTForObjectDetection);

// transformers' box bias for an h×w patch grid [h*w, 4]: logit of each patch's
// bottom-right corner (normalised) and of the patch size.
at::Tensor compute_box_bias(int64_t grid_h, int64_t grid_w);

// Builds OwlViTForObjectDetection / Owlv2ForObjectDetection from the checkpoint's
// config, loads its weights strictly and prepares it for inference.
OwlViTForObjectDetection load_owlvit_model(const io::Checkpoint& ck);

}  // namespace argus::models::owlvit
