#include "train/world_data.h"

#include <filesystem>
#include <array>
#include <cstdint>
#include <map>

#include "image/decode.h"
#include "io/json_file.h"
#include "util/error.h"
#include "util/progress.h"
#include "world/attributes.h"
#include "world/instruct.h"
#include "world/load.h"
#include "world/rng.h"

namespace fs = std::filesystem;

namespace argus::train {
namespace {

struct LoadedSplit {
  world::WorldSplit split;
  std::vector<image::Image> images;
  std::map<int64_t, int64_t> index;  // image id -> position in images
};

LoadedSplit load_train_split(const std::string& data_dir, int64_t max_images) {
  LoadedSplit l;
  l.split = world::load_split((fs::path(data_dir) / "train").string());
  int64_t n = static_cast<int64_t>(l.split.images.size());
  if (max_images > 0) n = std::min(n, max_images);
  Progress progress("loading images", n);
  for (int64_t i = 0; i < n; ++i) {
    const auto& im = l.split.images[static_cast<size_t>(i)];
    l.index[im.id] = static_cast<int64_t>(l.images.size());
    l.images.push_back(image::load_image(l.split.image_path(im)));
    progress.step();
  }
  progress.finish();
  return l;
}

constexpr size_t kPopePerImage = 4;

nlohmann::json text_part(const std::string& t) { return {{"type", "text"}, {"text", t}}; }

nlohmann::json assistant(const std::string& t) {
  return {{"role", "assistant"}, {"content", nlohmann::json::array({text_part(t)})}};
}

}  // namespace

std::vector<std::string> world_vocabulary(const std::string& data_dir) {
  auto meta = io::read_json((fs::path(data_dir) / "world.json").string());
  if (!meta.contains("vocabulary") || !meta["vocabulary"].is_array())
    fail("{}/world.json has no \"vocabulary\" list", data_dir);
  std::vector<std::string> words = meta["vocabulary"].get<std::vector<std::string>>();
  // The evaluation prompts' words, in case a small world never used them.
  for (const char* w : {"a", "an", "picture", "image", "drawing", "of"}) words.push_back(w);
  return words;
}

nlohmann::json image_question(const std::string& question) {
  return {{"role", "user"},
          {"content", nlohmann::json::array({{{"type", "image"}}, text_part(question)})}};
}

std::string replace_shape_word(const std::string& caption, size_t which, world::Shape replacement) {
  struct Word {
    size_t begin, size;
    bool plural;
  };
  std::vector<Word> shape_words;
  for (size_t i = 0; i < caption.size();) {
    if (caption[i] < 'a' || caption[i] > 'z') {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < caption.size() && caption[j] >= 'a' && caption[j] <= 'z') ++j;
    const std::string word = caption.substr(i, j - i);
    for (int s = 0; s < world::kNumShapes; ++s) {
      const auto shape = static_cast<world::Shape>(s);
      if (word == world::name(shape) || word == world::plural(shape)) {
        shape_words.push_back({i, j - i, word == world::plural(shape)});
        break;
      }
    }
    i = j;
  }
  if (shape_words.empty()) return "";
  const Word& w = shape_words[which % shape_words.size()];
  std::string out = caption;
  out.replace(w.begin, w.size, w.plural ? world::plural(replacement) : std::string(world::name(replacement)));
  return out;
}

CaptionedImages world_clip_data(const std::string& data_dir, int64_t max_images, const ClipDataExtras& extras) {
  LoadedSplit l = load_train_split(data_dir, max_images);
  CaptionedImages d;
  d.captions.resize(l.images.size());
  if (extras.hard_negatives) d.hard_negatives.resize(l.images.size());
  std::vector<std::array<bool, world::kNumShapes>> present(l.images.size());
  for (const auto& a : l.split.annotations)
    if (auto it = l.index.find(a.image_id); it != l.index.end())
      present[static_cast<size_t>(it->second)][static_cast<size_t>(a.category_id - 1)] = true;
  for (const auto& c : l.split.captions) {
    auto it = l.index.find(c.image_id);
    if (it == l.index.end()) continue;
    const auto i = static_cast<size_t>(it->second);
    d.captions[i].push_back(c.caption);
    if (!extras.hard_negatives) continue;
    // The negative names a shape the image lacks, so it is false whatever else the caption says.
    std::vector<world::Shape> absent;
    for (int s = 0; s < world::kNumShapes; ++s)
      if (!present[i][static_cast<size_t>(s)]) absent.push_back(static_cast<world::Shape>(s));
    world::Rng rng(world::image_key(extras.seed, "clip-negatives", c.id));
    const size_t which = static_cast<size_t>(rng.next());
    d.hard_negatives[i].push_back(absent.empty() ? "" : replace_shape_word(c.caption, which, absent[rng.below(absent.size())]));
  }
  if (!extras.label_maps) {
    d.images = std::move(l.images);
    return d;
  }
  // Label maps for token labelling: the shape (its category id, 1..8) of the object seen
  // at each pixel. Visible masks do not overlap, so each pixel has at most one.
  d.label_classes = world::kNumShapes + 1;
  d.label_maps.resize(l.images.size());
  for (size_t i = 0; i < l.images.size(); ++i) {
    auto& m = d.label_maps[i];
    m.width = l.images[i].width;
    m.height = l.images[i].height;
    m.pixels.assign(static_cast<size_t>(m.width) * m.height, 0);
  }
  for (const auto& a : l.split.annotations) {
    auto it = l.index.find(a.image_id);
    if (it == l.index.end()) continue;
    auto& m = d.label_maps[static_cast<size_t>(it->second)];
    image::GrayImage visible = world::decode_mask(a);
    if (visible.width != m.width || visible.height != m.height)
      fail("annotation {}: its mask is {}x{}, its image {}x{}", a.id, visible.width, visible.height, m.width, m.height);
    for (size_t p = 0; p < visible.pixels.size(); ++p)
      if (visible.pixels[p]) m.pixels[p] = static_cast<uint8_t>(a.category_id);
  }
  d.images = std::move(l.images);
  return d;
}

MaskedImages world_sam_data(const std::string& data_dir, int64_t max_images) {
  LoadedSplit l = load_train_split(data_dir, max_images);
  MaskedImages d;
  d.objects.resize(l.images.size());
  for (const auto& a : l.split.annotations) {
    auto it = l.index.find(a.image_id);
    if (it == l.index.end()) continue;
    d.objects[static_cast<size_t>(it->second)].push_back(
        {image::rle_decode(a.segmentation), {a.bbox[0], a.bbox[1], a.bbox[0] + a.bbox[2], a.bbox[1] + a.bbox[3]}});
  }
  d.images = std::move(l.images);
  return d;
}

std::vector<std::string> world_detection_queries() {
  std::vector<std::string> q;
  for (int s = 0; s < world::kNumShapes; ++s) q.push_back(world::name(static_cast<world::Shape>(s)));
  for (int c = 0; c < world::kNumColours; ++c)
    for (int s = 0; s < world::kNumShapes; ++s)
      q.push_back(std::string(world::name(static_cast<world::Colour>(c))) + " " + world::name(static_cast<world::Shape>(s)));
  return q;
}

DetectionData world_owl_data(const std::string& data_dir, int64_t max_images) {
  LoadedSplit l = load_train_split(data_dir, max_images);
  DetectionData d;
  d.class_queries = world_detection_queries();
  d.objects.resize(l.images.size());
  d.phrases.resize(l.images.size());
  std::map<int64_t, std::pair<size_t, int64_t>> object_of;  // annotation id -> (image, object)
  for (const auto& a : l.split.annotations) {
    auto it = l.index.find(a.image_id);
    if (it == l.index.end()) continue;
    // The loader checked that the names are known.
    auto shape = static_cast<int64_t>(*world::parse_shape(a.shape));
    auto colour = static_cast<int64_t>(*world::parse_colour(a.colour));
    auto& list = d.objects[static_cast<size_t>(it->second)];
    object_of[a.id] = {static_cast<size_t>(it->second), static_cast<int64_t>(list.size())};
    list.push_back({{a.bbox[0], a.bbox[1], a.bbox[0] + a.bbox[2], a.bbox[1] + a.bbox[3]},
                    {shape, world::kNumShapes + colour * world::kNumShapes + shape}});
  }
  for (const auto& r : l.split.refs)
    if (auto it = object_of.find(r.ann_id); it != object_of.end())
      d.phrases[it->second.first].push_back({r.sentence, it->second.second});
  d.images = std::move(l.images);
  return d;
}

LlavaData world_llava_data(const std::string& data_dir, int64_t max_images) {
  LoadedSplit l = load_train_split(data_dir, max_images);
  LlavaData d;
  auto image_of = [&](int64_t image_id) {
    auto it = l.index.find(image_id);
    return it == l.index.end() ? int64_t{-1} : it->second;
  };
  for (const auto& c : l.split.captions) {
    d.texts.push_back(c.caption);
    if (int64_t i = image_of(c.image_id); i >= 0)
      d.captions.push_back({i, nlohmann::json::array({image_question("describe the image briefly."), assistant(c.caption)})});
  }
  std::map<std::string, int64_t> by_file;
  for (const auto& im : l.split.images) by_file[im.file_name] = im.id;
  for (const auto& s : l.split.instruct) {
    auto f = by_file.find(s.image);
    if (f == by_file.end()) fail("{}/train/llava_instruct.json: sample {} names an unknown image {}", data_dir, s.id, s.image);
    int64_t i = image_of(f->second);
    nlohmann::json messages = nlohmann::json::array();
    for (const auto& turn : s.conversations) {
      std::string v = turn.value;
      d.texts.push_back(v.rfind(world::kImageToken, 0) == 0 ? v.substr(std::string(world::kImageToken).size() + 1) : v);
      if (turn.from == "gpt") {
        messages.push_back(assistant(v));
      } else if (messages.empty()) {
        // The loader checked: exactly one <image>, at the start of the first human turn.
        messages.push_back(image_question(v.substr(std::string(world::kImageToken).size() + 1)));
      } else {
        messages.push_back({{"role", "user"}, {"content", nlohmann::json::array({text_part(v)})}});
      }
    }
    if (i >= 0) d.instruct.push_back({i, messages});
  }
  auto add_short = [&](const world::QuestionRecord& q) {
    d.texts.push_back(q.question + " " + q.answer);
    if (int64_t i = image_of(q.image_id); i >= 0)
      d.instruct.push_back({i, nlohmann::json::array({image_question(q.question + " " + kShortAnswerPrompt),
                                                      assistant(q.answer)})});
  };
  for (const auto& q : l.split.vqa) add_short(q);
  // POPE asks ~20 questions per image: a few per image, half yes and half no, spread over
  // its random / popular / adversarial parts, keep it from dominating stage 2.
  std::map<int64_t, std::pair<std::vector<const world::QuestionRecord*>, std::vector<const world::QuestionRecord*>>> pope;
  for (const auto& q : l.split.pope) (q.answer == "yes" ? pope[q.image_id].first : pope[q.image_id].second).push_back(&q);
  for (const auto& [id, yes_no] : pope)
    for (const auto* list : {&yes_no.first, &yes_no.second})
      for (size_t k = 0; k < kPopePerImage / 2 && k < list->size(); ++k) add_short(*(*list)[k * list->size() / (kPopePerImage / 2)]);
  d.images = std::move(l.images);
  return d;
}

}  // namespace argus::train
