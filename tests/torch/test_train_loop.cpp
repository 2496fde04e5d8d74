// The shared optimisation loop: schedule, a stop that names the step on a non-finite loss,
// checkpoints that a killed run resumes from bit for bit, and refusal to resume another
// architecture's checkpoint.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include <torch/nn/modules/linear.h>

#include "../common/error_of.h"
#include "../common/temp_dir.h"
#include "train/lr_schedule.h"
#include "train/train_loop.h"

namespace fs = std::filesystem;
using namespace argus;
using namespace argus::train;

namespace {


// A regression problem whose batch depends only on the step, as the loop requires.
StepFn regression(torch::nn::Linear& lin, int64_t fail_at = -1, bool nan_at_fail = false) {
  return [&lin, fail_at, nan_at_fail](int64_t step) {
    if (step == fail_at && !nan_at_fail) throw std::runtime_error("killed");
    auto gen = at::make_generator<at::CPUGeneratorImpl>(1234 + step);
    at::Tensor x = at::randn({16, 4}, gen);
    at::Tensor y = x.matmul(at::tensor({1.0f, -2.0f, 0.5f, 3.0f}).unsqueeze(1)) + 0.25;
    at::Tensor loss = (lin(x) - y).pow(2).mean();
    if (step == fail_at) loss = loss * std::nan("");
    return StepOutput{loss, 16};
  };
}

torch::nn::Linear make_linear() {
  at::manual_seed(7);
  return torch::nn::Linear(4, 1);
}

TrainOptions options(const std::string& ckpt) {
  TrainOptions o;
  o.steps = 12;
  o.warmup_steps = 2;
  o.lr = 0.05;
  o.save_every = 4;
  o.checkpoint_dir = ckpt;
  o.quiet = true;
  return o;
}

}  // namespace

TEST(LrSchedule, WarmsUpThenDecaysToItsFloor) {
  LrSchedule s{1.0, 4, 104, 0.1};
  EXPECT_DOUBLE_EQ(s.at(0), 0.25);
  EXPECT_DOUBLE_EQ(s.at(3), 1.0);
  EXPECT_NEAR(s.at(54), 0.55, 1e-9);  // half way down the cosine
  EXPECT_NEAR(s.at(104), 0.1, 1e-12);
  EXPECT_GT(s.at(20), s.at(40));
}

TEST(TrainLoop, LearnsAndWritesACheckpoint) {
  auto lin = make_linear();
  std::string dir = argus::test::fresh_temp_dir("train_learn");
  TrainOptions o = options(dir + "/ckpt");
  o.steps = 80;
  o.lr = 0.3;
  TrainLoop loop(*lin, {{"arch", "linear4"}}, o, nullptr);
  auto r = loop.run(regression(lin), GradReduction::Mean);
  ASSERT_EQ(r.losses.size(), 80u);
  EXPECT_LT(r.losses.back(), r.losses.front() * 0.05);
  EXPECT_TRUE(fs::exists(dir + "/ckpt/model.safetensors"));
  EXPECT_TRUE(fs::exists(dir + "/ckpt/optimizer.safetensors"));
  EXPECT_FALSE(fs::exists(dir + "/ckpt.tmp"));
}

TEST(TrainLoop, AKilledRunResumesFromItsLastCheckpointBitForBit) {
  std::string dir = argus::test::fresh_temp_dir("train_resume");
  auto straight = make_linear();
  TrainLoop(*straight, {{"arch", "linear4"}}, options(dir + "/a"), nullptr).run(regression(straight), GradReduction::Mean);

  auto killed = make_linear();
  EXPECT_THROW(TrainLoop(*killed, {{"arch", "linear4"}}, options(dir + "/b"), nullptr)
                   .run(regression(killed, /*fail_at=*/10), GradReduction::Mean),
               std::runtime_error);
  // Restarted from scratch in a new process: only the checkpoint carries the progress.
  auto resumed = make_linear();
  at::manual_seed(99);  // a different initialisation, overwritten by the checkpoint
  resumed = torch::nn::Linear(4, 1);
  auto r = TrainLoop(*resumed, {{"arch", "linear4"}}, options(dir + "/b"), nullptr)
               .run(regression(resumed), GradReduction::Mean);
  EXPECT_EQ(r.start_step, 8);  // the step-10 kill loses only what came after step 8
  EXPECT_EQ(r.losses.size(), 4u);
  EXPECT_TRUE(at::equal(straight->weight, resumed->weight));
  EXPECT_TRUE(at::equal(straight->bias, resumed->bias));
}

TEST(TrainLoop, ANonFiniteLossStopsNamingTheStep) {
  auto lin = make_linear();
  std::string dir = argus::test::fresh_temp_dir("train_nan");
  TrainLoop loop(*lin, {{"arch", "linear4"}}, options(dir + "/ckpt"), nullptr);
  std::string err = test::error_of([&] { loop.run(regression(lin, 5, true), GradReduction::Mean); });
  EXPECT_NE(err.find("nan at step 5"), std::string::npos) << err;
  // The checkpoint of step 4 survives for a retry with other settings.
  EXPECT_TRUE(fs::exists(dir + "/ckpt/trainer_state.json"));
}

TEST(TrainLoop, RefusesToResumeAnotherArchitecturesCheckpoint) {
  std::string dir = argus::test::fresh_temp_dir("train_arch");
  auto a = make_linear();
  TrainLoop(*a, {{"arch", "linear4"}}, options(dir + "/ckpt"), nullptr).run(regression(a), GradReduction::Mean);
  auto b = make_linear();
  std::string err = test::error_of([&] {
    TrainLoop(*b, {{"arch", "linear4-wide"}}, options(dir + "/ckpt"), nullptr).run(regression(b), GradReduction::Mean);
  });
  EXPECT_NE(err.find("another architecture"), std::string::npos) << err;
}
