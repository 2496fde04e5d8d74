// `argus pull` against a fake hub (tests/common/fake_hub.h) serving the clip fixture as
// test-org/tiny-clip: the cache layout huggingface_hub writes, resume, integrity checks,
// offline mode, the hub's refusals and a branch that moves.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "../common/error_of.h"
#include "../common/fake_hub.h"
#include "../common/temp_dir.h"
#include "hub/cache.h"
#include "hub/pull.h"

using namespace argus;
using argus::test::error_of;
namespace fs = std::filesystem;

namespace {

const fs::path kClip = fs::path(ARGUS_SHARED_DIR) / "fixtures" / "clip";

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class HubPull : public ::testing::Test {
 protected:
  void SetUp() override {
    cache_ = test::fresh_temp_dir("hub_cache");
    commit_ = hub_.add_fixture("test-org/tiny-clip", kClip,
                               {{"pytorch_model.bin", "pickled weights argus should skip"},
                                {"README.md", "# tiny clip"},
                                {"onnx/model.onnx", "an export argus should skip"}});
  }
  hub::HubSettings settings() const { return {hub_.endpoint(), token_, false, cache_}; }
  fs::path pull(const std::string& spec) {
    return hub::pull(hub::parse_repo_id(spec), hub::PullOptions{{}, false}, settings());
  }
  fs::path repo_dir() const { return cache_ / "models--test-org--tiny-clip"; }
  fs::path weights_blob() const { return repo_dir() / "blobs" / test::FakeHub::hash(slurp(kClip / "model.safetensors"), hub::Digest::sha256); }

  test::FakeHub hub_;
  fs::path cache_;
  std::string commit_, token_;
};

}  // namespace

TEST_F(HubPull, WritesTheHuggingFaceCacheLayout) {
  const fs::path snap = pull("test-org/tiny-clip");
  EXPECT_EQ(snap, repo_dir() / "snapshots" / commit_);
  EXPECT_EQ(slurp(repo_dir() / "refs" / "main"), commit_);
  for (const char* f : {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "vocab.json",
                        "merges.txt", "preprocessor_config.json"}) {
    ASSERT_TRUE(fs::is_symlink(snap / f)) << f;
    EXPECT_EQ(slurp(snap / f), slurp(kClip / f)) << f;
  }
  // Relative links named by the LFS sha256 or the git blob sha1, as huggingface_hub makes them.
  EXPECT_EQ(fs::read_symlink(snap / "model.safetensors"), fs::path("../../blobs") / weights_blob().filename());
  const std::string config = slurp(kClip / "config.json");
  EXPECT_EQ(fs::read_symlink(snap / "config.json"),
            fs::path("../../blobs") / test::FakeHub::hash(config, hub::Digest::git_sha1));
  for (const char* skipped : {"pytorch_model.bin", "README.md", "onnx"}) EXPECT_FALSE(fs::exists(snap / skipped));
  // Pulling again fetches nothing.
  const int transfers = hub_.lfs_transfers;
  EXPECT_EQ(pull("test-org/tiny-clip"), snap);
  EXPECT_EQ(hub_.lfs_transfers, transfers);
}

TEST_F(HubPull, IncludeAndExcludeGlobsOverrideTheDefaultChoice) {
  hub::PullOptions o{{{"*.json", "onnx/*"}, {"tokenizer*"}}, false};
  const fs::path snap = hub::pull(hub::parse_repo_id("test-org/tiny-clip"), o, settings());
  EXPECT_TRUE(fs::exists(snap / "config.json"));
  EXPECT_TRUE(fs::exists(snap / "onnx" / "model.onnx"));
  EXPECT_EQ(fs::read_symlink(snap / "onnx" / "model.onnx").string().rfind("../../../blobs/", 0), 0u);
  EXPECT_FALSE(fs::exists(snap / "tokenizer.json"));
  EXPECT_FALSE(fs::exists(snap / "model.safetensors"));
}

TEST_F(HubPull, ResumesATransferThatBrokeOff) {
  hub_.cut_lfs_after = 1000000;
  EXPECT_NE(error_of([&] { pull("test-org/tiny-clip"); }).find("broke off after 1000000 of"), std::string::npos);
  // Nothing that looks complete: the bytes so far wait in .incomplete, no blob, no link.
  const fs::path part = weights_blob().string() + ".incomplete";
  EXPECT_EQ(fs::file_size(part), 1000000u);
  EXPECT_FALSE(fs::exists(weights_blob()));
  EXPECT_FALSE(fs::exists(repo_dir() / "snapshots" / commit_ / "model.safetensors"));
  hub_.cut_lfs_after = -1;
  const fs::path snap = pull("test-org/tiny-clip");
  const auto ranges = hub_.ranges();
  EXPECT_NE(std::find(ranges.begin(), ranges.end(), "bytes=1000000-"), ranges.end());
  EXPECT_EQ(slurp(snap / "model.safetensors"), slurp(kClip / "model.safetensors"));
  EXPECT_FALSE(fs::exists(part));
}

