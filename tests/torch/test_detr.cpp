// DETR against transformers' reference outputs (../shared/fixtures/detr): the image
// processor's pixels from the original dogs.jpg, raw model parity from the reference
// pixel_values + pixel_mask, padded batches, post-processing, strict loading and the
// closed-set detector's refusals.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "../common/temp_dir.h"
#include "image/decode.h"
#include "io/checkpoint.h"
#include "io/json_file.h"
#include "models/detr/detr_model.h"
#include "models/detr/detr_postprocess.h"
#include "nn/tensor_io.h"
#include "parity.h"
#include "tasks/detect/detr_detector.h"
#include "util/error.h"

using namespace argus;
namespace detr = argus::models::detr;

namespace {

tasks::DetrDetector& detector() {
  static auto d = tasks::DetrDetector::open(test::fixture("detr"));
  return *d;
}

std::map<std::string, at::Tensor>& ref() {
  static auto r = test::reference("detr");
  return r;
}

image::Image dogs() { return image::load_image(test::asset("images/dogs.jpg")); }

// A copy of the fixture whose config.json / tensors the test changes.
std::string fixture_copy(const std::string& name, const std::function<void(nlohmann::json&)>& edit_config,
                         const std::function<void(std::map<std::string, at::Tensor>&)>& edit_tensors = {}) {
  const std::string dir = test::fresh_temp_dir("detr_" + name);
  auto cfg = io::read_json(test::fixture("detr/config.json"));
  if (edit_config) edit_config(cfg);
  std::ofstream(dir + "/config.json") << cfg.dump();
  auto state = nn::load_safetensors(test::fixture("detr/model.safetensors"));
  if (edit_tensors) edit_tensors(state);
  nn::save_safetensors(dir + "/model.safetensors", state);
  return dir;
}

std::string load_error(const std::string& dir) {
  try {
    detr::load_detr_model(io::Checkpoint::open(dir));
  } catch (const Error& e) {
    return e.what();
  }
  return "(loaded)";
}

}  // namespace

TEST(DetrPreprocess, PixelValuesFromTheOriginalImageMatch) {
  // 1072x603: shortest edge 320 would make the long side 569 > 480, so the short side
  // is round(480 * 603 / 1072) = 270 and the long one int(270.0 * 1072 / 603) = 480.
  auto in = detector().inputs({dogs()});
  const at::Tensor& want = ref().at("pixel_values");
  ASSERT_EQ(in.pixel_values.sizes(), want.sizes());
  EXPECT_TRUE(at::equal(in.pixel_mask, ref().at("pixel_mask")));
  at::Tensor std = at::tensor({0.229, 0.224, 0.225}, at::kDouble).view({1, 3, 1, 1});
  at::Tensor steps = ((in.pixel_values.to(at::kDouble) - want.to(at::kDouble)) * std * 255).abs();
  const double exact = (steps < 0.01).to(at::kDouble).mean().item<double>();
  const double worst = steps.max().item<double>();
  std::printf("[detr] pixel_values exact %.4f%%, worst %.2f steps\n", 100 * exact, worst);
  EXPECT_GE(exact, 0.99);
  EXPECT_LE(worst, 2.01);
}

TEST(DetrPreprocess, PadsABatchToItsLargestImageWithAMask) {
  image::Image small = image::make_image(40, 30);  // 40 x 30 -> 426 x 320: shortest edge 320, long side int(320 * 40 / 30) under 480
  auto in = detector().inputs({dogs(), small});
  ASSERT_EQ(in.pixel_values.sizes(), (std::vector<int64_t>{2, 3, 320, 480}));
  EXPECT_EQ(in.pixel_mask[0].sum().item<int64_t>(), 270 * 480);
  EXPECT_EQ(in.pixel_mask[1].sum().item<int64_t>(), 320 * 426);
  EXPECT_EQ(in.pixel_mask[1][319][425].item<int64_t>(), 1);
  EXPECT_EQ(in.pixel_mask[1][0][426].item<int64_t>(), 0);
  EXPECT_EQ(in.pixel_values[0].narrow(1, 270, 50).abs().max().item<float>(), 0.0f);  // zeros after normalising
}

TEST(DetrParity, LogitsAndBoxesMatchReference) {
  at::NoGradGuard ng;
  auto out = detector().model()->forward(ref().at("pixel_values"), ref().at("pixel_mask"));
  const double dl = test::max_abs_diff(out.logits, ref().at("logits"));
  const double db = test::max_abs_diff(out.pred_boxes, ref().at("pred_boxes"));
  std::printf("[detr] logits max |diff| = %.3g, pred_boxes max |diff| = %.3g\n", dl, db);
  EXPECT_LE(dl, 1e-4);
  EXPECT_LE(db, 1e-4);
}

