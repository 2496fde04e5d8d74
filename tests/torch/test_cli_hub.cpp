// `argus pull`, `argus models` and `--model org/name` end to end, against the fake hub
// (tests/common/fake_hub.h) serving the clip fixture as test-org/tiny-clip.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "cli_runner.h"
#include "parity.h"
#include "../common/fake_hub.h"
#include "../common/temp_dir.h"

using namespace argus;
using argus::test::run_cli;
namespace fs = std::filesystem;

namespace {

// The HF_* environment the argus processes inherit, pointed at the fake hub and a
// scratch HF_HOME, and put back afterwards.
class CliHub : public ::testing::Test {
 protected:
  static constexpr const char* kVars[] = {"HF_ENDPOINT", "HF_HOME", "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE",
                                          "HF_TOKEN", "HF_TOKEN_PATH", "HF_HUB_OFFLINE"};
  void SetUp() override {
    for (const char* k : kVars) {
      if (const char* v = std::getenv(k)) saved_[k] = v;
      ::unsetenv(k);
    }
    home_ = test::fresh_temp_dir("cli_hub_home");
    ::setenv("HF_HOME", home_.c_str(), 1);
    ::setenv("HF_ENDPOINT", hub_.endpoint().c_str(), 1);
    commit_ = hub_.add_fixture("test-org/tiny-clip", test::fixture("clip"));
  }
  void TearDown() override {
    for (const char* k : kVars) ::unsetenv(k);
    for (const auto& [k, v] : saved_) ::setenv(k.c_str(), v.c_str(), 1);
  }
  fs::path snapshot() const { return fs::path(home_) / "hub" / "models--test-org--tiny-clip" / "snapshots" / commit_; }

  test::FakeHub hub_;
  std::string home_, commit_;
  std::map<std::string, std::string> saved_;
};

const std::vector<std::string> kEmbedArgs = {"--text", "a photo of a dog", "--image", test::asset("images/dog.jpg"),
                                             "--json"};

std::vector<std::string> embed(const std::string& model) {
  std::vector<std::string> a = {"embed", "--model", model};
  a.insert(a.end(), kEmbedArgs.begin(), kEmbedArgs.end());
  return a;
}

}  // namespace

TEST_F(CliHub, PullThenEmbedAndClassifyByName) {
  auto pulled = run_cli({"pull", "test-org/tiny-clip"});
  ASSERT_EQ(pulled.rc, 0) << pulled.err;
  EXPECT_EQ(pulled.out, snapshot().string() + "\n");
  EXPECT_NE(pulled.err.find("model.safetensors ["), std::string::npos) << pulled.err;  // a progress bar

  auto by_name = run_cli(embed("test-org/tiny-clip"));
  auto by_dir = run_cli(embed(test::fixture("clip")));
  ASSERT_EQ(by_name.rc, 0) << by_name.err;
  ASSERT_EQ(by_dir.rc, 0) << by_dir.err;
  EXPECT_EQ(by_name.json(), by_dir.json());
  const int transfers = hub_.lfs_transfers;
  auto cls = run_cli({"classify", "--model", "test-org/tiny-clip@main", "--image", test::asset("images/dog.jpg"),
                      "--label", "dog", "--label", "truck", "--json"});
  ASSERT_EQ(cls.rc, 0) << cls.err;
  EXPECT_EQ(cls.json()["labels"], nlohmann::json({"dog", "truck"}));
  EXPECT_EQ(hub_.lfs_transfers, transfers);  // served from the cache
}

TEST_F(CliHub, AModelNameIsPulledOnFirstUse) {
  auto r = run_cli({"inspect", "--model", "test-org/tiny-clip", "--json"});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.json()["family"], "CLIP");
  EXPECT_TRUE(fs::is_symlink(snapshot() / "model.safetensors"));
}

TEST_F(CliHub, ModelsListsTheCacheAndRmDeletes) {
  ASSERT_EQ(run_cli({"pull", "test-org/tiny-clip", "--no-progress"}).rc, 0);
  auto list = run_cli({"models"});
  ASSERT_EQ(list.rc, 0) << list.err;
  EXPECT_NE(list.out.find("test-org/tiny-clip"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("main@" + commit_.substr(0, 8)), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("clip"), std::string::npos) << list.out;
  auto j = run_cli({"models", "--json"}).json();
  ASSERT_EQ(j["models"].size(), 1u);
  EXPECT_EQ(j["models"][0]["model_type"], "clip");
  EXPECT_GT(j["models"][0]["bytes"].get<int64_t>(), 3000000);

  auto rm = run_cli({"models", "rm", "test-org/tiny-clip"});
  ASSERT_EQ(rm.rc, 0) << rm.err;
  EXPECT_FALSE(fs::exists(snapshot()));
  EXPECT_EQ(run_cli({"models", "--json"}).json()["models"].size(), 0u);
  auto gone = run_cli({"models", "rm", "test-org/tiny-clip"});
  EXPECT_CLEAN_ERROR(gone, "is not in the Hugging Face cache");
}

TEST_F(CliHub, FailuresAreOneClearLine) {
  auto missing = run_cli({"pull", "test-org/nothing"});
  EXPECT_CLEAN_ERROR(missing, "test-org/nothing: no such model repository");
  auto bad_id = run_cli({"pull", "nothing"});
  EXPECT_CLEAN_ERROR(bad_id, "\"nothing\" is not a Hugging Face model id");
  auto bad_rev = run_cli({"pull", "test-org/tiny-clip@v9"});
  EXPECT_CLEAN_ERROR(bad_rev, "no revision \"v9\"");
  hub_.add_fixture("test-org/private", test::fixture("clip"));
  hub_.restrict("test-org/private", 401, "secret");
  auto refused = run_cli(embed("test-org/private"));
  EXPECT_CLEAN_ERROR(refused, "set HF_TOKEN");
  ::setenv("HF_TOKEN", "secret", 1);
  EXPECT_EQ(run_cli({"pull", "test-org/private", "--no-progress"}).rc, 0);
  ::setenv("HF_HUB_OFFLINE", "1", 1);
  auto offline = run_cli(embed("test-org/tiny-clip"));
  EXPECT_CLEAN_ERROR(offline, "HF_HUB_OFFLINE is set");
  EXPECT_FALSE(fs::exists(snapshot()));
}

