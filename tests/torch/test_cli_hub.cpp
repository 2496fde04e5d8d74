// `argus pull`, `argus models` and `--model org/name` end to end, against the fake hub
// (tests/common/fake_hub.h) serving the clip fixture as test-org/tiny-clip.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

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

// `argus serve ARGS...` as a background process: waits for its "serving ... on
// http://HOST:PORT/" line and stops it (SIGTERM) when destroyed.
class ServeProcess {
 public:
  explicit ServeProcess(const std::vector<std::string>& args) {
    log_ = (fs::path(test::process_temp_dir("cli_serve")) / ("serve" + std::to_string(::getpid()) + "_" +
                                                            std::to_string(counter_++) + ".err")).string();
    pid_ = ::fork();
    if (pid_ == 0) {
      std::vector<std::string> argv = {ARGUS_BINARY, "--threads", "1", "serve"};
      argv.insert(argv.end(), args.begin(), args.end());
      std::vector<char*> p;
      for (auto& a : argv) p.push_back(a.data());
      p.push_back(nullptr);
      std::freopen(log_.c_str(), "w", stderr);
      std::freopen("/dev/null", "r", stdin);
      ::execv(ARGUS_BINARY, p.data());
      ::_exit(127);
    }
    const std::regex serving(R"(serving .* on http://[^:]+:(\d+)/)");
    for (int i = 0; i < 1200 && port_ == 0; ++i) {
      std::smatch m;
      const std::string text = log();
      if (std::regex_search(text, m, serving)) port_ = std::stoi(m[1]);
      else if (::waitpid(pid_, &status_, WNOHANG) == pid_) exited_ = true;
      if (exited_) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  ~ServeProcess() {
    if (!exited_) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, &status_, 0);
    }
  }
  int port() const { return port_; }  // 0: it never said it was serving (see log())
  std::string log() const {
    std::ifstream in(log_);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

 private:
  static inline int counter_ = 0;
  std::string log_;
  pid_t pid_ = -1;
  int port_ = 0, status_ = 0;
  bool exited_ = false;
};

// The served model's embedding of `text`, through POST /v1/embeddings.
std::vector<double> served_text_embedding(int port, const std::string& model, const std::string& text) {
  httplib::Client c("127.0.0.1", port);
  c.set_read_timeout(120);
  auto r = c.Post("/v1/embeddings", nlohmann::json{{"model", model}, {"input", {text}}}.dump(), "application/json");
  if (!r || r->status != 200) {
    ADD_FAILURE() << "embeddings: " << (r ? std::to_string(r->status) + " " + r->body : std::string("no answer"));
    return {};
  }
  return nlohmann::json::parse(r->body)["data"][0]["embedding"].get<std::vector<double>>();
}

}  // namespace

// serve --model NAME=org/name resolves the name as every --model does: pulled from the
// hub on first use, from the cache (even offline) after; and the model answers.
TEST_F(CliHub, ServeResolvesAModelNameThroughTheHubAndTheCache) {
  auto local = run_cli({"embed", "--model", test::fixture("clip"), "--text", "a dog", "--json"});
  ASSERT_EQ(local.rc, 0) << local.err;
  const auto expected = local.json()["text_embeds"][0].get<std::vector<double>>();
  {
    ServeProcess serve({"--model", "tiny=test-org/tiny-clip", "--port", "0"});
    ASSERT_GT(serve.port(), 0) << serve.log();
    EXPECT_TRUE(fs::is_symlink(snapshot() / "model.safetensors")) << serve.log();  // pulled into the cache
    const auto got = served_text_embedding(serve.port(), "tiny", "a dog");
    ASSERT_EQ(got.size(), expected.size());
    for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], expected[i], 1e-5) << i;
  }
  const int transfers = hub_.lfs_transfers;
  ::setenv("HF_HUB_OFFLINE", "1", 1);
  ServeProcess offline({"--model", "tiny=test-org/tiny-clip@main", "--port", "0"});
  ASSERT_GT(offline.port(), 0) << offline.log();
  EXPECT_EQ(served_text_embedding(offline.port(), "tiny", "a dog").size(), expected.size());
  EXPECT_EQ(hub_.lfs_transfers, transfers);  // nothing fetched again
}

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