TEST(DetrParity, PaddedBatchUsesTheMask) {
  // dogs.jpg padded below and right inside a bigger batch: the mask keeps the padding
  // out of attention and out of the position embedding, so its predictions stay those
  // of the image alone up to the backbone's border effects (past the image edge the
  // convolutions see the padding's features, not zeros, after the first layer);
  // without the mask they move several times further.
  at::NoGradGuard ng;
  const at::Tensor& pv = ref().at("pixel_values");
  at::Tensor padded = at::zeros({2, 3, 400, 640});
  padded[0].narrow(1, 0, 270).narrow(2, 0, 480).copy_(pv[0]);
  padded[1].normal_();
  at::Tensor mask = at::zeros({2, 400, 640}, at::kLong);
  mask[0].narrow(0, 0, 270).narrow(1, 0, 480).fill_(1);
  mask[1].fill_(1);
  auto alone = detector().model()->forward(pv, ref().at("pixel_mask"));
  auto batch = detector().model()->forward(padded, mask);
  auto unmasked = detector().model()->forward(padded, at::ones_like(mask));
  const double with_mask = test::max_abs_diff(batch.pred_boxes[0], alone.pred_boxes[0]);
  const double without = test::max_abs_diff(unmasked.pred_boxes[0], alone.pred_boxes[0]);
  std::printf("[detr] padded batch: boxes off by %.3g with the mask, %.3g without\n", with_mask, without);
  EXPECT_LE(with_mask, 1e-4);
  EXPECT_LT(with_mask * 5, without);
  EXPECT_EQ(batch.feature_mask[0].sum().item<int64_t>(), alone.feature_mask[0].numel());
}

TEST(DetrPostprocess, SoftmaxDropsNoObjectThresholdsAndScalesBoxes) {
  // Two queries over 2 classes + no-object. Query 0: logits (ln 6, 0, ln 3) -> probs
  // (0.6, 0.1, 0.3): class 0 at 0.6. Query 1: no-object wins (0.1, 0.1, 0.8), best real
  // class 0.1: dropped at 0.5.
  at::Tensor logits = at::log(at::tensor({0.6f, 0.1f, 0.3f, 0.1f, 0.1f, 0.8f}).view({2, 3}));
  at::Tensor boxes = at::tensor({0.5f, 0.25f, 0.2f, 0.1f, 0.5f, 0.5f, 1.0f, 1.0f}).view({2, 4});
  auto d = detr::post_process_object_detection(logits, boxes, 0.5, 200, 100);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].query, 0);
  EXPECT_EQ(d[0].label, 0);
  EXPECT_NEAR(d[0].score, 0.6f, 1e-6);
  // cx 0.5, cy 0.25, w 0.2, h 0.1 of a 100 x 200 (w x h) image.
  EXPECT_NEAR(d[0].box[0], 40.0f, 1e-4);
  EXPECT_NEAR(d[0].box[1], 40.0f, 1e-4);
  EXPECT_NEAR(d[0].box[2], 60.0f, 1e-4);
  EXPECT_NEAR(d[0].box[3], 60.0f, 1e-4);
  EXPECT_EQ(detr::post_process_object_detection(logits, boxes, 0.05, 200, 100).size(), 2u);
  // Strictly above, compared in float32 as torch compares: 0.6 does not keep a float 0.6.
  EXPECT_TRUE(detr::post_process_object_detection(logits, boxes, 0.6, 200, 100).empty());
}

TEST(DetrDetect, ReproducesTransformersPostProcessingOfTheFixture) {
  // Detections from the original image against post-processing the reference logits
  // (scores within the pixel differences' effect), labelled from id2label.
  tasks::DetectOptions all;
  all.threshold = 0.0;
  auto res = detector().detect(dogs(), {}, {}, all);
  EXPECT_EQ(res.width, 1072);
  EXPECT_EQ(res.height, 603);
  // transformers' post_process_object_detection, written out on the reference tensors.
  auto [scores, labels] = at::softmax(ref().at("logits")[0], -1).narrow(-1, 0, 91).max(-1);
  at::Tensor b = ref().at("pred_boxes")[0];
  at::Tensor corners = at::stack({(b.select(1, 0) - b.select(1, 2) / 2) * 1072, (b.select(1, 1) - b.select(1, 3) / 2) * 603,
                                  (b.select(1, 0) + b.select(1, 2) / 2) * 1072, (b.select(1, 1) + b.select(1, 3) / 2) * 603},
                                 1);
  at::Tensor order = at::argsort(scores, 0, /*descending=*/true);
  ASSERT_EQ(res.detections.size(), 20u);
  for (int64_t i = 0; i < 20; ++i) {
    const int64_t q = order[i].item<int64_t>();
    const auto& d = res.detections[static_cast<size_t>(i)];
    EXPECT_EQ(d.query, labels[q].item<int64_t>()) << i;
    EXPECT_EQ(d.label, "LABEL_" + std::to_string(labels[q].item<int64_t>()));
    EXPECT_NEAR(d.score, scores[q].item<float>(), 1e-3);
    for (int k = 0; k < 4; ++k) EXPECT_NEAR(d.box[k], corners[q][k].item<float>(), 0.5) << i << "," << k;
  }
  // The default threshold (0.5) keeps only what scores above it; top_k cuts.
  for (const auto& d : detector().detect(dogs(), {}).detections) EXPECT_GT(d.score, 0.5f);
  tasks::DetectOptions top;
  top.threshold = 0.0;
  top.top_k = 3;
  EXPECT_EQ(detector().detect(dogs(), {}, {}, top).detections.size(), 3u);
}