TEST_F(HubPull, RejectsBytesThatDoNotMatchTheHash) {
  hub_.corrupt_lfs = true;
  const std::string err = error_of([&] { pull("test-org/tiny-clip"); });
  EXPECT_NE(err.find("sha256"), std::string::npos) << err;
  EXPECT_NE(err.find("nothing was cached"), std::string::npos) << err;
  EXPECT_FALSE(fs::exists(weights_blob()));
  EXPECT_FALSE(fs::exists(weights_blob().string() + ".incomplete"));
  EXPECT_FALSE(fs::exists(repo_dir() / "snapshots" / commit_ / "model.safetensors"));
  EXPECT_FALSE(fs::exists(repo_dir() / "refs" / "main"));
}

TEST_F(HubPull, RejectsMoreBytesThanAnnounced) {
  hub_.lfs_size_error = -1;
  const std::string err = error_of([&] { pull("test-org/tiny-clip"); });
  EXPECT_NE(err.find("more than the"), std::string::npos) << err;
  for (const auto& e : fs::directory_iterator(repo_dir() / "blobs"))
    EXPECT_NE(e.path().filename(), weights_blob().filename());
  EXPECT_FALSE(fs::exists(weights_blob().string() + ".incomplete"));
}

TEST_F(HubPull, AWriteErrorLeavesNoEntry) {
  // The blob's .incomplete is /dev/full: every write fails with ENOSPC, as on a full disk.
  fs::create_directories(repo_dir() / "blobs");
  fs::create_symlink("/dev/full", weights_blob().string() + ".incomplete");
  const std::string err = error_of([&] { pull("test-org/tiny-clip"); });
  EXPECT_NE(err.find("No space left on device"), std::string::npos) << err;
  EXPECT_FALSE(fs::exists(weights_blob()));
  EXPECT_FALSE(fs::exists(fs::symlink_status(weights_blob().string() + ".incomplete")));
  EXPECT_FALSE(fs::exists(repo_dir() / "snapshots" / commit_ / "model.safetensors"));
}

TEST_F(HubPull, OfflineUsesTheCacheAndSaysWhenItCannot) {
  auto s = settings();
  s.offline = true;
  const std::string err = error_of([&] { hub::pull(hub::parse_repo_id("test-org/tiny-clip"), {}, s); });
  EXPECT_NE(err.find("not in the Hugging Face cache"), std::string::npos) << err;
  EXPECT_NE(err.find("HF_HUB_OFFLINE"), std::string::npos) << err;
  const fs::path snap = pull("test-org/tiny-clip");
  s.endpoint = "http://127.0.0.1:1";  // nothing listens: offline must not try
  EXPECT_EQ(hub::pull(hub::parse_repo_id("test-org/tiny-clip"), {}, s), snap);
  EXPECT_EQ(hub::pull(hub::parse_repo_id("test-org/tiny-clip@" + commit_), {}, s), snap);
}

TEST_F(HubPull, ExplainsRefusalsAndMissingRepos) {
  hub_.add_fixture("test-org/private", kClip);
  hub_.restrict("test-org/private", 401, "secret");
  std::string err = error_of([&] { pull("test-org/private"); });
  EXPECT_NE(err.find("401"), std::string::npos) << err;
  EXPECT_NE(err.find("set HF_TOKEN"), std::string::npos) << err;
  token_ = "wrong";
  EXPECT_NE(error_of([&] { pull("test-org/private"); }).find("refused the token in HF_TOKEN"), std::string::npos);
  token_ = "secret";
  EXPECT_TRUE(fs::exists(pull("test-org/private") / "config.json"));

  hub_.add_fixture("test-org/gated", kClip);
  hub_.restrict("test-org/gated", 403, "granted");
  err = error_of([&] { pull("test-org/gated"); });
  EXPECT_NE(err.find("403"), std::string::npos) << err;
  EXPECT_NE(err.find("gated"), std::string::npos) << err;

  EXPECT_EQ(error_of([&] { pull("test-org/nothing"); }), "test-org/nothing: no such model repository on " + hub_.endpoint());
  EXPECT_EQ(error_of([&] { pull("test-org/tiny-clip@v9"); }), "test-org/tiny-clip: no revision \"v9\" on " + hub_.endpoint());
  EXPECT_EQ(error_of([&] { pull("not-an-id"); }),
            "\"not-an-id\" is not a Hugging Face model id (expected org/name or org/name@revision)");
  EXPECT_FALSE(fs::exists(cache_ / "models--test-org--nothing"));
}

