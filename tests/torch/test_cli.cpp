// End-to-end tests of the argus CLI on the fixtures, run as a user would.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "cli_runner.h"
#include "parity.h"
#include "util/mapped_file.h"
#include "../common/temp_dir.h"

using namespace argus;
using argus::test::run_cli;
namespace fs = std::filesystem;

namespace {

std::string img(const std::string& name) { return test::asset("images/" + name); }

fs::path fresh_dir(const std::string& name) {
  return argus::test::fresh_temp_dir("cli_" + name);
}

at::Tensor to_tensor(const nlohmann::json& rows) {
  std::vector<at::Tensor> out;
  for (const auto& r : rows) out.push_back(at::tensor(r.get<std::vector<float>>()));
  return at::stack(out);
}

}  // namespace

TEST(Cli, InspectReportsFamilyParametersAndDtypes) {
  auto r = run_cli({"inspect", "--model", test::fixture("clip"), "--json"});
  ASSERT_EQ(r.rc, 0) << r.err;
  auto j = r.json();
  EXPECT_EQ(j["family"], "CLIP");
  EXPECT_EQ(j["model_type"], "clip");
  EXPECT_EQ(j["dtypes"]["F16"], j["parameters"]);
  EXPECT_EQ(j["config"]["vision_config.patch_size"], 32);
}

TEST(Cli, TokenizeMatchesReferenceIds) {
  auto r = run_cli({"tokenize", "--model", test::fixture("clip"), "--json", "a photo of a cat"});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.json()["ids"], nlohmann::json({49406, 320, 1125, 539, 320, 2368, 49407}));
  EXPECT_EQ(r.json()["tokens"][1], "a</w>");
}

TEST(Cli, EmbedTextMatchesTransformersAndImagesAreClose) {
  auto ref = test::reference("clip");
  auto r = run_cli({"embed", "--model", test::fixture("clip"), "--image", img("dog.jpg"), "--image", img("truck.jpg"),
                    "--text", "a photo of a dog", "--text", "a photo of a truck", "--json"});
  ASSERT_EQ(r.rc, 0) << r.err;
  auto j = r.json();
  EXPECT_CLOSE(to_tensor(j["text_embeds"]), ref["text_embeds"].slice(0, 0, 2), 1e-4);
  // Images go through argus' own decoding and resampling: a few pixels may sit one
  // uint8 step off the reference (parity-notes), so embeddings agree to ~1e-3.
  EXPECT_CLOSE(to_tensor(j["image_embeds"]), ref["image_embeds"].slice(0, 0, 2), 5e-3);
}

TEST(Cli, ClassifyGivesLogitsPerImageAndSoftmaxProbs) {
  auto ref = test::reference("clip");
  auto r = run_cli({"classify", "--model", test::fixture("clip"), "--image", img("dog.jpg"), "--label", "dog",
                    "--label", "truck", "--template", "a photo of a {}", "--json"});
  ASSERT_EQ(r.rc, 0) << r.err;
  auto j = r.json();
  EXPECT_EQ(j["labels"], nlohmann::json({"dog", "truck"}));
  auto logits = at::tensor(j["logits"].get<std::vector<double>>());
  EXPECT_CLOSE(logits, ref["logits_per_image"][0].slice(0, 0, 2), 5e-2);
  auto probs = at::tensor(j["probs"].get<std::vector<double>>());
  EXPECT_CLOSE(probs, at::softmax(logits, 0), 1e-6);
}

