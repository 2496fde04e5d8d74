// Meta's original SAM .pth layout: the file (written from the sam fixture by
// torch.save, tools/make_meta_sam_checkpoint.py) carries segment_anything's key names;
// renamed and loaded it must be the fixture model, config read off the shapes, with
// the same reference outputs.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "../common/temp_dir.h"
#include "cli_runner.h"
#include "io/checkpoint.h"
#include "models/sam/sam_meta_checkpoint.h"
#include "nn/torch_state_dict.h"
#include "parity.h"
#include "tasks/segment/segmenter.h"
#include "util/error.h"

using namespace argus;
using namespace argus::models::sam;

namespace {

const std::string kPth = ARGUS_SAM_META_PTH;
// The fixture's decoder has 2 heads, the one number a state dict cannot show (Meta's have 8).
const nlohmann::json kFixtureHeads = {{"mask_decoder_config", {{"num_attention_heads", 2}}}};

std::string scratch(const std::string& name) {
  return (std::filesystem::path(test::process_temp_dir("sam_meta")) / name).string();
}

}  // namespace

TEST(SamMetaCheckpoint, FileHasSegmentAnythingKeyNames) {
  auto meta = nn::read_torch_state_dict(kPth);
  // Names as they appear in sam_vit_b_01ec64.pth.
  for (const char* k : {"image_encoder.patch_embed.proj.weight", "image_encoder.pos_embed",
                        "image_encoder.blocks.0.norm1.weight", "image_encoder.blocks.0.attn.rel_pos_h",
                        "image_encoder.blocks.2.mlp.lin2.bias", "image_encoder.neck.3.bias",
                        "prompt_encoder.pe_layer.positional_encoding_gaussian_matrix",
                        "prompt_encoder.point_embeddings.3.weight", "prompt_encoder.mask_downscaling.6.weight",
                        "mask_decoder.transformer.layers.1.cross_attn_image_to_token.out_proj.weight",
                        "mask_decoder.transformer.norm_final_attn.weight", "mask_decoder.output_upscaling.3.weight",
                        "mask_decoder.output_hypernetworks_mlps.2.layers.2.bias",
                        "mask_decoder.iou_prediction_head.layers.1.weight", "pixel_mean"})
    EXPECT_TRUE(meta.count(k)) << k;
}

TEST(SamMetaCheckpoint, RenamedKeysAreExactlyTheTransformersKeys) {
  auto meta = nn::read_torch_state_dict(kPth);
  std::set<std::string> renamed;
  for (const auto& [k, t] : meta)
    if (auto h = meta_to_hf_key(k); !h.empty()) EXPECT_TRUE(renamed.insert(h).second) << h;
  std::set<std::string> hf;
  auto ck = io::Checkpoint::open(test::fixture("sam"));
  for (const auto& [k, ref] : ck.tensors())
    if (k != "prompt_encoder.shared_embedding.positional_embedding") hf.insert(k);
  EXPECT_EQ(renamed, hf);
  EXPECT_EQ(meta_to_hf_key("mask_decoder.output_hypernetworks_mlps.0.layers.1.weight"),
            "mask_decoder.output_hypernetworks_mlps.0.layers.0.weight");
  EXPECT_EQ(meta_to_hf_key("mask_decoder.iou_prediction_head.layers.0.bias"),
            "mask_decoder.iou_prediction_head.proj_in.bias");
}

TEST(SamMetaCheckpoint, ConfigReadOffTheShapesIsTheFixtures) {
  auto cfg = meta_sam_config(nn::read_torch_state_dict(kPth));
  auto ref = io::Checkpoint::open(test::fixture("sam")).config();
  for (const char* k : {"hidden_size", "num_hidden_layers", "num_attention_heads", "mlp_dim", "output_channels",
                        "image_size", "patch_size", "window_size", "global_attn_indexes", "num_pos_feats"})
    EXPECT_EQ(cfg["vision_config"][k], ref["vision_config"][k]) << k;
  for (const char* k : {"hidden_size", "mask_input_channels", "num_point_embeddings", "image_embedding_size"})
    EXPECT_EQ(cfg["prompt_encoder_config"][k], ref["prompt_encoder_config"][k]) << k;
  for (const char* k : {"hidden_size", "num_hidden_layers", "mlp_dim", "attention_downsample_rate",
                        "num_multimask_outputs", "iou_head_depth", "iou_head_hidden_dim"})
    EXPECT_EQ(cfg["mask_decoder_config"][k], ref["mask_decoder_config"][k]) << k;
  EXPECT_EQ(cfg["mask_decoder_config"]["num_attention_heads"], 8);  // SAM's, unless overridden
}

TEST(SamMetaCheckpoint, LoadedModelReproducesTheReference) {
  SamModel m = load_meta_sam_model(kPth, kFixtureHeads);
  auto ref = test::reference("sam");
  at::NoGradGuard ng;
  at::Tensor emb = m->image_embeddings(ref.at("pixel_values"));
  EXPECT_LE(test::max_abs_diff(emb, ref.at("image_embeddings")), 1e-4);
  auto p = m->predict(ref.at("image_embeddings"), ref.at("point.input_points"), at::Tensor(), at::Tensor(), at::Tensor(), true);
  EXPECT_LE(test::max_abs_diff(p.iou_scores, ref.at("point.iou_scores")), 1e-3);
  EXPECT_LE(test::max_abs_diff(p.low_res_masks, ref.at("point.pred_masks")), 1e-3);
}

TEST(SamMetaCheckpoint, SegmentTakesThePthPath) {
  // The CLI assumes Meta's 8 decoder heads (the fixture has 2), so the masks differ from
  // the reference; what is tested is that a .pth path is taken where a directory is.
  auto r = test::run_cli({"segment", "--model", kPth, "--image", test::asset("images/dog.jpg"), "--point",
                          "300,200", "--json"});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.json()["masks"].size(), 1u);
}

TEST(SamMetaCheckpoint, BadFilesAreClearErrors) {
  std::string truncated = scratch("truncated.pth"), junk = scratch("junk.pth");
  {
    std::ifstream in(kPth, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::ofstream(truncated, std::ios::binary) << bytes.substr(0, bytes.size() / 2);
    std::ofstream(junk, std::ios::binary) << "this is not a zip archive at all";
  }
  for (const auto& path : {truncated, junk, scratch("missing.pth")}) {
    try {
      load_meta_sam_model(path);
      ADD_FAILURE() << path << " loaded";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    }
  }
  // A config override that contradicts the weights is refused by the strict loader.
  EXPECT_THROW(load_meta_sam_model(kPth, {{"vision_config", {{"mlp_dim", 7}}}}), Error);
}