TEST_F(HubPull, FollowsABranchThatMoves) {
  const fs::path first = pull("test-org/tiny-clip");
  test::FakeHub::Files next = {{"config.json", "{\"model_type\": \"clip\", \"note\": \"v2\"}"},
                               {"model.safetensors", slurp(kClip / "model.safetensors")}};
  const std::string second_commit = hub_.commit("test-org/tiny-clip", next);
  const int transfers = hub_.lfs_transfers;
  const fs::path second = pull("test-org/tiny-clip");
  EXPECT_EQ(second, repo_dir() / "snapshots" / second_commit);
  EXPECT_EQ(slurp(repo_dir() / "refs" / "main"), second_commit);
  EXPECT_EQ(slurp(second / "config.json"), next["config.json"]);
  EXPECT_EQ(hub_.lfs_transfers, transfers);  // the unchanged weights' blob is shared
  EXPECT_EQ(slurp(first / "config.json"), slurp(kClip / "config.json"));  // the old snapshot stays
  // A pinned commit still finds the old snapshot.
  EXPECT_EQ(*hub::find_cached(cache_, hub::parse_repo_id("test-org/tiny-clip@" + commit_)), first);
}

TEST_F(HubPull, ConcurrentPullsOfOneModelAgree) {
  std::vector<std::string> errors(3);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < errors.size(); ++i)
    threads.emplace_back([&, i] { errors[i] = error_of([&] { pull("test-org/tiny-clip"); }); });
  for (auto& t : threads) t.join();
  for (const auto& e : errors) EXPECT_EQ(e, "");
  EXPECT_EQ(slurp(repo_dir() / "snapshots" / commit_ / "model.safetensors"), slurp(kClip / "model.safetensors"));
}

TEST_F(HubPull, TakesOnlyTheShardsTheIndexNames) {
  const std::string index = R"({"metadata": {}, "weight_map": {"a": "model-00001-of-00002.safetensors",
                                                             "b": "model-00002-of-00002.safetensors"}})";
  hub_.commit("test-org/sharded", {{"config.json", "{}"},
                                   {"model.safetensors.index.json", index},
                                   {"model-00001-of-00002.safetensors", "shard one"},
                                   {"model-00002-of-00002.safetensors", "shard two"},
                                   {"model-old.safetensors", "not in the index"},
                                   {"pytorch_model.bin.index.json", "{}"}});
  const fs::path snap = pull("test-org/sharded");
  EXPECT_EQ(slurp(snap / "model-00002-of-00002.safetensors"), "shard two");
  EXPECT_TRUE(fs::exists(snap / "model.safetensors.index.json"));
  EXPECT_FALSE(fs::exists(snap / "model-old.safetensors"));
  EXPECT_FALSE(fs::exists(snap / "pytorch_model.bin.index.json"));
}

// HF_TOKEN goes to the hub, never to the host an LFS redirect points at: signed CDN URLs
// must not receive the user's credentials (a redirect to another origin drops them).
TEST_F(HubPull, SendsTheTokenToTheHubButNotToTheCdn) {
  hub_.use_cdn();
  ASSERT_NE(hub_.lfs_origin(), hub_.endpoint());
  token_ = "secret";
  const fs::path snap = pull("test-org/tiny-clip");
  EXPECT_EQ(slurp(snap / "model.safetensors"), slurp(kClip / "model.safetensors"));
  int to_hub = 0, to_cdn = 0;
  for (const auto& r : hub_.requests()) {
    SCOPED_TRACE(r.origin + r.path);
    if (r.origin == hub_.endpoint()) {
      ++to_hub;
      EXPECT_EQ(r.authorization, "Bearer secret");
    } else {
      ++to_cdn;
      EXPECT_EQ(r.origin, hub_.lfs_origin());
      EXPECT_EQ(r.authorization, "");
    }
  }
  EXPECT_GT(to_hub, 0);
  EXPECT_GT(to_cdn, 0);  // the weights came through the redirect
}
