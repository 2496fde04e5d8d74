// The world dataset on disk: layout, byte-for-byte determinism (runs, threads,
// split sizes), agreement of the files with the scenes and with themselves, and
// the loader's errors on damaged files.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <regex>
#include <set>

#include "image/decode.h"
#include "util/mapped_file.h"
#include "world/generate.h"
#include "world/load.h"
#include "world/raster.h"
#include "world/vocabulary.h"
#include "../common/temp_dir.h"

using namespace argus;
using namespace argus::world;
namespace fs = std::filesystem;

namespace {

constexpr uint64_t kSeed = 11;

// One temporary directory per test process, removed at exit.
const std::string& root() {
  static const std::string r = argus::test::fresh_temp_dir("world_test");
  return r;
}

// Generates (once per process) a dataset named `name`.
const std::string& dataset(const std::string& name, int64_t n_train, uint64_t seed, int threads) {
  static std::map<std::string, std::string> made;
  auto it = made.find(name);
  if (it != made.end()) return it->second;
  GenerateOptions o;
  o.out_dir = root() + "/" + name;
  o.n_train = n_train;
  o.n_eval = 8;
  o.seed = seed;
  o.threads = threads;
  generate(o);
  return made[name] = o.out_dir;
}
const std::string& base() { return dataset("base", 24, kSeed, 1); }

std::string slurp(const std::string& path) { return read_file(path); }

std::vector<std::string> files_under(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) out.push_back(fs::relative(e.path(), dir).string());
  std::sort(out.begin(), out.end());
  return out;
}

nlohmann::json read_json(const std::string& path) { return nlohmann::json::parse(slurp(path)); }

int count_of(const std::vector<const AnnotationRecord*>& anns, const std::string& shape, const std::string& colour) {
  int n = 0;
  for (const auto* a : anns) n += (shape.empty() || a->shape == shape) && (colour.empty() || a->colour == colour);
  return n;
}

std::string singular(const std::string& noun) {
  if (noun == "crosses") return "cross";
  return noun.back() == 's' ? noun.substr(0, noun.size() - 1) : noun;
}

}  // namespace

TEST(WorldGenerate, WritesTheLayoutAndWorldJson) {
  const std::string dir = base();
  const auto world = read_json(dir + "/world.json");
  EXPECT_EQ(world["version"], 1);
  EXPECT_EQ(world["seed"], kSeed);
  EXPECT_EQ(world["splits"], nlohmann::json({{"train", 24}, {"heldout", 8}, {"openset", 8}}));
  EXPECT_EQ(world["shapes"][0], "circle");
  EXPECT_EQ(world["shapes"][7], "pentagon");
  EXPECT_EQ(world["colours"].size(), 8u);
  EXPECT_EQ(world["sizes"], nlohmann::json({"small", "medium", "large"}));
  EXPECT_EQ(world["textures"], nlohmann::json({"solid", "striped", "dotted"}));
  EXPECT_EQ(world["openset_pairs"][0], nlohmann::json({"circle", "orange"}));
  EXPECT_EQ(world["openset_pairs"][1], nlohmann::json({"square", "blue"}));
  // The vocabulary is exactly the sorted words of every text in every split.
  std::set<std::string> words;
  for (const char* split : {"train", "heldout", "openset"}) {
    const WorldSplit s = load_split(dir + "/" + split);
    EXPECT_EQ(int64_t(s.images.size()), world["splits"][split].get<int64_t>());
    for (const auto& im : s.images) EXPECT_TRUE(fs::exists(s.image_path(im))) << s.image_path(im);
    for (const auto& c : s.captions) add_words(c.caption, words);
    for (const auto& r : s.refs) add_words(r.sentence, words);
    for (const auto& q : s.vqa) add_words(q.question, words), add_words(q.answer, words);
    for (const auto& q : s.pope) add_words(q.question, words), add_words(q.answer, words);
    for (const auto& x : s.instruct)
      for (const auto& t : x.conversations) add_words(t.value, words);
  }
  const auto vocab = world["vocabulary"].get<std::vector<std::string>>();
  EXPECT_TRUE(std::is_sorted(vocab.begin(), vocab.end()));
  EXPECT_EQ(std::set<std::string>(vocab.begin(), vocab.end()), words);
  EXPECT_EQ(std::set<std::string>(vocab.begin(), vocab.end()).size(), vocab.size());
  EXPECT_TRUE(words.count("?") && words.count("circle") && words.count("3"));
  EXPECT_FALSE(words.count("<image>"));
  // No temporary files are left behind.
  for (const auto& f : files_under(dir)) EXPECT_EQ(f.find(".tmp"), std::string::npos) << f;
}

