// GroundingDinoForObjectDetection (transformers layout): open-set detection
// from a text prompt of '.'-separated phrases. Swin backbone -> multi-level
// projected features; BERT -> text features; the feature enhancer fuses both;
// language-guided query selection picks the num_queries encoder positions most
// similar to any text token as initial boxes; the decoder refines them; each
// query's logits are its similarity to every text token (max_text_len wide,
// -inf beyond the prompt), boxes are (cx, cy, w, h) relative to the input.
//
// Inputs are assumed unpadded (no pixel_mask): every image of a batch has the
// pixel_values size, as the processor makes them for a single image.
#pragma once
#include <vector>

#include <ATen/ATen.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/normalization.h>

#include "models/grounding_dino/bert_model.h"
#include "models/grounding_dino/grounding_dino_config.h"
#include "models/grounding_dino/grounding_dino_decoder.h"
#include "models/grounding_dino/grounding_dino_encoder.h"
#include "models/grounding_dino/mlp_head.h"
#include "models/grounding_dino/phrase_masks.h"
#include "models/grounding_dino/swin_backbone.h"

namespace argus::io { class Checkpoint; }

namespace argus::models::grounding_dino {

struct GroundingDinoConvEncoderImpl : torch::nn::Module {  // backbone.conv_encoder.model
  explicit GroundingDinoConvEncoderImpl(const SwinConfig& c) { model = register_module("model", SwinBackbone(c)); }
  SwinBackbone model{nullptr};
};
TORCH_MODULE(GroundingDinoConvEncoder);

struct GroundingDinoConvModelImpl : torch::nn::Module {  // backbone
  explicit GroundingDinoConvModelImpl(const SwinConfig& c) {
    conv_encoder = register_module("conv_encoder", GroundingDinoConvEncoder(c));
  }
  GroundingDinoConvEncoder conv_encoder{nullptr};
};
TORCH_MODULE(GroundingDinoConvModel);

struct GroundingDinoOutput {
  at::Tensor logits;      // [B, num_queries, max_text_len]: query·token similarity, -inf off the prompt
  at::Tensor pred_boxes;  // [B, num_queries, 4] (cx, cy, w, h) in [0, 1]
  // Intermediate results, for tests and diagnostics.
  std::vector<at::Tensor> backbone_features;  // Swin out_indices maps [B, C, H, W]
  at::Tensor text_features;                   // projected BERT output [B, L, D]
  at::Tensor encoder_vision, encoder_text;    // feature-enhancer outputs
  at::Tensor init_reference_points;           // [B, num_queries, 4] selected proposals
  at::Tensor input_ids;                       // the ids the model saw (after truncation to max_text_len)
};

struct GroundingDinoModelImpl : torch::nn::Module {
  explicit GroundingDinoModelImpl(const GroundingDinoConfig& c);
  GroundingDinoConfig cfg;
  GroundingDinoConvModel backbone{nullptr};
  torch::nn::ModuleList input_proj_vision{nullptr};
  BertModel text_backbone{nullptr};
  nn::Dense text_projection{nullptr};
  torch::nn::Embedding query_position_embeddings{nullptr};  // embedding_init_target or one-stage
  torch::nn::Embedding reference_points{nullptr};           // one-stage only
  Encoder encoder{nullptr};
  Decoder decoder{nullptr};
  at::Tensor level_embed;
  nn::Dense enc_output{nullptr};  // two-stage only, like the two below
  torch::nn::LayerNorm enc_output_norm{nullptr};
  MLPPredictionHead encoder_output_bbox_embed{nullptr};
};
TORCH_MODULE(GroundingDinoModel);

struct GroundingDinoForObjectDetectionImpl : torch::nn::Module {
  explicit GroundingDinoForObjectDetectionImpl(const GroundingDinoConfig& c);

  // pixel_values [B, 3, H, W] (normalised); input_ids [B, L] BERT ids ([CLS] … [SEP]);
  // attention_mask [B, L] (1 = real token) and token_type_ids [B, L] default to ones / zeros.
  GroundingDinoOutput forward(const at::Tensor& pixel_values, const at::Tensor& input_ids,
                              const at::Tensor& attention_mask = {}, const at::Tensor& token_type_ids = {});

  GroundingDinoConfig cfg;
  // Ids that end a phrase ([CLS], [SEP], '.', '?'); bert-base-uncased's by default. Set
  // them from the tokenizer's vocabulary when it differs.
  std::vector<int64_t> delimiter_ids = kBertDelimiterIds;
  GroundingDinoModel model{nullptr};
  torch::nn::ModuleList bbox_embed{nullptr};  // one head, or one per decoder layer when not shared

 private:
  std::vector<MLPPredictionHead> box_heads() const;
};
TORCH_MODULE(GroundingDinoForObjectDetection);

// Builds the model from the checkpoint's config, loads its weights strictly and
// prepares it for inference.
GroundingDinoForObjectDetection load_grounding_dino_model(const io::Checkpoint& ck);

}  // namespace argus::models::grounding_dino