TEST(DetrDetect, QueriesAndExemplarsAreRefusedAsClosedSet) {
  EXPECT_TRUE(detector().closed_set());
  try {
    detector().detect(dogs(), {"a dog"});
    FAIL() << "a text query was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("closed-set"), std::string::npos) << e.what();
  }
  tasks::Exemplar ex{dogs(), {0, 0, 10, 10}};
  EXPECT_THROW(detector().detect(dogs(), {}, {ex}), Error);
  tasks::DetectOptions bad;
  bad.threshold = 1.5;
  EXPECT_THROW(detector().detect(dogs(), {}, {}, bad), Error);
}

TEST(DetrLoad, Float16StorageLoads) {
  auto dir = fixture_copy("fp16", {}, [](auto& s) {
    for (auto& [k, t] : s) t = t.to(at::kHalf);
  });
  auto model = detr::load_detr_model(io::Checkpoint::open(dir));
  at::NoGradGuard ng;
  auto out = model->forward(ref().at("pixel_values"), ref().at("pixel_mask"));
  EXPECT_LE(test::max_abs_diff(out.pred_boxes, ref().at("pred_boxes")), 0.05);
}

TEST(DetrLoad, MissingUnusedAndMisshapenTensorsAreNamed) {
  const std::string key = "model.decoder.layers.1.encoder_attn.v_proj.weight";
  EXPECT_NE(load_error(fixture_copy("missing", {}, [&](auto& s) { s.erase(key); })).find(key), std::string::npos);
  EXPECT_NE(load_error(fixture_copy("unused", {}, [](auto& s) { s["model.extra.weight"] = at::zeros({2}); }))
                .find("model.extra.weight"),
            std::string::npos);
  EXPECT_NE(load_error(fixture_copy("shape", {}, [&](auto& s) { s[key] = at::zeros({32, 16}); })).find(key),
            std::string::npos);
  // BatchNorm's num_batches_tracked, present in some exports, is not a weight.
  auto with_counter = fixture_copy("counter", {}, [](auto& s) {
    s["model.backbone.conv_encoder.model.embedder.embedder.normalization.num_batches_tracked"] = at::zeros({}, at::kLong);
  });
  EXPECT_EQ(load_error(with_counter), "(loaded)");
}

TEST(DetrLoad, ConfigSizesAreCheckedAgainstTheTensorsFirst) {
  auto err = load_error(fixture_copy("layers", [](auto& j) { j["decoder_layers"] = 1000000; }));
  EXPECT_NE(err.find("model.decoder.layers.999999.fc1.weight"), std::string::npos) << err;
  err = load_error(fixture_copy("d_model", [](auto& j) { j["d_model"] = 1 << 20; }));
  EXPECT_NE(err.find("d_model"), std::string::npos) << err;
  err = load_error(fixture_copy("labels", [](auto& j) { j["id2label"].erase("90"); }));
  EXPECT_NE(err.find("class_labels_classifier.weight"), std::string::npos) << err;
}

TEST(DetrConfig, UnsupportedVariantsAreRefusedByName) {
  const auto base = io::read_json(test::fixture("detr/config.json"));
  auto c = detr::parse_config(base);
  EXPECT_EQ(c.d_model, 32);
  EXPECT_EQ(c.num_queries, 20);
  EXPECT_EQ(c.num_labels(), 91);
  EXPECT_EQ(c.backbone.layer_type, "basic");
  EXPECT_EQ(c.backbone.out_stage, 4);
  EXPECT_EQ(c.backbone.out_channels(), 64);
  const std::vector<std::pair<std::string, nlohmann::json>> bad = {
      {"use_timm_backbone", true},          {"dilation", true},
      {"position_embedding_type", "learned"}, {"backbone", "resnet50"},
      {"activation_function", "swiglu9"},   {"d_model", 30}};
  for (const auto& [key, value] : bad) {
    auto j = base;
    j[key] = value;
    try {
      detr::parse_config(j);
      ADD_FAILURE() << key << " = " << value.dump() << " was accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(key == "activation_function" ? "swiglu9" : key), std::string::npos)
          << e.what();
    }
  }
  auto j = base;
  j["backbone_config"]["model_type"] = "swin";
  EXPECT_THROW(detr::parse_config(j), Error);
}