TEST(WorldGenerate, SameBytesForAnyThreadCountDifferentForAnotherSeed) {
  const std::string a = base(), b = dataset("threads3", 24, kSeed, 3), c = dataset("seed12", 24, kSeed + 1, 1);
  const auto files = files_under(a);
  ASSERT_EQ(files, files_under(b));
  EXPECT_EQ(files.size(), 3u * 6 + 1 + 24 + 8 + 8);
  for (const auto& f : files) EXPECT_EQ(slurp(a + "/" + f), slurp(b + "/" + f)) << f;
  EXPECT_NE(slurp(a + "/train/images/000000.png"), slurp(c + "/train/images/000000.png"));
  EXPECT_NE(slurp(a + "/train/instances.json"), slurp(c + "/train/instances.json"));
}

TEST(WorldGenerate, ImageKDoesNotDependOnTheSplitSize) {
  const std::string a = base(), d = dataset("n30", 30, kSeed, 2);
  for (int k = 0; k < 24; ++k) {
    const std::string png = "/train/" + image_file_name(k);
    ASSERT_EQ(slurp(a + png), slurp(d + png)) << png;
  }
  const WorldSplit sa = load_split(a + "/train"), sd = load_split(d + "/train");
  ASSERT_EQ(sd.images.size(), 30u);
  for (int k = 0; k < 24; ++k) {
    const auto aa = sa.annotations_of(k), ad = sd.annotations_of(k);
    ASSERT_EQ(aa.size(), ad.size());
    for (size_t i = 0; i < aa.size(); ++i) {
      EXPECT_EQ(aa[i]->segmentation.counts, ad[i]->segmentation.counts);
      EXPECT_EQ(aa[i]->bbox, ad[i]->bbox);
    }
  }
  auto captions_of = [](const WorldSplit& s, int64_t id) {
    std::vector<std::string> out;
    for (const auto& c : s.captions)
      if (c.image_id == id) out.push_back(c.caption);
    return out;
  };
  for (int k = 0; k < 24; ++k) EXPECT_EQ(captions_of(sa, k), captions_of(sd, k));
  // heldout and openset have the same size in both: identical files.
  EXPECT_EQ(slurp(a + "/openset/vqa.json"), slurp(d + "/openset/vqa.json"));
}

TEST(WorldGenerate, FilesAgreeWithScenesAndPixels) {
  for (const char* split : {"train", "heldout", "openset"}) {
    const WorldSplit s = load_split(base() + "/" + split);
    for (const auto& im : s.images) {
      const Scene scene = make_scene(kSeed, split, im.id);
      const image::Image png = image::load_image(s.image_path(im));
      ASSERT_EQ(png.width, im.width);
      ASSERT_EQ(png.height, im.height);
      EXPECT_EQ(png.pixels, render(scene).pixels) << split << " " << im.id;
      const auto masks = visible_masks(scene);
      const auto anns = s.annotations_of(im.id);
      ASSERT_EQ(anns.size(), scene.objects.size());
      bool has_openset_pair = false;
      for (size_t i = 0; i < anns.size(); ++i) {
        const AnnotationRecord& a = *anns[i];
        const image::GrayImage m = decode_mask(a);
        EXPECT_EQ(m.pixels, masks[i].pixels);
        // bbox and area from the decoded mask.
        int x0 = im.width, y0 = im.height, x1 = -1, y1 = -1, area = 0;
        for (int y = 0; y < m.height; ++y)
          for (int x = 0; x < m.width; ++x)
            if (m.pixels[size_t(y) * m.width + x]) {
              ++area;
              x0 = std::min(x0, x), x1 = std::max(x1, x), y0 = std::min(y0, y), y1 = std::max(y1, y);
            }
        EXPECT_EQ(a.area, area);
        EXPECT_EQ(a.bbox, (std::array<double, 4>{double(x0), double(y0), double(x1 - x0 + 1), double(y1 - y0 + 1)}));
        EXPECT_GE(a.visible_fraction, 0.6);
        has_openset_pair |= is_openset_pair(*parse_shape(a.shape), *parse_colour(a.colour));
      }
      EXPECT_EQ(has_openset_pair, std::string(split) == "openset") << split << " " << im.id;
    }
  }
}

