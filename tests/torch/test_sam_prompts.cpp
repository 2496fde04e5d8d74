#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "../common/error_of.h"
#include "io/checkpoint.h"
#include "io/json_file.h"
#include "models/sam/sam_model.h"
#include "models/sam/sam_postprocess.h"
#include "nn/tensor_io.h"
#include "parity.h"
#include "util/error.h"
#include "../common/temp_dir.h"

using namespace argus;
using namespace argus::models::sam;
using argus::test::error_of;

TEST(SamPrompts, GeometryMatchesProcessor) {
  auto ref = test::reference("sam");
  ImageGeometry g = sam_geometry(1200, 1800);
  EXPECT_EQ(g.original_height, ref["original_sizes"][0][0].item<int64_t>());
  EXPECT_EQ(g.original_width, ref["original_sizes"][0][1].item<int64_t>());
  EXPECT_EQ(g.resized_height, ref["reshaped_input_sizes"][0][0].item<int64_t>());
  EXPECT_EQ(g.resized_width, ref["reshaped_input_sizes"][0][1].item<int64_t>());
  EXPECT_EQ(g.resized_height, 683);
  EXPECT_EQ(g.resized_width, 1024);
}

TEST(SamPrompts, RescalingFromOriginalPixelsMatchesFixture) {
  auto ref = test::reference("sam");
  auto meta = io::read_json(test::fixture("sam/io.json"))["cases"];
  ImageGeometry g = sam_geometry(ref["original_sizes"][0][0].item<int64_t>(), ref["original_sizes"][0][1].item<int64_t>());
  auto to_tensor = [](const nlohmann::json& j, std::vector<int64_t> shape) {
    std::vector<double> v;
    std::function<void(const nlohmann::json&)> flat = [&](const nlohmann::json& x) {
      if (x.is_array())
        for (const auto& e : x) flat(e);
      else
        v.push_back(x.get<double>());
    };
    flat(j);
    return at::tensor(v, at::TensorOptions().dtype(at::kDouble)).reshape(shape);
  };
  at::Tensor point = rescale_prompt_coords(to_tensor(meta["point"]["input_points"], {1, 1, 1, 2}), g);
  at::Tensor two = rescale_prompt_coords(to_tensor(meta["two_points"]["input_points"], {1, 1, 2, 2}), g);
  at::Tensor box = rescale_prompt_coords(to_tensor(meta["box"]["input_boxes"], {1, 1, 4}), g);
  // The fixture stores float64 prompts, but nn::load_safetensors reads floats as
  // float32: ours (float64, like the processor's) must round to the same values.
  EXPECT_EQ(point.scalar_type(), at::kDouble);
  EXPECT_CLOSE(point.to(at::kFloat), ref["point.input_points"], 0.0);
  EXPECT_CLOSE(two.to(at::kFloat), ref["two_points.input_points"], 0.0);
  EXPECT_CLOSE(box.to(at::kFloat), ref["box.input_boxes"], 0.0);
  // And the exact float64 values of the first point: 500 * 1024/1800, 375 * 683/1200.
  EXPECT_DOUBLE_EQ(point[0][0][0][0].item<double>(), 500.0 * (1024.0 / 1800.0));
  EXPECT_DOUBLE_EQ(point[0][0][0][1].item<double>(), 375.0 * (683.0 / 1200.0));
}

TEST(SamPrompts, LabelsOtherThanOneZeroMinusOneAreRefused) {
  auto model = load_sam_model(io::Checkpoint::open(test::fixture("sam")));
  at::NoGradGuard ng;
  at::Tensor emb = at::zeros({1, 32, 64, 64});
  at::Tensor pts = at::tensor({100.0, 200.0, 300.0, 400.0}).reshape({1, 2, 2});
  for (int64_t bad : {2, -10, 3}) {
    at::Tensor labels = at::tensor({int64_t{1}, bad}).reshape({1, 2});
    std::string msg = error_of([&] { model->predict(emb, pts, labels, at::Tensor()); });
    EXPECT_NE(msg.find("label " + std::to_string(bad)), std::string::npos) << msg;
    EXPECT_NE(msg.find("1 (foreground), 0 (background) or -1"), std::string::npos) << msg;
  }
  // Labels whose shape does not match the points, and labels without points.
  EXPECT_NE(error_of([&] { model->predict(emb, pts, at::ones({1, 3}, at::kLong), at::Tensor()); }), "");
  EXPECT_NE(error_of([&] { model->predict(emb, at::Tensor(), at::ones({1, 2}, at::kLong), at::Tensor()); }), "");
  // -1 (not a point), 0 and 1 are all fine.
  at::Tensor ok = at::tensor({int64_t{-1}, int64_t{0}}).reshape({1, 2});
  EXPECT_EQ(error_of([&] { model->predict(emb, pts, ok, at::Tensor()); }), "");
}

