// The open_clip family end to end: clip._transform pixel parity from the original images,
// clip.tokenize ids from the built-in vocabulary, the DualEncoder built from a fixture
// directory, and bad checkpoints as one-line errors.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <caffe2/serialize/inline_container.h>

#include "../common/temp_dir.h"
#include "engine/dual_encoder.h"
#include "image/clip_transform.h"
#include "image/decode.h"
#include "io/json_file.h"
#include "models/open_clip/open_clip_load.h"
#include "nn/tensor_io.h"
#include "parity.h"
#include "server/model_pool.h"
#include "text/clip_bpe.h"
#include "text/tokenizer.h"
#include "util/error.h"

using namespace argus;
namespace fs = std::filesystem;

namespace {

const std::vector<std::string> kImages = {"dog.jpg", "truck.jpg"};

std::vector<std::string> prompts(const std::string& family) {
  return io::read_json(test::fixture(family + "/io.json"))["texts"].get<std::vector<std::string>>();
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// A copy of a fixture directory in which `edit` may change files.
std::string fixture_copy(const std::string& family, const std::string& name) {
  fs::path d = test::fresh_temp_dir("open_clip_" + name);
  for (const auto& e : fs::directory_iterator(test::fixture(family)))
    fs::copy_file(e.path(), d / e.path().filename());
  for (const auto& e : fs::directory_iterator(d)) fs::permissions(e.path(), fs::perms::owner_write, fs::perm_options::add);
  return d.string();
}

void write_config(const std::string& dir, const nlohmann::json& j) {
  std::ofstream(dir + "/" + models::open_clip::kConfigFile) << j.dump(1);
}

}  // namespace

TEST(OpenClipPreprocess, CropOffsetsRoundHalfToEven) {
  EXPECT_EQ(image::clip_crop_offset(95, 64), 16);  // 15.5 -> 16 (floor would give 15)
  EXPECT_EQ(image::clip_crop_offset(97, 64), 16);  // 16.5 -> 16
  EXPECT_EQ(image::clip_crop_offset(96, 64), 16);
  EXPECT_EQ(image::clip_crop_offset(64, 64), 0);
}

TEST(OpenClipPreprocess, PixelValuesMatchTheReferenceFromTheOriginalImages) {
  for (const std::string family : {"openclip_rn", "openclip_vit"}) {
    auto cfg = models::open_clip::load_open_clip_config(test::fixture(family));
    auto ref = test::reference(family)["pixel_values"];
    for (size_t i = 0; i < kImages.size(); ++i) {
      auto im = image::load_image(test::asset("images/" + kImages[i]));
      auto pv = image::clip_transform(im, static_cast<int>(cfg.preprocess.size), cfg.preprocess.mean, cfg.preprocess.std);
      EXPECT_EQ(pv.resized_height, 64);
      at::Tensor got = at::from_blob(pv.data.data(), {3, pv.height, pv.width}, at::kFloat).clone();
      // Back to uint8 steps: u8 = (x * std + mean) * 255.
      at::Tensor mean = at::tensor(std::vector<double>(cfg.preprocess.mean.begin(), cfg.preprocess.mean.end())).view({3, 1, 1});
      at::Tensor std = at::tensor(std::vector<double>(cfg.preprocess.std.begin(), cfg.preprocess.std.end())).view({3, 1, 1});
      auto steps = [&](const at::Tensor& x) { return ((x.to(at::kDouble) * std + mean) * 255).round(); };
      at::Tensor diff = (steps(got) - steps(ref[static_cast<int64_t>(i)])).abs();
      const double exact = (diff == 0).to(at::kDouble).mean().item<double>();
      std::printf("  %s %s: %.4f of values exact, max %g steps\n", family.c_str(), kImages[i].c_str(), exact,
                  diff.max().item<double>());
      EXPECT_GE(exact, 0.99) << family << " " << kImages[i];
      EXPECT_LE(diff.max().item<double>(), 2.0) << family << " " << kImages[i];
      // Where the uint8 value agrees, the float is the reference's to float rounding.
      EXPECT_LE((got - ref[static_cast<int64_t>(i)]).abs().masked_select(diff == 0).max().item<double>(), 1e-6);
    }
  }
}

TEST(OpenClipTokenizer, BuiltinVocabularyGivesClipTokenizeIds) {
  auto tok = text::ClipBpeTokenizer::builtin();
  auto ref = test::reference("openclip_rn")["input_ids"];
  auto texts = prompts("openclip_rn");
  ASSERT_EQ(static_cast<int64_t>(texts.size()), ref.size(0));
  for (size_t i = 0; i < texts.size(); ++i) {
    auto ids = text::encode_truncated(*tok, texts[i], 77);
    ids.resize(77, 0);  // clip.tokenize pads with zeros
    EXPECT_TRUE(at::equal(at::tensor(ids), ref[static_cast<int64_t>(i)])) << texts[i];
  }
  // A text longer than the context keeps EOT in the last slot.
  std::string longer;
  for (int i = 0; i < 100; ++i) longer += "dog ";
  auto ids = text::encode_truncated(*tok, longer, 77);
  ASSERT_EQ(ids.size(), 77u);
  EXPECT_EQ(ids.front(), 49406);
  EXPECT_EQ(ids.back(), 49407);
}

TEST(OpenClipEncoder, FixtureDirectoriesEmbedAsTheReferenceDoes) {
  for (const std::string family : {"openclip_rn", "openclip_vit"}) {
    auto enc = engine::DualEncoder::open(test::fixture(family));
    EXPECT_EQ(enc->family(), "open_clip");
    EXPECT_FALSE(enc->sigmoid_scores());
    auto ref = test::reference(family);
    auto unit = [](const at::Tensor& x) { return x / x.norm(2, -1, true); };
    at::Tensor text = enc->embed_texts(prompts(family));
    EXPECT_CLOSE(text, unit(ref["text_features"]), 1e-5);
    std::vector<image::Image> images;
    for (const auto& name : kImages) images.push_back(image::load_image(test::asset("images/" + name)));
    at::Tensor img = enc->embed_images(images);
    // From argus's own decoding and resampling: a few values a uint8 step off (parity-notes).
    EXPECT_CLOSE(img, unit(ref["image_features"]), 5e-3);
    EXPECT_CLOSE(enc->logits(unit(ref["image_features"]), text), ref["logits_per_image"], 1e-4);
    EXPECT_EQ(enc->fingerprint(), engine::DualEncoder::open(test::fixture(family))->fingerprint());
  }
  EXPECT_NE(engine::DualEncoder::open(test::fixture("openclip_rn"))->fingerprint(),
            engine::DualEncoder::open(test::fixture("openclip_vit"))->fingerprint());
}

TEST(OpenClipErrors, UnknownTowerConfigNamesTheField) {
  auto base = io::read_json(test::fixture("openclip_vit/open_clip_config.json"));
  const std::string dir = fixture_copy("openclip_vit", "tower");
  for (auto [where, key, value] : std::vector<std::tuple<std::string, std::string, nlohmann::json>>{
           {"vision_cfg", "timm_model_name", "convnext_base"},
           {"text_cfg", "hf_model_name", "xlm-roberta-base"},
           {"vision_cfg", "attentional_pool", true},
           {"vision_cfg", "made_up_key", 1}}) {
    auto j = base;
    j["model_cfg"][where][key] = value;
    write_config(dir, j);
    std::string err = error_of([&] { models::open_clip::load_open_clip_model(dir); });
    EXPECT_NE(err.find(where + "." + key), std::string::npos) << err;
    EXPECT_EQ(err.find('\n'), std::string::npos) << err;
  }
  // A transform other than clip._transform's and the squash.
  auto j = base;
  j["preprocess_cfg"]["resize_mode"] = "longest";
  write_config(dir, j);
  std::string err = error_of([&] { models::open_clip::load_open_clip_model(dir); });
  EXPECT_NE(err.find("preprocess_cfg.resize_mode"), std::string::npos) << err;
}

TEST(OpenClipErrors, MissingAndUnusedTensorsAreNamed) {
  const std::string dir = fixture_copy("openclip_rn", "missing");
  auto j = io::read_json(test::fixture("openclip_rn/open_clip_config.json"));
  j["model_cfg"]["text_cfg"]["layers"] = 3;  // the checkpoint has 2 text blocks
  write_config(dir, j);
  std::string err = error_of([&] { models::open_clip::load_open_clip_model(dir); });
  EXPECT_NE(err.find("missing"), std::string::npos) << err;
  EXPECT_NE(err.find("transformer.resblocks.2."), std::string::npos) << err;
  j["model_cfg"]["text_cfg"]["layers"] = 1;
  write_config(dir, j);
  err = error_of([&] { models::open_clip::load_open_clip_model(dir); });
  EXPECT_NE(err.find("transformer.resblocks.1."), std::string::npos) << err;
  EXPECT_NE(err.find("open_clip_model.safetensors"), std::string::npos) << err;
}

TEST(OpenClipErrors, TruncatedWeightsAreOneLineErrors) {
  for (const std::string& file : {std::string("open_clip_model.safetensors"), std::string("model_openai_jit.pt")}) {
    const std::string dir = fixture_copy("openclip_vit", "truncated");
    const std::string path = dir + "/" + file;
    fs::resize_file(path, fs::file_size(path) / 2);
    std::string err = error_of([&] { models::open_clip::load_open_clip_model(dir, path); });
    EXPECT_NE(err.find(path), std::string::npos) << err;
    EXPECT_EQ(err.find('\n'), std::string::npos) << err;
  }
}

namespace {

// A zip as torch.save / torch.jit.save lay it out, holding `pickle` as data.pkl.
void write_archive(const std::string& path, const std::string& pickle, bool torchscript) {
  caffe2::serialize::PyTorchStreamWriter w(path);
  w.writeRecord("data.pkl", pickle.data(), pickle.size());
  if (torchscript) w.writeRecord("code/__torch__/m.py", "x", 1);
  w.writeEndOfFile();
}

}  // namespace

TEST(OpenClipErrors, PickleAskingForAnotherGlobalIsRefusedByName) {
  // os.system("ls"): what a malicious checkpoint would run under Python's torch.load.
  const char evil_bytes[] = "\x80\x02" "cos\nsystem\n" "q\x00" "X\x02\x00\x00\x00" "ls" "q\x01\x85q\x02Rq\x03.";
  const std::string evil(evil_bytes, sizeof(evil_bytes) - 1);
  const std::string dir = fixture_copy("openclip_rn", "evil");
  for (bool torchscript : {false, true}) {
    const std::string path = dir + (torchscript ? "/evil.pt" : "/open_clip_pytorch_model.bin");
    write_archive(path, evil, torchscript);
    std::string err = error_of([&] { models::open_clip::load_open_clip_model(dir, path); });
    EXPECT_NE(err.find("os.system"), std::string::npos) << err;
    EXPECT_NE(err.find(path), std::string::npos) << err;
    EXPECT_EQ(err.find('\n'), std::string::npos) << err;
  }
}

TEST(OpenClipErrors, TruncatedPickledBinIsAOneLineError) {
  const std::string dir = fixture_copy("openclip_rn", "truncated_bin");
  const std::string path = dir + "/open_clip_pytorch_model.bin";
  fs::resize_file(path, fs::file_size(path) / 2);
  std::string err = error_of([&] { models::open_clip::load_open_clip_model(dir, path); });
  EXPECT_NE(err.find(path), std::string::npos) << err;
  EXPECT_EQ(err.find('\n'), std::string::npos) << err;
}

TEST(OpenClipEncoder, ADirectoryWithOnlyThePickledBinServesEmbeddings) {
  const std::string dir = fixture_copy("openclip_rn", "bin_only");
  fs::remove(dir + "/open_clip_model.safetensors");
  EXPECT_EQ(models::open_clip::weights_file(dir), dir + "/open_clip_pytorch_model.bin");
  server::ModelPool pool({{"rn", dir}}, 0);
  auto lease = pool.acquire("rn", server::Role::Embed, server::ModelPool::Clock::now() + std::chrono::seconds(60));
  EXPECT_EQ(lease.info().family, "open_clip CLIP");
  auto ref = test::reference("openclip_rn");
  at::Tensor text = lease->embed->embed_texts(prompts("openclip_rn"));
  EXPECT_CLOSE(text, ref["text_features"] / ref["text_features"].norm(2, -1, true), 1e-5);
}