TEST(WorldGenerate, QuestionsAgreeWithTheAnnotationsOnDisk) {
  const std::regex count_q("^how many (?:([a-z]+) )?([a-z]+) are there\\?$");
  const std::regex sum_q("^how many ([a-z]+) and ([a-z]+) are there in total\\?$");
  const std::regex exist_q("^(?:is there|does the image contain) an? (?:([a-z]+) )?([a-z]+)(?: in the image)?\\?$");
  int counts = 0;
  for (const char* split : {"train", "heldout", "openset"}) {
    const WorldSplit s = load_split(base() + "/" + split);
    for (const auto& q : s.vqa) {
      const auto anns = s.annotations_of(q.image_id);
      std::smatch m;
      if (q.type == "count") {
        ASSERT_TRUE(std::regex_match(q.question, m, count_q)) << q.question;
        const std::string noun = singular(m[2]);
        EXPECT_EQ(q.answer, std::to_string(count_of(anns, noun == "shape" ? "" : noun, m[1]))) << q.question;
        ++counts;
      } else if (q.type == "arithmetic") {
        ASSERT_TRUE(std::regex_match(q.question, m, sum_q)) << q.question;
        EXPECT_EQ(q.answer, std::to_string(count_of(anns, singular(m[1]), "") + count_of(anns, singular(m[2]), "")));
        ++counts;
      } else if (q.type == "existence") {
        ASSERT_TRUE(std::regex_match(q.question, m, exist_q)) << q.question;
        EXPECT_EQ(q.answer, count_of(anns, m[2], m[1]) ? "yes" : "no") << q.question;
      }
    }
    // POPE: balanced per image and type, answers from the annotations.
    std::map<std::pair<int64_t, std::string>, int> balance;
    for (const auto& q : s.pope) {
      std::smatch m;
      ASSERT_TRUE(std::regex_match(q.question, m, exist_q)) << q.question;
      EXPECT_EQ(q.answer, count_of(s.annotations_of(q.image_id), m[2], m[1]) ? "yes" : "no") << q.question;
      balance[{q.image_id, q.type}] += q.answer == "yes" ? 1 : -1;
    }
    EXPECT_EQ(balance.size(), 3 * s.images.size());
    for (const auto& [key, b] : balance) EXPECT_EQ(b, 0) << key.first << " " << key.second;
    // LLaVA: 3 samples per image, one "<image>" each, at the start.
    EXPECT_EQ(s.instruct.size(), 3 * s.images.size());
    for (const auto& x : s.instruct) {
      std::string all;
      for (const auto& t : x.conversations) all += t.value + "\n";
      EXPECT_EQ(all.find("<image>"), 0u);
      EXPECT_EQ(all.find("<image>", 1), std::string::npos);
    }
    // Referring expressions point at an annotation of their image.
    for (const auto& r : s.refs) {
      bool found = false;
      for (const auto* a : s.annotations_of(r.image_id)) found |= a->id == r.ann_id;
      EXPECT_TRUE(found);
    }
  }
  EXPECT_GT(counts, 40);
}

TEST(WorldGenerate, ProgressAndErrors) {
  GenerateOptions o;
  o.out_dir = root() + "/progress";
  o.n_train = 3;
  o.n_eval = 2;
  o.threads = 2;
  std::map<std::string, int64_t> last;
  int calls = 0;
  o.progress = [&](const std::string& split, int64_t done, int64_t total) {
    ++calls;
    EXPECT_LE(done, total);
    last[split] = done;
  };
  const GenerateResult r = generate(o);
  EXPECT_EQ(calls, 7);
  EXPECT_EQ(last, (std::map<std::string, int64_t>{{"train", 3}, {"heldout", 2}, {"openset", 2}}));
  EXPECT_EQ(r.images.at("train"), 3);
  EXPECT_GT(r.vocabulary_size, 30u);

  // An output path under a regular file cannot be created: the error names it.
  std::ofstream(root() + "/plainfile") << "x";
  o.out_dir = root() + "/plainfile/out";
  o.progress = nullptr;
  try {
    generate(o);
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(o.out_dir), std::string::npos) << e.what();
  }
  // Default eval size.
  GenerateOptions d;
  d.out_dir = root() + "/defaults";
  d.n_train = 0;
  EXPECT_EQ(generate(d).images.at("openset"), 50);
}

// ------------------------------------------------------------------ loader errors

namespace {

// A fresh copy of the base train split, damaged by `edit` on one JSON file.
std::string damaged(const std::string& name, const std::string& file,
                    const std::function<void(nlohmann::json&)>& edit) {
  const std::string dir = root() + "/damaged_" + name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  for (const char* f : {"instances.json", "captions.json", "refs.json", "vqa.json", "pope.json", "llava_instruct.json"})
    fs::copy_file(base() + "/train/" + f, dir + "/" + f);
  if (edit) {
    nlohmann::json j = read_json(dir + "/" + file);
    edit(j);
    std::ofstream(dir + "/" + file) << j.dump();
  }
  return dir;
}

void expect_load_error(const std::string& dir, const std::vector<std::string>& parts) {
  try {
    load_split(dir);
    ADD_FAILURE() << "expected an error for " << dir;
  } catch (const std::runtime_error& e) {
    for (const auto& p : parts) EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << "missing '" << p << "' in: " << e.what();
  }
}

}  // namespace

