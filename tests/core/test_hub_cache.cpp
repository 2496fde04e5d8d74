// The hub's names and cache without a network: repo ids, which files a pull takes, and a
// cache laid out by hand the way huggingface_hub lays it out (argus must find, list and
// remove it).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "../common/error_of.h"
#include "../common/temp_dir.h"
#include "hub/cache.h"
#include "hub/settings.h"
#include "hub/file_selection.h"
#include "hub/repo_id.h"

using namespace argus;
using argus::test::error_of;
namespace fs = std::filesystem;

TEST(HubRepoId, ParsesNamesRevisionsAndRefusesTheRest) {
  auto r = hub::parse_repo_id("openai/clip-vit-base-patch32");
  EXPECT_EQ(r.id, "openai/clip-vit-base-patch32");
  EXPECT_EQ(r.revision, "main");
  EXPECT_EQ(r.folder(), "models--openai--clip-vit-base-patch32");
  EXPECT_EQ(hub::parse_repo_id("org/name@refs/pr/1").revision, "refs/pr/1");
  for (const char* bad : {"name", "/abs/path", "a/b/c", "org/", "../x", "org/na me", "org/--x", "org/x@", "org/x@../y",
                          "./models/clip"})
    EXPECT_FALSE(hub::try_parse_repo_id(bad)) << bad;
  EXPECT_EQ(error_of([] { hub::parse_repo_id("a/b/c"); }),
            "\"a/b/c\" is not a Hugging Face model id (expected org/name or org/name@revision)");
  EXPECT_TRUE(hub::is_commit_hash(std::string(40, 'a')));
  EXPECT_FALSE(hub::is_commit_hash("main"));
}

TEST(HubFiles, TakesWhatLoadingNeedsInTheBestWeightFormat) {
  const std::vector<std::string> repo = {
      ".gitattributes", "README.md",       "config.json",       "tokenizer.json",    "tokenizer.model",
      "merges.txt",     "chat_template.jinja", "model.safetensors", "pytorch_model.bin", "tf_model.h5",
      "flax_model.msgpack", "onnx/model.onnx", "training_args.bin", "pytorch_model.bin.index.json"};
  EXPECT_EQ(hub::select_files(repo, {}),
            (std::vector<std::string>{"config.json", "tokenizer.json", "tokenizer.model", "merges.txt",
                                      "chat_template.jinja", "model.safetensors"}));
  // Only .bin weights: those, and not the training state next to them.
  EXPECT_EQ(hub::select_files({"config.json", "pytorch_model.bin", "training_args.bin"}, {}),
            (std::vector<std::string>{"config.json", "pytorch_model.bin"}));
  // Meta's SAM .pth when that is all there is.
  EXPECT_EQ(hub::select_files({"sam_vit_b.pth", "notes.md"}, {}), std::vector<std::string>{"sam_vit_b.pth"});
  const std::vector<std::string> sharded = {"config.json", "model.safetensors.index.json", "model-1.safetensors",
                                            "model-2.safetensors", "stale.safetensors"};
  EXPECT_EQ(hub::shard_index(sharded), "model.safetensors.index.json");
  EXPECT_EQ(hub::select_files(sharded, {}, hub::parse_shard_index(
                                               R"({"weight_map": {"a": "model-1.safetensors", "b": "model-2.safetensors"}})",
                                               "index")),
            (std::vector<std::string>{"config.json", "model.safetensors.index.json", "model-1.safetensors",
                                      "model-2.safetensors"}));
  EXPECT_EQ(hub::shard_index(repo), "");  // the .bin index belongs to the format not taken
  EXPECT_EQ(hub::select_files(repo, {{"*.onnx"}, {}}), std::vector<std::string>{"onnx/model.onnx"});
  EXPECT_EQ(hub::select_files({"config.json", "model.safetensors"}, {{}, {"*.safetensors"}}),
            std::vector<std::string>{"config.json"});
  EXPECT_EQ(error_of([] { hub::parse_shard_index("{}", "x.index.json"); }), "x.index.json: no \"weight_map\" object");
}

