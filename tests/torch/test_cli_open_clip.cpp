// The CLI on open_clip-layout directories, as a user runs it.
#include <gtest/gtest.h>

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
