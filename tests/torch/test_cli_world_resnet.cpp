// `argus world train --tower resnet`: the ResNet world CLIP from the command line, its
// evaluation, and what is refused on it.
#include <gtest/gtest.h>

#include <filesystem>

#include "cli_runner.h"
#include "../common/temp_dir.h"

namespace fs = std::filesystem;
using argus::test::run_cli;

TEST(CliWorldResNet, TrainsEvaluatesAndRefusesWhatIsNotBuiltOnIt) {
  std::string dir = argus::test::fresh_temp_dir("cli_world_resnet");
  std::string data = dir + "/data", models = dir + "/models";
  auto gen = run_cli({"world", "generate", "--out", data, "--n", "24", "--n-eval", "12", "--seed", "3"});
  ASSERT_EQ(gen.rc, 0) << gen.err;

  auto bad = run_cli({"world", "train", "--data", data, "--out", models, "--only", "clip", "--tower", "convnext"});
  EXPECT_NE(bad.rc, 0);
  EXPECT_NE(bad.err.find("--tower convnext"), std::string::npos) << bad.err;

  auto train = run_cli({"world", "train", "--data", data, "--out", models, "--only", "clip", "--tower", "resnet",
                        "--steps", "3", "--batch", "8", "--seed", "1"});
  ASSERT_EQ(train.rc, 0) << train.err;
  EXPECT_TRUE(fs::exists(fs::path(models) / "clip" / "open_clip_config.json"));

  auto eval = run_cli({"world", "eval", "--models", models, "--data", data, "--json"});
  ASSERT_EQ(eval.rc, 0) << eval.err;
  auto heldout = eval.json()["splits"]["heldout"];
  EXPECT_TRUE(heldout["zero_shot_shape_acc"].is_number()) << heldout.dump();
  EXPECT_TRUE(heldout["retrieval_r1"].is_number());

  for (const char* recipe : {"llava", "owl"}) {
    auto on_it = run_cli({"world", "train", "--data", data, "--out", models, "--only", recipe, "--steps", "1"});
    EXPECT_NE(on_it.rc, 0) << recipe;
    EXPECT_NE(on_it.err.find("ResNet tower"), std::string::npos) << on_it.err;
  }
  fs::remove_all(dir);
}
