// `argus world`: generate -> train (single process and 2-process data parallel) -> eval,
// through the binary as a user runs it.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "cli_runner.h"
#include "io/json_file.h"
#include "nn/tensor_io.h"
#include "../common/temp_dir.h"

namespace fs = std::filesystem;
using argus::test::run_cli;

namespace {

class WorldCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = argus::test::fresh_temp_dir("world_cli");
    auto r = run_cli({"world", "generate", "--out", root_ + "/data", "--n", "48", "--n-eval", "16", "--seed", "3"});
    ASSERT_EQ(r.rc, 0) << r.err;
    auto j = r.json();
    EXPECT_EQ(j["images"]["train"], 48);
    EXPECT_EQ(j["images"]["openset"], 16);
  }
  static void TearDownTestSuite() { fs::remove_all(root_); }

  static argus::test::CliResult train(const std::string& out, int nproc) {
    // With token labelling and hard negatives, so both terms are checked across ranks too.
    return run_cli({"world", "train", "--data", root_ + "/data", "--out", out, "--steps", "4", "--batch", "16",
                    "--seed", "5", "--only", "clip", "--token-labels", "1", "--hard-negatives", "--nproc",
                    std::to_string(nproc)});
  }
  static std::vector<double> losses(const std::string& out) {
    return argus::io::read_json(out + "/clip/checkpoint/trainer_state.json")["losses"].get<std::vector<double>>();
  }
  static std::string root_;
};
std::string WorldCli::root_;

}  // namespace

TEST_F(WorldCli, DataParallelTrainingMatchesOneProcessWithTheSameGlobalBatch) {
  auto one = train(root_ + "/one", 1);
  ASSERT_EQ(one.rc, 0) << one.err;
  auto two = train(root_ + "/two", 2);
  ASSERT_EQ(two.rc, 0) << two.err;
  // Both ranks end with identical weights.
  auto sums = argus::io::read_json(root_ + "/two/clip/argus_recipe.json")["rank_checksums"];
  ASSERT_EQ(sums.size(), 2u) << sums;
  EXPECT_EQ(sums[0], sums[1]);
  EXPECT_EQ(argus::io::read_json(root_ + "/two/clip/argus_recipe.json")["processes"], 2);
  // The loss curve is the single-process one (gathered features: the same global batch).
  auto a = losses(root_ + "/one"), b = losses(root_ + "/two");
  ASSERT_EQ(a.size(), 4u);
  ASSERT_EQ(b.size(), 4u);
  for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 2e-4 * std::abs(a[i])) << "step " << i;
  EXPECT_NE(a[0], a[3]);  // it trained
}

TEST_F(WorldCli, AKilledTrainingResumesFromItsLastCheckpointAndEndsTheSame) {
  auto args = [&](const std::string& out) {
    return std::vector<std::string>{"world", "train", "--data", root_ + "/data", "--out", out, "--only", "clip",
                                    "--steps", "40", "--batch", "16", "--seed", "5", "--save-every", "5"};
  };
  auto straight = run_cli(args(root_ + "/straight"));
  ASSERT_EQ(straight.rc, 0) << straight.err;

  // SIGKILL the run as soon as its first checkpoint is on disk.
  std::string cmd = argus::test::shell_quote(ARGUS_BINARY) + " --threads 1";
  for (const auto& a : args(root_ + "/killed")) cmd += " " + argus::test::shell_quote(a);
  cmd += " >/dev/null 2>&1 & pid=$!; while [ ! -f " + root_ + "/killed/clip/checkpoint/trainer_state.json ]; do "
         "sleep 0.02; kill -0 $pid 2>/dev/null || break; done; kill -9 $pid; wait $pid";
  std::system(cmd.c_str());
  ASSERT_TRUE(fs::exists(root_ + "/killed/clip/checkpoint/trainer_state.json"));
  ASSERT_FALSE(fs::exists(root_ + "/killed/clip/model.safetensors")) << "the run finished before the kill";

  auto resumed = run_cli(args(root_ + "/killed"));
  ASSERT_EQ(resumed.rc, 0) << resumed.err;
  int64_t from = resumed.json()["resumed_from"];
  EXPECT_GE(from, 5);
  EXPECT_LT(from, 40);
  EXPECT_EQ(from % 5, 0);
  // Data order and optimizer state come back with the checkpoint: the same final weights.
  EXPECT_EQ(resumed.json()["rank_checksums"], straight.json()["rank_checksums"]);
}

