#include "world/load.h"

#include <set>

#include "io/json_file.h"
#include "util/error.h"
#include "world/attributes.h"

namespace argus::world {

namespace {

using nlohmann::json;

// Where a problem is: the file and the entry ("annotations[3] (id 31)").
struct Where {
  std::string file, entry;
  [[noreturn]] void fail_with(const std::string& message) const {
    if (entry.empty()) fail("{}: {}", file, message);
    fail("{}: {}: {}", file, entry, message);
  }
};

const json& field(const json& obj, const char* key, const Where& w) {
  if (!obj.is_object()) w.fail_with("expected an object, got " + std::string(obj.type_name()));
  auto it = obj.find(key);
  if (it == obj.end()) w.fail_with(fmt::format("missing field \"{}\"", key));
  return *it;
}

int64_t get_int(const json& obj, const char* key, const Where& w) {
  const json& v = field(obj, key, w);
  if (!v.is_number_integer()) w.fail_with(fmt::format("field \"{}\" must be an integer, got {}", key, v.dump()));
  if (v.is_number_unsigned() && v.get<uint64_t>() > uint64_t(INT64_MAX))
    w.fail_with(fmt::format("field \"{}\" is out of range", key));
  return v.get<int64_t>();
}

double get_number(const json& obj, const char* key, const Where& w) {
  const json& v = field(obj, key, w);
  if (!v.is_number()) w.fail_with(fmt::format("field \"{}\" must be a number, got {}", key, v.dump()));
  return v.get<double>();
}

std::string get_string(const json& obj, const char* key, const Where& w) {
  const json& v = field(obj, key, w);
  if (!v.is_string()) w.fail_with(fmt::format("field \"{}\" must be a string, got {}", key, v.dump()));
  return v.get<std::string>();
}

const json& get_array(const json& obj, const char* key, const Where& w) {
  const json& v = field(obj, key, w);
  if (!v.is_array()) w.fail_with(fmt::format("field \"{}\" must be an array, got {}", key, v.type_name()));
  return v;
}

std::vector<double> get_numbers(const json& obj, const char* key, size_t n, const Where& w) {
  const json& v = get_array(obj, key, w);
  if (v.size() != n) w.fail_with(fmt::format("field \"{}\" must hold {} numbers, got {}", key, n, v.dump()));
  std::vector<double> out;
  for (const json& x : v) {
    if (!x.is_number()) w.fail_with(fmt::format("field \"{}\" must hold numbers, got {}", key, v.dump()));
    out.push_back(x.get<double>());
  }
  return out;
}

template <typename Parse>
std::string get_name(const json& obj, const char* key, Parse parse, const Where& w) {
  std::string s = get_string(obj, key, w);
  if (!parse(s)) w.fail_with(fmt::format("field \"{}\" has the unknown value \"{}\"", key, s));
  return s;
}

json read(const std::string& path) { return io::read_json(path); }

// The array of entries of a file: the whole document, or one of its fields.
const json& entries(const json& doc, const char* key, const std::string& path) {
  const Where w{path, ""};
  if (!key) {
    if (!doc.is_array()) w.fail_with("expected a JSON array, got " + std::string(doc.type_name()));
    return doc;
  }
  return get_array(doc, key, w);
}

void check_image_id(const WorldSplit& s, int64_t id, const Where& w) {
  try {
    s.image(id);
  } catch (const Error&) {
    w.fail_with(fmt::format("image_id {} is not in instances.json", id));
  }
}

void load_instances(WorldSplit& s, std::map<int64_t, const AnnotationRecord*>& anns_by_id) {
  const std::string path = s.dir + "/instances.json";
  const json doc = read(path);
  const json& images = entries(doc, "images", path);
  for (size_t i = 0; i < images.size(); ++i) {
    Where w{path, fmt::format("images[{}]", i)};
    ImageRecord im;
    im.id = get_int(images[i], "id", w);
    w.entry += fmt::format(" (id {})", im.id);
    im.file_name = get_string(images[i], "file_name", w);
    const int64_t width = get_int(images[i], "width", w), height = get_int(images[i], "height", w);
    if (width <= 0 || height <= 0 || width > 65535 || height > 65535)
      w.fail_with(fmt::format("image size {}x{} is out of range", width, height));
    im.width = int(width);
    im.height = int(height);
    im.background = get_string(images[i], "background", w);
    if (!s.image_index.emplace(im.id, s.images.size()).second) w.fail_with("duplicate image id");
    s.images.push_back(std::move(im));
  }
  const json& anns = entries(doc, "annotations", path);
  std::set<int64_t> ids;
  s.annotations.reserve(anns.size());
  for (size_t i = 0; i < anns.size(); ++i) {
    const json& a = anns[i];
    Where w{path, fmt::format("annotations[{}]", i)};
    AnnotationRecord r;
    r.id = get_int(a, "id", w);
    w.entry += fmt::format(" (id {})", r.id);
    if (!ids.insert(r.id).second) w.fail_with("duplicate annotation id");
    r.image_id = get_int(a, "image_id", w);
    check_image_id(s, r.image_id, w);
    const ImageRecord& im = s.image(r.image_id);
    const int64_t cat = get_int(a, "category_id", w);
    if (cat < 1 || cat > kNumShapes) w.fail_with(fmt::format("category_id {} is not 1..{}", cat, kNumShapes));
    r.category_id = int(cat);
    r.shape = name(Shape(cat - 1));
    r.colour = get_name(a, "colour", parse_colour, w);
    r.size = get_name(a, "size", parse_size, w);
    r.texture = get_name(a, "texture", parse_texture, w);
    const auto box = get_numbers(a, "bbox", 4, w);
    if (box[0] < 0 || box[1] < 0 || box[2] <= 0 || box[3] <= 0 || box[0] + box[2] > im.width ||
        box[1] + box[3] > im.height)
      w.fail_with(fmt::format("bbox [{}, {}, {}, {}] is outside the {}x{} image", box[0], box[1], box[2], box[3],
                              im.width, im.height));
    r.bbox = {box[0], box[1], box[2], box[3]};
    r.area = get_int(a, "area", w);
    const json& seg = field(a, "segmentation", w);
    const auto size = get_numbers(seg, "size", 2, w);
    if (size[0] != im.height || size[1] != im.width)
      w.fail_with(fmt::format("segmentation size [{}, {}] does not match the {}x{} image (size is [h, w])", size[0],
                              size[1], im.width, im.height));
    r.segmentation = {im.height, im.width, get_string(seg, "counts", w)};
    // The runs must cover the image exactly and their foreground must be the area.
    std::vector<uint32_t> runs;
    try {
      runs = image::rle_decompress(r.segmentation.counts);
    } catch (const Error& e) {
      w.fail_with(fmt::format("segmentation counts: {}", e.what()));
    }
    uint64_t total = 0, fg = 0;
    for (size_t k = 0; k < runs.size(); ++k) {
      total += runs[k];
      if (k % 2) fg += runs[k];
    }
    if (total != uint64_t(im.width) * uint64_t(im.height))
      w.fail_with(fmt::format("segmentation RLE covers {} pixels, the {}x{} image has {}", total, im.width, im.height,
                              uint64_t(im.width) * uint64_t(im.height)));
    if (int64_t(fg) != r.area) w.fail_with(fmt::format("area {} differs from the mask's {} pixels", r.area, fg));
    r.visible_fraction = get_number(a, "visible_fraction", w);
    if (!(r.visible_fraction > 0 && r.visible_fraction <= 1))
      w.fail_with(fmt::format("visible_fraction {} is not in (0, 1]", r.visible_fraction));
    const auto c = get_numbers(a, "center", 2, w);
    if (!(c[0] >= 0 && c[0] <= im.width && c[1] >= 0 && c[1] <= im.height))
      w.fail_with(fmt::format("center [{}, {}] is outside the {}x{} image", c[0], c[1], im.width, im.height));
    r.cx = c[0];
    r.cy = c[1];
    s.annotations.push_back(std::move(r));
  }
  for (const auto& a : s.annotations) anns_by_id[a.id] = &a;
}

void load_captions(WorldSplit& s) {
  const std::string path = s.dir + "/captions.json";
  const json doc = read(path);
  const json& list = entries(doc, "annotations", path);
  for (size_t i = 0; i < list.size(); ++i) {
    Where w{path, fmt::format("annotations[{}]", i)};
    CaptionRecord c;
    c.id = get_int(list[i], "id", w);
    w.entry += fmt::format(" (id {})", c.id);
    c.image_id = get_int(list[i], "image_id", w);
    check_image_id(s, c.image_id, w);
    c.caption = get_string(list[i], "caption", w);
    s.captions.push_back(std::move(c));
  }
}

void load_refs(WorldSplit& s, const std::map<int64_t, const AnnotationRecord*>& anns) {
  const std::string path = s.dir + "/refs.json";
  const json doc = read(path);
  const json& list = entries(doc, nullptr, path);
  for (size_t i = 0; i < list.size(); ++i) {
    Where w{path, fmt::format("[{}]", i)};
    RefRecord r;
    r.ref_id = get_int(list[i], "ref_id", w);
    w.entry += fmt::format(" (ref_id {})", r.ref_id);
    r.image_id = get_int(list[i], "image_id", w);
    check_image_id(s, r.image_id, w);
    r.ann_id = get_int(list[i], "ann_id", w);
    auto it = anns.find(r.ann_id);
    if (it == anns.end()) w.fail_with(fmt::format("ann_id {} is not in instances.json", r.ann_id));
    if (it->second->image_id != r.image_id)
      w.fail_with(fmt::format("ann_id {} belongs to image {}, not {}", r.ann_id, it->second->image_id, r.image_id));
    r.sentence = get_string(list[i], "sentence", w);
    s.refs.push_back(std::move(r));
  }
}

void load_questions(WorldSplit& s, const char* file, const char* type_key, const std::set<std::string>& types,
                    std::vector<QuestionRecord>& out) {
  const std::string path = s.dir + "/" + file;
  const json doc = read(path);
  const json& list = entries(doc, nullptr, path);
  for (size_t i = 0; i < list.size(); ++i) {
    Where w{path, fmt::format("[{}]", i)};
    QuestionRecord q;
    q.question_id = get_int(list[i], "question_id", w);
    w.entry += fmt::format(" (question_id {})", q.question_id);
    q.image_id = get_int(list[i], "image_id", w);
    check_image_id(s, q.image_id, w);
    q.image = get_string(list[i], "image", w);
    q.question = get_string(list[i], "question", w);
    q.answer = get_string(list[i], "answer", w);
    q.type = get_string(list[i], type_key, w);
    if (!types.count(q.type)) w.fail_with(fmt::format("unknown {} \"{}\"", type_key, q.type));
    out.push_back(std::move(q));
  }
}

void load_instruct(WorldSplit& s) {
  const std::string path = s.dir + "/llava_instruct.json";
  const json doc = read(path);
  const json& list = entries(doc, nullptr, path);
  for (size_t i = 0; i < list.size(); ++i) {
    Where w{path, fmt::format("[{}]", i)};
    InstructRecord r;
    r.id = get_string(list[i], "id", w);
    w.entry += fmt::format(" (id {})", r.id);
    r.image = get_string(list[i], "image", w);
    r.type = get_string(list[i], "type", w);
    if (r.type != "conversation" && r.type != "detail" && r.type != "reasoning")
      w.fail_with(fmt::format("unknown type \"{}\"", r.type));
    const json& conv = get_array(list[i], "conversations", w);
    if (conv.size() < 2 || conv.size() % 2) w.fail_with(fmt::format("conversation has {} turns, expected human/gpt pairs", conv.size()));
    size_t images = 0;
    for (size_t k = 0; k < conv.size(); ++k) {
      Where tw{path, fmt::format("{} turn {}", w.entry, k)};
      Turn t{get_string(conv[k], "from", tw), get_string(conv[k], "value", tw)};
      const char* expected = k % 2 ? "gpt" : "human";
      if (t.from != expected) tw.fail_with(fmt::format("\"from\" is \"{}\", expected \"{}\"", t.from, expected));
      for (size_t p = t.value.find(kImageToken); p != std::string::npos; p = t.value.find(kImageToken, p + 1)) ++images;
      r.conversations.push_back(std::move(t));
    }
    if (images != 1) w.fail_with(fmt::format("conversation has {} \"<image>\" tokens, expected exactly 1", images));
    if (r.conversations[0].value.rfind(std::string(kImageToken) + "\n", 0) != 0)
      w.fail_with("the first human turn does not start with \"<image>\\n\"");
    s.instruct.push_back(std::move(r));
  }
}

}  // namespace

std::string WorldSplit::image_path(const ImageRecord& im) const { return dir + "/" + im.file_name; }

const ImageRecord& WorldSplit::image(int64_t id) const {
  auto it = image_index.find(id);
  if (it == image_index.end()) fail("{}: no image with id {}", dir, id);
  return images[it->second];
}

std::vector<const AnnotationRecord*> WorldSplit::annotations_of(int64_t image_id) const {
  std::vector<const AnnotationRecord*> out;
  for (const auto& a : annotations)
    if (a.image_id == image_id) out.push_back(&a);
  return out;
}

WorldSplit load_split(const std::string& dir) {
  WorldSplit s;
  s.dir = dir;
  while (s.dir.size() > 1 && s.dir.back() == '/') s.dir.pop_back();
  std::map<int64_t, const AnnotationRecord*> anns;
  load_instances(s, anns);
  load_captions(s);
  load_refs(s, anns);
  load_questions(s, "vqa.json", "type", {"existence", "colour", "count", "shape", "position", "compare", "arithmetic"},
                 s.vqa);
  load_questions(s, "pope.json", "pope_type", {"random", "popular", "adversarial"}, s.pope);
  load_instruct(s);
  return s;
}

image::GrayImage decode_mask(const AnnotationRecord& ann) {
  image::GrayImage m;
  m.width = ann.segmentation.width;
  m.height = ann.segmentation.height;
  m.pixels = image::rle_decode(ann.segmentation);
  return m;
}

}  // namespace argus::world
