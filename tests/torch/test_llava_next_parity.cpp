// LLaVA-NeXT against the transformers reference (fixtures/llava_next): the anyres
// geometry, pixel_values from truck.jpg, the image-token count, logits of the last 32
// prompt positions and 12 greedy tokens through the KV cache, for every key layout;
// and the config variants argus refuses rather than run differently.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "image/decode.h"
#include "io/checkpoint.h"
#include "llm_helpers.h"
#include "models/llava_next/llava_next_image.h"
#include "models/llava_next/llava_next_load.h"
#include "parity.h"
#include "tasks/chat/chat_model.h"
#include "tasks/chat/image_tokens.h"
#include "tasks/generate/generate.h"
#include "util/error.h"

using namespace argus;
using namespace argus::models::llava_next;

namespace {

constexpr int64_t kImageToken = 1000;

const std::vector<Resolution> kPinpoints = {{336, 672}, {672, 336}, {672, 672}, {1008, 336}, {336, 1008}};

Resolution truck_size() {
  at::Tensor s = test::reference("llava_next")["image_sizes"];
  return {s[0][0].item<int64_t>(), s[0][1].item<int64_t>()};
}

int64_t image_slots(const at::Tensor& ids) { return (ids == kImageToken).sum().item<int64_t>(); }

bool starts(const std::string& s, const std::string& p) { return s.rfind(p, 0) == 0; }

std::vector<int64_t> slots(int64_t n) { return std::vector<int64_t>(static_cast<size_t>(n), kImageToken); }

std::vector<int64_t> cat(const std::vector<std::vector<int64_t>>& parts) {
  std::vector<int64_t> out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

// A scratch copy of the fixture with `cfg` as config.json (and the fixture's processor).
struct ScratchNext : test::ScratchCheckpoint {
  ScratchNext(const nlohmann::json& cfg, const std::map<std::string, at::Tensor>& w)
      : test::ScratchCheckpoint("llava_next", cfg, w) {
    std::filesystem::copy_file(test::fixture("llava_next/preprocessor_config.json"),
                               std::filesystem::path(dir()) / "preprocessor_config.json");
  }
};


std::map<std::string, at::Tensor> renamed_weights(const std::function<std::string(const std::string&)>& f) {
  std::map<std::string, at::Tensor> out;
  for (auto& [k, v] : test::fixture_weights("llava_next")) out[f(k)] = v;
  return out;
}


void expect_error(const std::function<void()>& f, const std::vector<std::string>& needles) {
  try {
    f();
    ADD_FAILURE() << "no error for " << needles[0];
  } catch (const Error& e) {
    for (const auto& n : needles) EXPECT_NE(std::string(e.what()).find(n), std::string::npos) << e.what();
  }
}

}  // namespace

TEST(LlavaNextAnyres, BestResolutionKeepsTheMostPixelsThenWastesTheLeast) {
  // truck.jpg, 1800x1200: 672x672 keeps 672x448 of it; the 2:1 pinpoints only 504x336.
  EXPECT_EQ(select_best_resolution({1200, 1800}, kPinpoints), (Resolution{672, 672}));
  // A tall 300x1000 image fits best in the 3-tile column (302x1008 > its own 300x1000
  // pixels, so capped), a wide one in the row.
  EXPECT_EQ(select_best_resolution({1000, 300}, kPinpoints), (Resolution{1008, 336}));
  EXPECT_EQ(select_best_resolution({300, 1000}, kPinpoints), (Resolution{336, 1008}));
  // A small image keeps all its pixels everywhere: the least waste wins, the earlier on a tie.
  EXPECT_EQ(select_best_resolution({100, 100}, kPinpoints), (Resolution{336, 672}));
  EXPECT_EQ(select_best_resolution({100, 100}, {{672, 672}, {672, 336}, {336, 672}}), (Resolution{672, 336}));
}

TEST(LlavaNextAnyres, FitUnpadAndTokenCount) {
  // Resized inside the pinpoint keeping the aspect ratio: 1800x1200 -> 672x448.
  EXPECT_EQ(fit_inside({1200, 1800}, {672, 672}), (Resolution{448, 672}));
  EXPECT_EQ(fit_inside({1000, 300}, {1008, 336}), (Resolution{1008, 303}));  // ceil(300 * 1.008)
  // The 48x48 feature grid of 2x2 tiles: 1200/1800 * 48 = 32 rows hold the image.
  Region r = unpadded_region({1200, 1800}, {48, 48});
  EXPECT_EQ(r.top, 8);
  EXPECT_EQ(r.height, 32);
  EXPECT_EQ(r.left, 0);
  EXPECT_EQ(r.width, 48);
  // Tall: 300/1000 * 72 = 21.6 -> 21 columns, padding (24 - 21) // 2 = 1 each side -> 22 kept.
  r = unpadded_region({1000, 300}, {72, 24});
  EXPECT_EQ(r.left, 1);
  EXPECT_EQ(r.width, 22);
  EXPECT_EQ(r.top, 0);
  EXPECT_EQ(r.height, 72);
  // Tokens: 24*24 for the base view, then (columns + newline) per kept row.
  EXPECT_EQ(anyres_layout({1200, 1800}, kPinpoints, 336, 24).tokens, 576 + 32 * 49);
  EXPECT_EQ(anyres_layout({1000, 300}, kPinpoints, 336, 24).tokens, 576 + 72 * 23);
  EXPECT_EQ(anyres_layout({100, 100}, kPinpoints, 336, 24).tokens, 576 + 24 * 25);
}

TEST(LlavaNextAnyres, TheFixturesImageTokenCountIs2144) {
  auto ref = test::reference("llava_next");
  LlavaNextConfig c = parse_llava_next_config(test::fixture_config("llava_next"));
  AnyresLayout l = c.layout(truck_size());
  EXPECT_EQ(l.tokens, 2144);
  EXPECT_EQ(l.tokens, image_slots(ref["input_ids"]));
  EXPECT_EQ(1 + l.rows * l.cols, ref["pixel_values"].size(1));
}

TEST(LlavaNextPreprocess, PixelValuesFromTheOriginalImageMatch) {
  auto ref = test::reference("llava_next");
  LlavaNextConfig c = parse_llava_next_config(test::fixture_config("llava_next"));
  auto p = load_llava_next_processor(test::fixture("llava_next"), c);
  image::Image truck = image::load_image(test::asset("images/truck.jpg"));
  ASSERT_EQ((Resolution{truck.height, truck.width}), truck_size());
  at::Tensor pv = llava_next_pixel_values(truck, p, c);
  at::Tensor want = ref["pixel_values"][0];
  ASSERT_EQ(pv.sizes(), want.sizes());
  at::Tensor std = at::tensor(std::vector<double>(p.image_std.begin(), p.image_std.end())).view({1, 3, 1, 1});
  at::Tensor steps = ((pv.to(at::kDouble) - want.to(at::kDouble)) * std * 255).abs();
  double exact = (steps < 0.01).to(at::kDouble).mean().item<double>();
  double worst = steps.max().item<double>();
  std::printf("[llava_next] pixel_values exact %.4f%%, worst %.2f steps\n", 100 * exact, worst);
  EXPECT_GE(exact, 0.99);
  EXPECT_LE(worst, 2.01);
  // The padding above and below the resized truck (rows 0..111 of the top tiles) is black.
  at::Tensor black = (at::zeros({3, 1, 1}) - at::tensor(std::vector<double>(p.image_mean.begin(), p.image_mean.end()))
                                                 .view({3, 1, 1})) /
                     std.view({3, 1, 1});
  EXPECT_LE(test::max_abs_diff(pv[1].slice(1, 0, 112), black.expand({3, 112, 336}).to(at::kFloat)), 1e-5);
}

TEST(LlavaNextParity, LogitsAndGreedyIdsMatchTheReference) {
  auto ref = test::reference("llava_next");
  auto ck = io::Checkpoint::open(test::fixture("llava_next"));
  LlavaNextForConditionalGeneration m = load_llava_next(ck);
  at::NoGradGuard ng;
  at::Tensor ids = ref["input_ids"];

  at::Tensor feats = m->image_features(ref["pixel_values"][0], truck_size());
  EXPECT_EQ(feats.size(0), image_slots(ids));

  at::Tensor logits = m->forward(ids, ref["pixel_values"], ref["image_sizes"]);
  double diff = test::max_abs_diff(logits.slice(1, -32), ref["logits_last32"]);
  std::printf("[llava_next] logits (last 32) max abs diff %.3g\n", diff);
  EXPECT_LE(diff, 1e-3);

  tasks::GenerateOptions opts;
  opts.max_new_tokens = ref["greedy_ids"].size(1);
  opts.eos_ids = tasks::read_eos_ids(ck);
  at::Tensor embeds = models::llava::merge_image_features(*m->language_model, kImageToken, ids, feats);
  auto gen = tasks::generate(*m->language_model, ids, at::Tensor(), opts, embeds);
  ASSERT_EQ(gen.tokens.size(), 1u);
  EXPECT_EQ(gen.tokens[0], test::row_ids(ref["greedy_ids"], 0));
}

TEST(LlavaNextParity, EveryKeyLayoutMapsOntoTheSameModel) {
  EXPECT_EQ(llava_next_key_name("model.image_newline"), "image_newline");
  EXPECT_EQ(llava_next_key_name("image_newline"), "image_newline");
  EXPECT_EQ(llava_next_key_name("model.vision_tower.vision_model.post_layernorm.bias"),
            "vision_tower.post_layernorm.bias");
  EXPECT_EQ(llava_next_key_name("lm_head.weight"), "language_model.lm_head.weight");

  auto ref = test::reference("llava_next");
  at::NoGradGuard ng;
  at::Tensor base = load_llava_next(io::Checkpoint::open(test::fixture("llava_next")))
                        ->forward(ref["input_ids"], ref["pixel_values"], ref["image_sizes"]);
  // llava-hf's hub layout (vision_tower.vision_model.*, image_newline at the top) and
  // transformers 5's (model.*, lm_head, model.image_newline).
  auto hub = [](const std::string& k) {
    return starts(k, "vision_tower.") ? "vision_tower.vision_model." + k.substr(13) : k;
  };
  auto t5 = [](const std::string& k) {
    if (starts(k, "language_model.model.")) return "model.language_model." + k.substr(21);
    if (starts(k, "language_model.lm_head.")) return k.substr(15);
    if (starts(k, "vision_tower.")) return "model.vision_tower.vision_model." + k.substr(13);
    return "model." + k;
  };
  for (auto* f : {+hub, +t5}) {
    test::ScratchCheckpoint sc("llava_next_layout", test::fixture_config("llava_next"), renamed_weights(f));
    at::Tensor logits = load_llava_next(io::Checkpoint::open(sc.dir()))
                            ->forward(ref["input_ids"], ref["pixel_values"], ref["image_sizes"]);
    EXPECT_TRUE(at::equal(logits, base));
  }
}

TEST(LlavaNextConfigTest, UnsupportedVariantsAreRefusedByName) {
  auto base = test::fixture_config("llava_next");
  auto weights = test::fixture_weights("llava_next");
  auto load_with = [&](const nlohmann::json& cfg) {
    return [cfg, &weights] {
      test::ScratchCheckpoint sc("llava_next_bad", cfg, weights);
      load_llava_next(io::Checkpoint::open(sc.dir()));
    };
  };
  auto with = [&](const char* key, const nlohmann::json& v) {
    auto c = base;
    c[key] = v;
    return c;
  };
  expect_error(load_with(with("vision_feature_select_strategy", "cls")),
               {"vision_feature_select_strategy", "\"cls\""});
  expect_error(load_with(with("vision_feature_select_strategy", "full")),
               {"vision_feature_select_strategy", "\"full\""});
  expect_error(load_with(with("mm_patch_merge_type", "flat")), {"mm_patch_merge_type"});
  expect_error(load_with(with("image_aspect_ratio", "pad")), {"image_aspect_ratio"});
  expect_error(load_with(with("mm_projector_type", "linear")), {"mm_projector_type"});
  expect_error(load_with(with("use_image_newline_parameter", false)), {"use_image_newline_parameter"});
  expect_error(load_with(with("image_grid_pinpoints", {{336, 500}})), {"image_grid_pinpoints", "[336, 500]"});
  expect_error(load_with(with("image_grid_pinpoints", nlohmann::json::array())), {"image_grid_pinpoints"});
  expect_error(load_with(with("image_seq_length", 577)), {"image_seq_length"});
  auto c = base;
  c["vision_config"]["model_type"] = "siglip_vision_model";
  expect_error(load_with(c), {"llava_next config", "vision_config.model_type"});
  // Strict loading: a checkpoint without image_newline is not LLaVA-NeXT.
  auto w = weights;
  w.erase("image_newline");
  expect_error(
      [&] {
        test::ScratchCheckpoint sc("llava_next_nonl", base, w);
        load_llava_next(io::Checkpoint::open(sc.dir()));
      },
      {"image_newline"});
}

TEST(LlavaNextConfigTest, AProcessorThatTilesDifferentlyIsRefused) {
  LlavaNextConfig c = parse_llava_next_config(test::fixture_config("llava_next"));
  auto proc = io::read_json(test::fixture("llava_next/preprocessor_config.json"));
  auto expect_refused = [&](const nlohmann::json& p, const std::string& needle) {
    test::ScratchCheckpoint sc("llava_next_proc", test::fixture_config("llava_next"), {});
    sc.write("preprocessor_config.json", p.dump());
    expect_error([&] { load_llava_next_processor(sc.dir(), c); }, {needle});
  };
  auto p = proc;
  p["image_grid_pinpoints"] = {{336, 672}, {672, 336}};
  expect_refused(p, "image_grid_pinpoints differ");
  p = proc;
  p["crop_size"] = {{"height", 224}, {"width", 224}};
  expect_refused(p, "crop_size");
  p = proc;
  p["size"] = {{"shortest_edge", 224}};
  expect_refused(p, "size must be 336");
}

TEST(LlavaNextPrompt, ImagesOfDifferentSizesExpandToTheirOwnCounts) {
  using tasks::expand_image_tokens_per_image;
  constexpr int64_t I = kImageToken;
  // One token per image, expanded to each image's count.
  auto e = expand_image_tokens_per_image({1, I, 2, I}, I, {5, 3});
  EXPECT_EQ(e.ids, cat({{1}, slots(5), {2}, slots(3)}));
  EXPECT_EQ(e.images, 2);
  // Already expanded, one image or both in one run; and two single tokens in one run.
  EXPECT_EQ(expand_image_tokens_per_image(cat({{1}, slots(5), {2}, slots(3)}), I, {5, 3}).ids,
            cat({{1}, slots(5), {2}, slots(3)}));
  e = expand_image_tokens_per_image(slots(8), I, {5, 3});
  EXPECT_EQ(e.images, 2);
  EXPECT_EQ(e.ids, slots(8));
  e = expand_image_tokens_per_image({I, I}, I, {5, 3});
  EXPECT_EQ(e.images, 2);
  EXPECT_EQ(e.ids, slots(8));
  // More images named than given.
  expect_error([&] { expand_image_tokens_per_image({I, 7, I, 8, I}, I, {5, 3}); },
               {"the prompt has 3 image token(s)", "only 2 image(s)"});
}

TEST(LlavaNextChatModel, TheCollapsedFixturePromptExpandsToTheReference) {
  auto ref = test::reference("llava_next");
  auto model = tasks::ChatModel::open(test::fixture("llava_next"), "float32");
  EXPECT_TRUE(model->has_vision());
  image::Image truck = image::load_image(test::asset("images/truck.jpg"));
  EXPECT_EQ(model->image_tokens(truck), 2144);
  at::Tensor f = model->encode_image(truck);
  ASSERT_EQ(f.size(0), 2144);
  std::vector<int64_t> ids = test::row_ids(ref["input_ids"], 0), collapsed;
  for (size_t i = 0; i < ids.size(); ++i)
    if (ids[i] != kImageToken || i == 0 || ids[i - 1] != kImageToken) collapsed.push_back(ids[i]);
  ASSERT_EQ(collapsed.size(), ids.size() - 2143);
  tasks::ChatPrompt p = model->build_prompt(collapsed, {f});
  EXPECT_EQ(p.ids, ids);
  EXPECT_EQ(p.images, 1);
  // argus' own pixels (a few values a uint8 step off the reference's) move the logits a little.
  at::Tensor logits = model->prompt_logits(p);
  double diff = test::max_abs_diff(logits.slice(0, -32), ref["logits_last32"][0]);
  std::printf("[llava_next chat model] logits (last 32) from argus' pixels, max abs diff %.3g\n", diff);
  EXPECT_LE(diff, 1e-2);
}

TEST(LlavaNextChatModel, AnImageLongerThanTheContextIsRefusedBeforeEncoding) {
  auto cfg = test::fixture_config("llava_next");
  cfg["text_config"]["max_position_embeddings"] = 2000;
  ScratchNext sc(cfg, test::fixture_weights("llava_next"));
  auto model = tasks::ChatModel::open(sc.dir(), "float32");
  image::Image truck = image::load_image(test::asset("images/truck.jpg"));
  expect_error([&] { model->encode_image(truck); }, {"1800x1200 image takes 2144 image tokens", "context of 2000"});
  // A small image fits: 576 + 24 * 25 tokens.
  image::Image small = image::make_image(100, 100);
  EXPECT_EQ(model->encode_image(small).size(0), 1176);
  // LLaVA-1.5's pad-to-square is not how LLaVA-NeXT sees images.
  model->pad_to_square = true;
  expect_error([&] { model->encode_image(small); }, {"--pad-square"});
}
