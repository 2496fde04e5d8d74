// The CLI on open_clip-layout directories, as a user runs it.
#include <gtest/gtest.h>

#include <filesystem>

#include "../common/temp_dir.h"
#include "cli_runner.h"
#include "parity.h"

using namespace argus;
using argus::test::run_cli;

namespace {
std::string img(const std::string& name) { return test::asset("images/" + name); }
}  // namespace

TEST(OpenClipCli, ClassifyRanksLabelsAsTheReferenceLogitsDo) {
  auto ref = test::reference("openclip_rn");
  // Prompts 0 and 1 of the fixture are "a photo of a dog" / "a photo of a truck".
  auto r = run_cli({"classify", "--model", test::fixture("openclip_rn"), "--image", img("dog.jpg"), "--label", "dog",
                    "--label", "truck", "--template", "a photo of a {}", "--json"});
  ASSERT_EQ(r.rc, 0) << r.err;
  auto j = r.json();
  EXPECT_EQ(j["labels"], nlohmann::json({"dog", "truck"}));
  auto logits = at::tensor(j["logits"].get<std::vector<double>>());
  // argus decodes and resizes the image itself (pixel-exact here, so only float noise).
  EXPECT_CLOSE(logits, ref["logits_per_image"][0].slice(0, 0, 2).to(at::kDouble), 1e-3);
}

TEST(OpenClipCli, EmbedAndInspectKnowTheFamily) {
  auto r = run_cli({"embed", "--model", test::fixture("openclip_vit"), "--text", "a diagram", "--json"});
  ASSERT_EQ(r.rc, 0) << r.err;
  auto in = run_cli({"inspect", "--model", test::fixture("openclip_vit"), "--json"});
  ASSERT_EQ(in.rc, 0) << in.err;
  EXPECT_EQ(in.json()["family"], "open_clip CLIP");
}

namespace {
// A directory holding only open_clip_config.json and one weights file of `family`.
std::string dir_with_only(const std::string& family, const std::string& weights) {
  namespace fs = std::filesystem;
  fs::path dir = test::fresh_temp_dir("open_clip_only_" + weights);
  for (const std::string name : {std::string("open_clip_config.json"), weights})
    fs::create_symlink(fs::path(test::fixture(family)) / name, dir / name);
  return dir.string();
}
}  // namespace

TEST(OpenClipCli, InspectReadsAPickledBinOrATorchScriptPtAlone) {
  auto st = run_cli({"inspect", "--model", test::fixture("openclip_rn"), "--json"});
  ASSERT_EQ(st.rc, 0) << st.err;
  auto bin = run_cli({"inspect", "--model", dir_with_only("openclip_rn", "open_clip_pytorch_model.bin"), "--json"});
  ASSERT_EQ(bin.rc, 0) << bin.err;
  // The .bin is the same state dict as the safetensors file.
  EXPECT_EQ(bin.json()["family"], "open_clip CLIP");
  EXPECT_EQ(bin.json()["parameters"], st.json()["parameters"]);
  EXPECT_EQ(bin.json()["tensors"], st.json()["tensors"]);
  EXPECT_EQ(bin.json()["dtypes"], st.json()["dtypes"]);
  EXPECT_EQ(bin.json()["config"]["weights"], "open_clip_pytorch_model.bin");
  EXPECT_EQ(bin.json()["config"]["vision_cfg.tower"], "ModifiedResNet");

  auto vit = run_cli({"inspect", "--model", test::fixture("openclip_vit"), "--json"});
  ASSERT_EQ(vit.rc, 0) << vit.err;
  auto pt = run_cli({"inspect", "--model", dir_with_only("openclip_vit", "model_openai_jit.pt"), "--json"});
  ASSERT_EQ(pt.rc, 0) << pt.err;
  EXPECT_EQ(pt.json()["family"], "open_clip CLIP");
  EXPECT_EQ(pt.json()["config"]["vision_cfg.tower"], "ViT");
  // OpenAI's archives carry three int64 scalars (input_resolution, context_length,
  // vocab_size) beside the same weights.
  EXPECT_EQ(pt.json()["parameters"].get<int64_t>(), vit.json()["parameters"].get<int64_t>() + 3);
}

TEST(OpenClipCli, IndexBuildAndSearchByTextAndImage) {
  namespace fs = std::filesystem;
  fs::path dir = test::fresh_temp_dir("open_clip_index");
  fs::create_directories(dir / "imgs");
  for (auto name : {"dog.jpg", "truck.jpg"}) fs::copy_file(img(name), dir / "imgs" / name);
  const std::string db = (dir / "index.db").string();
  auto b = run_cli({"index", "build", "--model", test::fixture("openclip_vit"), "--images", (dir / "imgs").string(),
                    "--db", db});
  ASSERT_EQ(b.rc, 0) << b.err;
  EXPECT_NE(b.out.find("2 added"), std::string::npos) << b.out;
  auto s = run_cli({"search", "--db", db, "--image", img("truck.jpg"), "-k", "2", "--json"});
  ASSERT_EQ(s.rc, 0) << s.err;
  auto hits = s.json()["results"];
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_NE(hits[0]["path"].get<std::string>().find("truck.jpg"), std::string::npos);
  EXPECT_NEAR(hits[0]["score"].get<double>(), 1.0, 1e-4);
  auto t = run_cli({"search", "--db", db, "--text", "a photo of a dog", "-k", "1", "--json"});
  ASSERT_EQ(t.rc, 0) << t.err;
  EXPECT_EQ(t.json()["results"].size(), 1u);
}