TEST(Cli, IndexBuildIsIncrementalAndSearchFindsTheImage) {
  auto dir = fresh_dir("index");
  fs::create_directories(dir / "imgs" / "sub");
  for (auto name : {"dog.jpg", "truck.jpg"}) fs::copy_file(img(name), dir / "imgs" / name);
  fs::copy_file(img("groceries.jpg"), dir / "imgs" / "sub" / "groceries.jpg");
  std::ofstream(dir / "imgs" / "broken.jpg") << "\xff\xd8\xff\xe0 not really a jpeg";
  std::string db = (dir / "index.db").string();
  auto b1 = run_cli({"index", "build", "--model", test::fixture("clip"), "--images", (dir / "imgs").string(), "--db", db});
  ASSERT_EQ(b1.rc, 0) << b1.err;
  EXPECT_NE(b1.out.find("3 added"), std::string::npos) << b1.out;
  EXPECT_NE(b1.out.find("1 unreadable"), std::string::npos) << b1.out;
  EXPECT_NE(b1.err.find("broken.jpg"), std::string::npos) << b1.err;

  auto b2 = run_cli({"index", "build", "--model", test::fixture("clip"), "--images", (dir / "imgs").string(), "--db", db});
  ASSERT_EQ(b2.rc, 0) << b2.err;
  EXPECT_NE(b2.out.find("0 added, 0 updated, 3 unchanged"), std::string::npos) << b2.out;

  fs::remove(dir / "imgs" / "truck.jpg");
  auto b3 = run_cli({"index", "build", "--model", test::fixture("clip"), "--images", (dir / "imgs").string(), "--db", db});
  EXPECT_NE(b3.out.find("1 removed"), std::string::npos) << b3.out;

  auto s = run_cli({"search", "--db", db, "--image", img("groceries.jpg"), "-k", "5", "--json"});
  ASSERT_EQ(s.rc, 0) << s.err;
  auto hits = s.json()["results"];
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_NE(hits[0]["path"].get<std::string>().find("groceries.jpg"), std::string::npos);
  EXPECT_NEAR(hits[0]["score"].get<double>(), 1.0, 1e-4);
  EXPECT_GE(hits[0]["score"].get<double>(), hits[1]["score"].get<double>());

  auto t = run_cli({"search", "--db", db, "--text", "a photo of a dog", "-k", "1", "--json"});
  ASSERT_EQ(t.rc, 0) << t.err;
  EXPECT_EQ(t.json()["results"].size(), 1u);
}

// A config.json whose sizes the tensors do not bear out is refused before any module is
// built (main allocated 100000 x 100000 text layers first, or died in bad_alloc).
TEST(CliBadInput, AbsurdConfigSizesAreRefusedBeforeAllocating) {
  auto dir = fresh_dir("absurd_config");
  fs::create_symlink(fs::path(test::fixture("clip")) / "model.safetensors", dir / "model.safetensors");
  for (const char* f : {"tokenizer.json", "tokenizer_config.json", "vocab.json", "merges.txt", "preprocessor_config.json"})
    if (fs::exists(fs::path(test::fixture("clip")) / f)) fs::create_symlink(fs::path(test::fixture("clip")) / f, dir / f);
  auto cfg = nlohmann::json::parse(read_file(test::fixture("clip") + "/config.json"));
  cfg["text_config"]["hidden_size"] = 100000;
  std::ofstream(dir / "config.json") << cfg.dump();
  auto r = run_cli({"embed", "--model", dir.string(), "--text", "a dog"});
  EXPECT_CLEAN_ERROR(r, "text_config.hidden_size is 100000");
}

TEST(CliBadInput, UnknownModelTypeIsOneClearLine) {
  // A model_type no family claims (the fixture's weights, its config's type changed).
  const fs::path dir = test::process_temp_dir("cli_unknown_type");
  fs::create_directories(dir);
  if (!fs::exists(dir / "model.safetensors"))
    fs::create_symlink(fs::path(test::fixture("clip")) / "model.safetensors", dir / "model.safetensors");
  auto cfg = nlohmann::json::parse(read_file(test::fixture("clip") + "/config.json"));
  cfg["model_type"] = "no-such-model";
  std::ofstream(dir / "config.json") << cfg.dump();
  auto r = run_cli({"classify", "--model", dir.string(), "--image", img("dog.jpg"), "--label", "x"});
  EXPECT_CLEAN_ERROR(r, "unknown model_type \"no-such-model\"");
  // A known family asked for a task it does not do says which kind of model it is not.
  auto detr = run_cli({"classify", "--model", test::fixture("detr"), "--image", img("dog.jpg"), "--label", "x"});
  EXPECT_CLEAN_ERROR(detr, "model_type \"detr\" is not an image-text embedding model");
}

TEST(CliBadInput, EmptyLabelListIsRefused) {
  auto r = run_cli({"classify", "--model", test::fixture("clip"), "--image", img("dog.jpg")});
  EXPECT_CLEAN_ERROR(r, "--label");
}