TEST_F(WorldCli, EvalReportsEveryMetricOfBothSplits) {
  auto t = train(root_ + "/eval", 1);
  ASSERT_EQ(t.rc, 0) << t.err;
  auto s = run_cli({"world", "train", "--data", root_ + "/data", "--out", root_ + "/eval", "--only", "sam", "--steps",
                    "2", "--batch", "4"});
  ASSERT_EQ(s.rc, 0) << s.err;
  auto o = run_cli({"world", "train", "--data", root_ + "/data", "--out", root_ + "/eval", "--only", "owl", "--steps",
                    "2", "--batch", "4"});
  ASSERT_EQ(o.rc, 0) << o.err;
  auto r = run_cli({"world", "eval", "--models", root_ + "/eval", "--data", root_ + "/data", "--json"});
  ASSERT_EQ(r.rc, 0) << r.err;
  auto j = r.json();
  for (const char* split : {"heldout", "openset"}) {
    const auto& m = j["splits"][split];
    for (const char* k : {"zero_shot_acc", "retrieval_r1", "vqa_acc", "vqa_by_type", "pope_acc", "det_ap50",
                          "point_miou", "refer_iou"})
      EXPECT_TRUE(m.contains(k)) << split << " " << k;
    for (const char* k : {"zero_shot_acc", "retrieval_r1", "point_miou", "det_ap50", "refer_iou"}) {
      ASSERT_TRUE(m[k].is_number()) << split << " " << k << " " << m;
      EXPECT_GE(m[k].get<double>(), 0.0);
      EXPECT_LE(m[k].get<double>(), 1.0);
    }
    EXPECT_GT(m["counts"]["retrieval_queries"], 0);
    EXPECT_GT(m["counts"]["point_prompts"], 0);
    EXPECT_GT(m["counts"]["det_objects"], 0);
    EXPECT_GT(m["counts"]["refer_expressions"], 0);
  }
}

TEST_F(WorldCli, BadInputIsACleanError) {
  auto missing = run_cli({"world", "train", "--data", root_ + "/nowhere", "--out", root_ + "/x", "--steps", "1"});
  EXPECT_CLEAN_ERROR(missing, "nowhere");

  // A corrupt annotation file names itself.
  fs::copy(root_ + "/data", root_ + "/corrupt", fs::copy_options::recursive);
  std::ofstream(root_ + "/corrupt/train/instances.json") << "{\"images\": [";
  auto corrupt = run_cli({"world", "train", "--data", root_ + "/corrupt", "--out", root_ + "/y", "--steps", "1"});
  EXPECT_CLEAN_ERROR(corrupt, "instances.json");

  auto no_world = run_cli({"world", "eval", "--models", root_ + "/x", "--data", root_});
  EXPECT_CLEAN_ERROR(no_world, "world.json");

  auto bad_nproc = run_cli({"world", "train", "--data", root_ + "/data", "--out", root_ + "/z", "--nproc", "0"});
  EXPECT_CLEAN_ERROR(bad_nproc, "--nproc");
}

TEST_F(WorldCli, LoraTrainingWritesAnAdapterThatAskAndMergeApplyToItsBase) {
  const std::string out = root_ + "/lora";
  auto c = train(out, 1);
  ASSERT_EQ(c.rc, 0) << c.err;
  auto l = run_cli({"world", "train", "--data", root_ + "/data", "--out", out, "--only", "llava", "--steps", "6",
                    "--lm-steps", "2", "--align-steps", "2", "--batch", "8", "--lora", "4", "--lr", "0.01"});
  ASSERT_EQ(l.rc, 0) << l.err;
  const std::string llava = out + "/llava";
  auto merged = run_cli({"lora", "merge", "--model", llava + "/lora-base", "--lora", llava + "/lora", "--out", out + "/m"});
  ASSERT_EQ(merged.rc, 0) << merged.err;
  EXPECT_NE(merged.err.find("merged 28 LoRA layers"), std::string::npos) << merged.err;  // 4 layers x 7

  // The prompt's logits: the trained model, base + adapter at load, and the merged copy agree.
  auto logits = [&](const std::vector<std::string>& model_flags, const std::string& file) {
    std::vector<std::string> args = {"generate", "--prompt-ids", "1,4,20,21", "--image",
                                     root_ + "/data/train/images/000000.png", "--max-tokens", "1",
                                     "--logits-out", file};
    args.insert(args.end(), model_flags.begin(), model_flags.end());
    auto r = run_cli(args);
    EXPECT_EQ(r.rc, 0) << r.err;
    return argus::nn::load_safetensors(file).at("logits");
  };
  at::Tensor trained = logits({"--model", llava}, out + "/a.safetensors");
  EXPECT_TRUE(at::allclose(logits({"--model", llava + "/lora-base", "--lora", llava + "/lora"}, out + "/b.safetensors"),
                           trained, 1e-4, 1e-4));
  EXPECT_TRUE(at::allclose(logits({"--model", out + "/m"}, out + "/c.safetensors"), trained, 1e-4, 1e-4));
  EXPECT_FALSE(at::allclose(logits({"--model", llava + "/lora-base"}, out + "/d.safetensors"), trained, 1e-3, 1e-3));

  auto not_adapter = run_cli({"ask", "--model", llava, "--lora", root_ + "/data", "hi"});
  EXPECT_CLEAN_ERROR(not_adapter, "not a LoRA adapter directory");
  auto exists = run_cli({"lora", "merge", "--model", llava + "/lora-base", "--lora", llava + "/lora", "--out", llava});
  EXPECT_CLEAN_ERROR(exists, "not empty");
}