TEST(HubCache, HonoursTheHuggingFaceEnvironment) {
  const char* keep[] = {"HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "HF_HOME", "XDG_CACHE_HOME", "HOME"};
  std::map<std::string, std::string> saved;
  for (const char* k : keep)
    if (const char* v = std::getenv(k)) saved[k] = v;
  for (const char* k : keep) ::unsetenv(k);
  ::setenv("HOME", "/home/u", 1);
  EXPECT_EQ(hub::cache_dir(), fs::path("/home/u/.cache/huggingface/hub"));
  ::setenv("XDG_CACHE_HOME", "/xdg", 1);
  EXPECT_EQ(hub::cache_dir(), fs::path("/xdg/huggingface/hub"));
  ::setenv("HF_HOME", "/hf", 1);
  EXPECT_EQ(hub::cache_dir(), fs::path("/hf/hub"));
  ::setenv("HF_HUB_CACHE", "/cache", 1);
  EXPECT_EQ(hub::cache_dir(), fs::path("/cache"));
  for (const char* k : keep) ::unsetenv(k);
  for (const auto& [k, v] : saved) ::setenv(k.c_str(), v.c_str(), 1);
}

// What `huggingface_hub.snapshot_download` leaves behind, written here file by file.
TEST(HubCache, FindsListsAndRemovesAHuggingFaceHubCache) {
  const fs::path root = test::fresh_temp_dir("hub_interop");
  const fs::path repo = root / "models--someone--tiny-model";
  const std::string commit = "0123456789abcdef0123456789abcdef01234567";
  const std::string config_blob = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";
  const std::string weights_blob = std::string(64, 'e');
  fs::create_directories(repo / "blobs");
  fs::create_directories(repo / "refs");
  fs::create_directories(repo / "snapshots" / commit / "sub");
  fs::create_directories(root / ".locks" / "models--someone--tiny-model");
  std::ofstream(repo / "blobs" / config_blob) << R"({"model_type": "siglip"})";
  std::ofstream(repo / "blobs" / weights_blob) << "0123456789";
  std::ofstream(repo / "refs" / "main") << commit;  // no newline, as huggingface_hub writes it
  fs::create_symlink("../../blobs/" + config_blob, repo / "snapshots" / commit / "config.json");
  fs::create_symlink("../../../blobs/" + weights_blob, repo / "snapshots" / commit / "sub" / "model.safetensors");

  auto snap = hub::find_cached(root, hub::parse_repo_id("someone/tiny-model"));
  ASSERT_TRUE(snap);
  EXPECT_EQ(*snap, repo / "snapshots" / commit);
  EXPECT_EQ(fs::file_size(*snap / "sub" / "model.safetensors"), 10u);
  EXPECT_EQ(hub::find_cached(root, hub::parse_repo_id("someone/tiny-model@" + commit)), snap);
  EXPECT_FALSE(hub::find_cached(root, hub::parse_repo_id("someone/tiny-model@v2")));
  EXPECT_FALSE(hub::find_cached(root, hub::parse_repo_id("someone/other")));

  auto models = hub::list_cached(root);
  ASSERT_EQ(models.size(), 1u);
  EXPECT_EQ(models[0].id, "someone/tiny-model");
  EXPECT_EQ(models[0].refs, (std::map<std::string, std::string>{{"main", commit}}));
  EXPECT_EQ(models[0].bytes, 24u + 10u);
  EXPECT_EQ(models[0].model_type, "siglip");

  EXPECT_TRUE(hub::remove_cached(root, hub::parse_repo_id("someone/tiny-model")));
  EXPECT_FALSE(fs::exists(repo));
  EXPECT_FALSE(fs::exists(root / ".locks" / "models--someone--tiny-model"));
  EXPECT_FALSE(hub::remove_cached(root, hub::parse_repo_id("someone/tiny-model")));
  EXPECT_TRUE(hub::list_cached(root).empty());
}
