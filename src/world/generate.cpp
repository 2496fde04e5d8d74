#include "world/generate.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "image/encode_png.h"
#include "image/mask_rle.h"
#include "util/error.h"
#include "world/captions.h"
#include "world/files.h"
#include "world/raster.h"
#include "world/vocabulary.h"

namespace argus::world {

namespace {

using nlohmann::json;

// Runs f(i) for i in [0, n) on `threads` workers; the first exception is rethrown
// after every worker has stopped.
template <typename F>
void parallel_for(int64_t n, int threads, F f) {
  if (threads <= 1 || n <= 1) {
    for (int64_t i = 0; i < n; ++i) f(i);
    return;
  }
  std::atomic<int64_t> next{0};
  std::atomic<bool> failed{false};
  std::exception_ptr error;
  std::mutex error_mutex;
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&] {
      while (!failed) {
        const int64_t i = next++;
        if (i >= n) break;
        try {
          f(i);
        } catch (...) {
          std::lock_guard<std::mutex> lock(error_mutex);
          if (!error) error = std::current_exception();
          failed = true;
        }
      }
    });
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);
}

std::string path_join(const std::string& a, const std::string& b) {
  return a.empty() || a.back() == '/' ? a + b : a + "/" + b;
}

// Everything one image contributes to its split's files.
struct ImageOutput {
  json image, annotations, captions, refs, vqa, pope, instruct;
  std::set<std::string> words;
};

ImageOutput build_image(const Scene& s, const PairCounts& popularity) {
  ImageOutput out;
  out.image = coco_image(s);
  out.annotations = coco_annotations(s);
  const SceneText text = make_text(s, popularity);
  const std::string file = image_file_name(s.index);
  out.captions = json::array();
  for (size_t k = 0; k < text.captions.size(); ++k) {
    out.captions.push_back({{"id", s.index * 10 + int64_t(k)}, {"image_id", s.index}, {"caption", text.captions[k]}});
    add_words(text.captions[k], out.words);
  }
  out.refs = json::array();
  for (size_t k = 0; k < text.refs.size(); ++k) {
    const auto& r = text.refs[k];
    out.refs.push_back({{"ref_id", s.index * 10 + int64_t(k)},
                        {"image_id", s.index},
                        {"ann_id", annotation_id(s.index, r.object)},
                        {"sentence", r.sentence}});
    add_words(r.sentence, out.words);
  }
  // VQA and POPE entries differ only in the name of their type field.
  auto questions = [&](const auto& items, const char* type_key, auto type_of) {
    json list = json::array();
    for (size_t k = 0; k < items.size(); ++k) {
      const auto& q = items[k];
      list.push_back({{"question_id", s.index * 100 + int64_t(k)},
                      {"image_id", s.index},
                      {"image", file},
                      {"question", q.question},
                      {"answer", q.answer},
                      {type_key, type_of(q)}});
      add_words(q.question, out.words);
      add_words(q.answer, out.words);
    }
    return list;
  };
  out.vqa = questions(text.vqa, "type", [](const VqaItem& q) { return q.type; });
  out.pope = questions(text.pope, "pope_type", [](const PopeItem& q) { return q.pope_type; });
  out.instruct = json::array();
  for (const auto& sample : text.instruct) {
    json turns = json::array();
    for (const auto& t : sample.conversations) {
      turns.push_back({{"from", t.from}, {"value", t.value}});
      add_words(t.value, out.words);
    }
    out.instruct.push_back({{"id", fmt::format("{:06d}_{}", s.index, sample.type)},
                            {"image", file},
                            {"type", sample.type},
                            {"conversations", std::move(turns)}});
  }
  return out;
}

void write_json(const std::string& path, const json& j) { write_file_atomic(path, j.dump() + "\n"); }

}  // namespace

int64_t annotation_id(int64_t image_index, int object) { return image_index * 10 + object + 1; }

std::string image_file_name(int64_t image_index) { return fmt::format("images/{:06d}.png", image_index); }

SceneText make_text(const Scene& scene, const PairCounts& popularity) {
  SceneText t;
  t.captions = make_captions(scene);
  t.refs = referring_expressions(scene);
  t.vqa = make_vqa(scene);
  t.pope = make_pope(scene, popularity);
  t.instruct = make_instruct(scene);
  return t;
}

json coco_image(const Scene& s) {
  return {{"id", s.index},
          {"file_name", image_file_name(s.index)},
          {"width", s.width},
          {"height", s.height},
          {"background", s.background.name()}};
}