TEST(SamPrompts, BadShapesAreErrors) {
  auto model = load_sam_model(io::Checkpoint::open(test::fixture("sam")));
  at::NoGradGuard ng;
  at::Tensor emb = at::zeros({1, 32, 64, 64});
  EXPECT_NE(error_of([&] { model->predict(at::zeros({1, 16, 64, 64}), at::Tensor(), at::Tensor(), at::Tensor()); }), "");
  EXPECT_NE(error_of([&] { model->predict(emb, at::zeros({1, 2, 3}), at::Tensor(), at::Tensor()); }), "");
  EXPECT_NE(error_of([&] { model->predict(emb, at::Tensor(), at::Tensor(), at::zeros({1, 2})); }), "");
  EXPECT_NE(error_of([&] { model->predict(emb, at::Tensor(), at::Tensor(), at::Tensor(), at::zeros({1, 1, 64, 64})); }), "");
  EXPECT_NE(error_of([&] { model->image_embeddings(at::zeros({1, 3, 512, 512})); }), "");
  // Two point sets but one box.
  EXPECT_NE(error_of([&] { model->predict(emb, at::zeros({1, 2, 1, 2}), at::Tensor(), at::zeros({1, 1, 4})); }), "");
}

TEST(SamLoad, MismatchedPromptEncoderWidthNamesTheTensor) {
  namespace fs = std::filesystem;
  fs::path dir = argus::test::fresh_temp_dir("sam_badwidth");
  fs::copy_file(test::fixture("sam/config.json"), dir / "config.json", fs::copy_options::overwrite_existing);
  auto tensors = nn::load_safetensors(test::fixture("sam/model.safetensors"));
  for (auto& [k, v] : tensors)
    if (k.rfind("prompt_encoder.", 0) == 0 && k.find("embed.") != std::string::npos && v.dim() == 2)
      v = v.narrow(1, 0, 24).contiguous();  // a 24-wide prompt encoder against a 32-wide config
  nn::save_safetensors((dir / "model.safetensors").string(), tensors);
  std::string msg = error_of([&] { load_sam_model(io::Checkpoint::open(dir.string())); });
  fs::remove_all(dir);
  EXPECT_NE(msg.find("prompt_encoder.no_mask_embed.weight"), std::string::npos) << msg;
  EXPECT_NE(msg.find("[1, 24]"), std::string::npos) << msg;
}

TEST(SamLoad, InconsistentConfigIsAnError) {
  auto cfg = io::read_json(test::fixture("sam/config.json"));
  cfg["prompt_encoder_config"]["hidden_size"] = 24;
  std::string msg = error_of([&] { parse_config(cfg); });
  EXPECT_NE(msg.find("prompt_encoder_config.hidden_size"), std::string::npos) << msg;
}

TEST(SamPostprocess, ShapesAndThreshold) {
  ImageGeometry g = sam_geometry(1200, 1800);
  at::Tensor logits = at::full({2, 3, 256, 256}, -1.0);
  logits.slice(2, 0, 128).fill_(1.0);  // top half positive
  at::Tensor m = post_process_masks(logits, g);
  EXPECT_EQ(m.sizes(), (std::vector<int64_t>{2, 3, 1200, 1800}));
  EXPECT_EQ(m.scalar_type(), at::kBool);
  // Top half of the padded 1024 square = rows 0..511 of the 683 resized rows.
  EXPECT_TRUE(m[0][0][0][0].item<bool>());
  EXPECT_FALSE(m[0][0][1199][0].item<bool>());
  at::Tensor soft = post_process_masks(logits, g, 1024, 0.0, false);
  EXPECT_EQ(soft.scalar_type(), at::kFloat);
}