TEST(WorldLoad, IntactSplitLoads) {
  const WorldSplit s = load_split(damaged("none", "", nullptr));
  EXPECT_EQ(s.images.size(), 24u);
  EXPECT_FALSE(s.annotations.empty());
  EXPECT_FALSE(s.refs.empty());
}

TEST(WorldLoad, MissingAndCorruptFiles) {
  std::string dir = damaged("missing", "", nullptr);
  fs::remove(dir + "/vqa.json");
  expect_load_error(dir, {"vqa.json"});
  dir = damaged("truncated", "", nullptr);
  const std::string text = slurp(dir + "/instances.json");
  std::ofstream(dir + "/instances.json") << text.substr(0, text.size() / 2);
  expect_load_error(dir, {"instances.json", "malformed"});
  expect_load_error(damaged("notarray", "refs.json", [](auto& j) { j = {{"a", 1}}; }), {"refs.json", "array"});
}

TEST(WorldLoad, MissingFieldsAndWrongTypes) {
  expect_load_error(damaged("nobbox", "instances.json", [](auto& j) { j["annotations"][2].erase("bbox"); }),
                    {"instances.json", "annotations[2]", "bbox", "missing"});
  expect_load_error(damaged("width", "instances.json", [](auto& j) { j["images"][0]["width"] = "wide"; }),
                    {"instances.json", "images[0]", "width", "integer"});
  expect_load_error(damaged("colour", "instances.json", [](auto& j) { j["annotations"][1]["colour"] = "teal"; }),
                    {"annotations[1]", "teal"});
  expect_load_error(damaged("caption", "captions.json", [](auto& j) { j["annotations"][3]["caption"] = 7; }),
                    {"captions.json", "annotations[3]", "caption"});
  expect_load_error(damaged("pope", "pope.json", [](auto& j) { j[0]["pope_type"] = "sneaky"; }), {"pope.json", "[0]", "sneaky"});
  expect_load_error(damaged("ref", "refs.json", [](auto& j) { j[1]["ann_id"] = 999999; }), {"refs.json", "[1]", "999999"});
}

TEST(WorldLoad, BoxesAndMasksMustFitTheImage) {
  expect_load_error(damaged("bbox", "instances.json",
                            [](auto& j) {
                              auto& a = j["annotations"][0];
                              a["bbox"][0] = j["images"][0]["width"].template get<int>();
                            }),
                    {"instances.json", "annotations[0]", "bbox", "outside"});
  expect_load_error(damaged("rlesize", "instances.json",
                            [](auto& j) {
                              auto& size = j["annotations"][0]["segmentation"]["size"];
                              size[0] = size[0].template get<int>() + 1;
                            }),
                    {"instances.json", "annotations[0]", "segmentation"});
  expect_load_error(damaged("rlecounts", "instances.json", [](auto& j) { j["annotations"][4]["segmentation"]["counts"] = "0"; }),
                    {"instances.json", "annotations[4]", "RLE"});
  expect_load_error(damaged("area", "instances.json", [](auto& j) { j["annotations"][4]["area"] = 3; }),
                    {"annotations[4]", "area"});
}

TEST(WorldLoad, InstructionSamplesNeedExactlyOneImageToken) {
  expect_load_error(damaged("twoimages", "llava_instruct.json",
                            [](auto& j) { j[4]["conversations"][1]["value"] = "<image> again"; }),
                    {"llava_instruct.json", "[4]", "000001_detail", "2 \"<image>\""});
  expect_load_error(damaged("noimage", "llava_instruct.json",
                            [](auto& j) { j[0]["conversations"][0]["value"] = "describe the image."; }),
                    {"llava_instruct.json", "[0]", "0 \"<image>\""});
  expect_load_error(damaged("late", "llava_instruct.json",
                            [](auto& j) {
                              auto& c = j[2]["conversations"];
                              c[0]["value"] = "hello";
                              c[1]["value"] = "<image>\nhi";
                            }),
                    {"llava_instruct.json", "[2]", "first human turn"});
  expect_load_error(damaged("from", "llava_instruct.json", [](auto& j) { j[5]["conversations"][1]["from"] = "human"; }),
                    {"llava_instruct.json", "[5]", "from"});
}