json coco_annotations(const Scene& s) {
  json anns = json::array();
  const auto masks = visible_masks(s);
  for (size_t k = 0; k < s.objects.size(); ++k) {
    const Object& o = s.objects[k];
    const auto rle = image::rle_encode(masks[k].pixels.data(), s.height, s.width);
    anns.push_back({{"id", annotation_id(s.index, int(k))},
                    {"image_id", s.index},
                    {"category_id", category_id(o.shape)},
                    {"shape", name(o.shape)},
                    {"bbox", {o.bbox[0], o.bbox[1], o.bbox[2], o.bbox[3]}},
                    {"area", o.visible_area},
                    {"segmentation", {{"size", {s.height, s.width}}, {"counts", rle.counts}}},
                    {"iscrowd", 0},
                    {"colour", name(o.colour)},
                    {"size", name(o.size)},
                    {"texture", name(o.texture)},
                    {"visible_fraction", o.visible_fraction()},
                    {"center", {o.cx, o.cy}},
                    {"radius", o.radius}});
  }
  return anns;
}

GenerateResult generate(const GenerateOptions& opt) {
  if (opt.out_dir.empty()) fail("world generate: no output directory given");
  if (opt.n_train < 0) fail("world generate: n_train is {}, expected >= 0", opt.n_train);
  const int64_t n_eval = opt.n_eval >= 0 ? opt.n_eval : std::max<int64_t>(50, opt.n_train / 10);
  const int threads = opt.threads > 0 ? opt.threads : std::max(1, int(std::thread::hardware_concurrency()));
  make_directories(opt.out_dir);

  GenerateResult result;
  std::set<std::string> vocabulary;
  std::mutex progress_mutex;
  for (const std::string& split : split_names()) {
    const int64_t n = split == "train" ? opt.n_train : n_eval;
    const std::string dir = path_join(opt.out_dir, split);
    make_directories(path_join(dir, "images"));

    // Scenes first: POPE's popular negatives need the split's pair frequencies.
    std::vector<Scene> scenes(static_cast<size_t>(n));
    parallel_for(n, threads, [&](int64_t i) { scenes[size_t(i)] = make_scene(opt.seed, split, i); });
    const PairCounts popularity = count_pairs(scenes);

    std::vector<ImageOutput> outputs(static_cast<size_t>(n));
    int64_t done = 0;
    parallel_for(n, threads, [&](int64_t i) {
      const Scene& s = scenes[size_t(i)];
      write_file_atomic(path_join(dir, image_file_name(i)), image::encode_png(render(s)));
      outputs[size_t(i)] = build_image(s, popularity);
      if (opt.progress) {
        std::lock_guard<std::mutex> lock(progress_mutex);
        opt.progress(split, ++done, n);
      }
    });

    json images = json::array(), anns = json::array(), caps = json::array(), refs = json::array(),
         vqa = json::array(), pope = json::array(), instruct = json::array();
    auto append = [](json& to, json& from) {
      for (auto& x : from) to.push_back(std::move(x));
    };
    for (auto& o : outputs) {
      images.push_back(std::move(o.image));
      append(anns, o.annotations);
      append(caps, o.captions);
      append(refs, o.refs);
      append(vqa, o.vqa);
      append(pope, o.pope);
      append(instruct, o.instruct);
      vocabulary.insert(o.words.begin(), o.words.end());
      result.objects += int64_t(o.annotations.size());
    }
    json categories = json::array();
    for (int k = 0; k < kNumShapes; ++k) categories.push_back({{"id", k + 1}, {"name", name(Shape(k))}});
    write_json(path_join(dir, "instances.json"),
               {{"images", images}, {"annotations", std::move(anns)}, {"categories", std::move(categories)}});
    write_json(path_join(dir, "captions.json"), {{"images", std::move(images)}, {"annotations", std::move(caps)}});
    write_json(path_join(dir, "refs.json"), refs);
    write_json(path_join(dir, "vqa.json"), vqa);
    write_json(path_join(dir, "pope.json"), pope);
    write_json(path_join(dir, "llava_instruct.json"), instruct);
    result.images[split] = n;
  }

  // world.json last: its presence marks a complete dataset.
  json names[4] = {json::array(), json::array(), json::array(), json::array()};
  for (int k = 0; k < kNumShapes; ++k) names[0].push_back(name(Shape(k)));
  for (int k = 0; k < kNumColours; ++k) names[1].push_back(name(Colour(k)));
  for (int k = 0; k < kNumSizes; ++k) names[2].push_back(name(Size(k)));
  for (int k = 0; k < kNumTextures; ++k) names[3].push_back(name(Texture(k)));
  json pairs = json::array();
  for (int k = 0; k < kNumShapes; ++k) pairs.push_back({name(Shape(k)), name(openset_colour(Shape(k)))});
  json world = {{"version", 1},
                {"seed", opt.seed},
                {"splits", {{"train", opt.n_train}, {"heldout", n_eval}, {"openset", n_eval}}},
                {"shapes", names[0]},
                {"colours", names[1]},
                {"sizes", names[2]},
                {"textures", names[3]},
                {"openset_pairs", std::move(pairs)},
                {"vocabulary", json(std::vector<std::string>(vocabulary.begin(), vocabulary.end()))}};
  write_file_atomic(path_join(opt.out_dir, "world.json"), world.dump(1) + "\n");
  result.vocabulary_size = vocabulary.size();
  return result;
}

}  // namespace argus::world