TEST(CliBadInput, NonUtf8TextIsRefused) {
  auto r = run_cli({"embed", "--model", test::fixture("clip"), "--text", "caf\xe9"});
  EXPECT_CLEAN_ERROR(r, "UTF-8");
}

TEST(CliBadInput, MissingTokenizerFilesAreNamed) {
  auto r = run_cli({"embed", "--model", test::fixture("siglip"), "--text", "a dog"});
  EXPECT_CLEAN_ERROR(r, "tokenizer");
}

TEST(CliBadInput, TruncatedImageIsOneClearLine) {
  auto dir = fresh_dir("trunc");
  std::ifstream in(img("dog.jpg"), std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  std::ofstream(dir / "half.jpg", std::ios::binary) << bytes.substr(0, bytes.size() / 3);
  auto r = run_cli({"embed", "--model", test::fixture("clip"), "--image", (dir / "half.jpg").string(), "--json"});
  EXPECT_CLEAN_ERROR(r, "half.jpg");
}

TEST(CliBadInput, CorruptCheckpointIsOneClearLine) {
  auto dir = fresh_dir("corrupt_ck");
  fs::copy_file(test::fixture("clip/config.json"), dir / "config.json");
  std::ofstream(dir / "model.safetensors", std::ios::binary) << std::string("\xff\xff\xff\xff\0\0\0\0{}", 10);
  auto r = run_cli({"inspect", "--model", dir.string()});
  EXPECT_CLEAN_ERROR(r, "header length");
}

TEST(CliBadInput, ThreadCountsOutOfRangeAreRefusedByName) {
  const std::vector<std::string> inspect = {"inspect", "--model", test::fixture("clip")};
  auto with_threads = [&](const std::string& n) { return test::run_cli_input(inspect, nullptr, {"--threads", n}); };
  auto with_env = [&](const std::string& v) { return test::run_cli_input(inspect, nullptr, {}, {"ARGUS_THREADS=" + v}); };
  const auto negative = with_threads("-1");
  EXPECT_CLEAN_ERROR(negative, "--threads must be a positive thread count");
  // 100000 would otherwise keep creating threads until the process dies.
  const auto huge = with_threads("100000");
  EXPECT_CLEAN_ERROR(huge, "--threads 100000 is more than 4 × the");
  EXPECT_EQ(with_threads("2").rc, 0);
  EXPECT_EQ(with_threads("0").rc, 0);  // one per core
  const auto words = with_env("lots");
  EXPECT_CLEAN_ERROR(words, "ARGUS_THREADS=\"lots\" is not a whole number");
  const auto env_negative = with_env("-3");
  EXPECT_CLEAN_ERROR(env_negative, "ARGUS_THREADS must be a positive thread count");
  EXPECT_EQ(with_env("1").rc, 0);
}

TEST(CliBadInput, EndlessOrBlockingInputsEndWithAClearError) {
  // Each of these used to read without bound or block forever.
  const auto zero_messages = run_cli({"template", "--model", test::fixture("llava"), "--messages", "/dev/zero"});
  EXPECT_CLEAN_ERROR(zero_messages, "/dev/zero is a pipe, socket or device");
  const std::string fifo = test::process_temp_dir("cli_fifo") + "/image.fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  const auto fifo_image = run_cli({"classify", "--model", test::fixture("clip"), "--image", fifo, "--label", "a"});
  EXPECT_CLEAN_ERROR(fifo_image, "is a pipe, socket or device");
  // stdin with no newline ever (as from /dev/zero), two megabytes of it.
  const std::string err = test::process_temp_dir("cli_fifo") + "/zero.err";
  const std::string cmd = "head -c 2000000 /dev/zero | " + test::shell_quote(ARGUS_BINARY) + " --threads 1 chat --model " +
                          test::shell_quote(test::fixture("llava")) + " >/dev/null 2>" + err;
  const int status = std::system(cmd.c_str());
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 1);
  EXPECT_NE(read_file(err).find("argus: error: a line of input is longer than 1048576 bytes"), std::string::npos)
      << read_file(err);
}
