#include "image/processor_config.h"

#include <filesystem>

#include "io/json_file.h"
#include "util/error.h"

namespace argus::image {

namespace {

using nlohmann::json;

constexpr std::array<double, 3> kClipMean{0.48145466, 0.4578275, 0.40821073};
constexpr std::array<double, 3> kClipStd{0.26862954, 0.26130258, 0.27577711};
constexpr std::array<double, 3> kImagenetMean{0.485, 0.456, 0.406};
constexpr std::array<double, 3> kImagenetStd{0.229, 0.224, 0.225};
constexpr std::array<double, 3> kHalf{0.5, 0.5, 0.5};

constexpr const char* kSupported =
    "CLIPImageProcessor, SiglipImageProcessor, ViTImageProcessor, BlipImageProcessor, OwlViTImageProcessor, "
    "Owlv2ImageProcessor, SamImageProcessor, DetrImageProcessor, GroundingDinoImageProcessor, LlavaNextImageProcessor";

// Class defaults of the transformers image processors.
void apply_defaults(ImageProcessorConfig& c) {
  const std::string& t = c.type;
  auto square = [&](int s) { c.size = SizeSpec{0, 0, s, s}; };
  if (t == "CLIPImageProcessor") {
    c.size.shortest_edge = 224;
    c.resample_code = 3;
    c.do_center_crop = true;
    c.crop_height = c.crop_width = 224;
    c.image_mean = kClipMean;
    c.image_std = kClipStd;
  } else if (t == "LlavaNextImageProcessor") {
    // CLIP's rules per view; the anyres tiling around them is models/llava_next's.
    c.size.shortest_edge = 224;
    c.resample_code = 3;
    c.do_center_crop = true;
    c.crop_height = c.crop_width = 224;
    c.do_pad = true;  // pads a batch to its largest number of views: nothing for one image
    c.image_mean = kClipMean;
    c.image_std = kClipStd;
  } else if (t == "SiglipImageProcessor") {
    square(224);
    c.resample_code = 3;
    c.image_mean = kHalf;
    c.image_std = kHalf;
  } else if (t == "ViTImageProcessor") {
    square(224);
    c.resample_code = 2;
    c.image_mean = kHalf;
    c.image_std = kHalf;
  } else if (t == "BlipImageProcessor") {
    square(384);
    c.resample_code = 3;
    c.image_mean = kClipMean;
    c.image_std = kClipStd;
  } else if (t == "OwlViTImageProcessor") {
    square(768);
    c.resample_code = 3;
    c.do_center_crop = true;
    c.crop_height = c.crop_width = 768;
    c.image_mean = kClipMean;
    c.image_std = kClipStd;
  } else if (t == "Owlv2ImageProcessor") {
    c.kind = ProcessorKind::Owlv2;
    square(960);
    c.resample_code = 2;
    c.do_pad = true;
    c.image_mean = kClipMean;
    c.image_std = kClipStd;
  } else if (t == "SamImageProcessor") {
    c.kind = ProcessorKind::Sam;
    c.size.longest_edge = 1024;
    c.resample_code = 2;
    c.do_pad = true;
    c.pad_height = c.pad_width = 1024;
    c.image_mean = kImagenetMean;
    c.image_std = kImagenetStd;
  } else if (t == "DetrImageProcessor" || t == "GroundingDinoImageProcessor") {  // the same resize/normalise rules
    c.kind = ProcessorKind::Detr;
    c.size = SizeSpec{800, 1333, 0, 0};
    c.resample_code = 2;
    c.image_mean = kImagenetMean;
    c.image_std = kImagenetStd;
  } else {
    fail("unsupported image_processor_type \"{}\" (supported: {})", t, kSupported);
  }
}

int positive_int(const json& v, const std::string& key) {
  if (!v.is_number_integer() || v.get<int64_t>() <= 0 || v.get<int64_t>() > 65536)
    fail("image processor key \"{}\" must be a positive integer, got {}", key, v.dump());
  return v.get<int>();
}

// size / crop_size / pad_size: an object, or a bare int whose meaning depends on the class.
SizeSpec parse_size(const json& v, const std::string& key, bool int_is_shortest, bool int_is_longest) {
  SizeSpec s;
  if (v.is_number_integer()) {
    const int n = positive_int(v, key);
    if (int_is_shortest)
      s.shortest_edge = n;
    else if (int_is_longest)
      s.longest_edge = n;
    else
      s.height = s.width = n;
    return s;
  }
  if (!v.is_object()) fail("image processor key \"{}\" must be an object or an integer, got {}", key, v.dump());
  for (auto it = v.begin(); it != v.end(); ++it) {
    const std::string k = key + "." + it.key();
    if (it->is_null()) continue;
    if (it.key() == "shortest_edge")
      s.shortest_edge = positive_int(*it, k);
    else if (it.key() == "longest_edge")
      s.longest_edge = positive_int(*it, k);
    else if (it.key() == "height")
      s.height = positive_int(*it, k);
    else if (it.key() == "width")
      s.width = positive_int(*it, k);
    else
      fail("image processor key \"{}\" is not supported", k);
  }
  if ((s.height > 0) != (s.width > 0)) fail("image processor key \"{}\" needs both height and width", key);
  if (!s.height && !s.shortest_edge && !s.longest_edge) fail("image processor key \"{}\" is empty", key);
  return s;
}

std::array<double, 3> parse_triple(const json& v, const std::string& key) {
  std::array<double, 3> out{};
  if (v.is_number()) {
    out.fill(v.get<double>());
  } else if (v.is_array() && v.size() == 3 && v[0].is_number() && v[1].is_number() && v[2].is_number()) {
    for (int i = 0; i < 3; ++i) out[i] = v[i].get<double>();
  } else {
    fail("image processor key \"{}\" must be a number or a list of 3 numbers, got {}", key, v.dump());
  }
  return out;
}

}  // namespace

ImageProcessorConfig parse_image_processor_config(const json& root) {
  if (!root.is_object()) fail("image processor config is not a JSON object");
  const json& j = root.contains("image_processor") && root["image_processor"].is_object() ? root["image_processor"] : root;

  ImageProcessorConfig c;
  std::string type = io::get_or<std::string>(j, "image_processor_type", "");
  if (type.empty()) {
    // Older checkpoints only name the feature extractor (CLIPFeatureExtractor, ...).
    type = io::get_or<std::string>(j, "feature_extractor_type", "");
    const std::string fe = "FeatureExtractor";
    if (type.size() > fe.size() && type.compare(type.size() - fe.size(), fe.size(), fe) == 0)
      type = type.substr(0, type.size() - fe.size()) + "ImageProcessor";
  }
  if (type.empty()) fail("image processor config has no image_processor_type");
  const std::string fast = "Fast";
  if (type.size() > fast.size() && type.compare(type.size() - fast.size(), fast.size(), fast) == 0)
    type.resize(type.size() - fast.size());
  c.type = type;
  apply_defaults(c);

  c.do_resize = io::get_or<bool>(j, "do_resize", c.do_resize);
  if (j.contains("size") && !j["size"].is_null())
    c.size = parse_size(j["size"], "size", c.type == "CLIPImageProcessor" || c.type == "LlavaNextImageProcessor",
                        c.kind == ProcessorKind::Sam);
  c.resample_code = io::get_or<int>(j, "resample", c.resample_code);
  c.resample = filter_from_pil(c.resample_code);
  c.do_center_crop = io::get_or<bool>(j, "do_center_crop", c.do_center_crop);
  if (j.contains("crop_size") && !j["crop_size"].is_null()) {
    const SizeSpec s = parse_size(j["crop_size"], "crop_size", false, false);
    if (!s.height) fail("image processor key \"crop_size\" needs height and width");
    c.crop_height = s.height;
    c.crop_width = s.width;
  }
  c.do_rescale = io::get_or<bool>(j, "do_rescale", c.do_rescale);
  c.rescale_factor = io::get_or<double>(j, "rescale_factor", c.rescale_factor);
  if (!(c.rescale_factor > 0.0)) fail("image processor key \"rescale_factor\" must be positive");
  c.do_normalize = io::get_or<bool>(j, "do_normalize", c.do_normalize);
  if (j.contains("image_mean") && !j["image_mean"].is_null()) c.image_mean = parse_triple(j["image_mean"], "image_mean");
  if (j.contains("image_std") && !j["image_std"].is_null()) c.image_std = parse_triple(j["image_std"], "image_std");
  for (double s : c.image_std)
    if (c.do_normalize && !(s != 0.0)) fail("image processor key \"image_std\" contains a zero");
  c.do_pad = io::get_or<bool>(j, "do_pad", c.do_pad);
  if (c.kind == ProcessorKind::Sam && j.contains("pad_size") && !j["pad_size"].is_null()) {
    const SizeSpec s = parse_size(j["pad_size"], "pad_size", false, false);
    if (!s.height) fail("image processor key \"pad_size\" needs height and width");
    c.pad_height = s.height;
    c.pad_width = s.width;
  }

  if (c.do_resize) {
    const SizeSpec& s = c.size;
    const bool ok = c.kind == ProcessorKind::Sam     ? s.longest_edge > 0
                    : c.kind == ProcessorKind::Owlv2 ? s.height > 0
                    : c.kind == ProcessorKind::Detr  ? s.shortest_edge > 0 || s.height > 0
                                                     : s.shortest_edge > 0 || s.height > 0;
    if (!ok) fail("image processor size {} does not suit {}", j.value("size", json()).dump(), c.type);
  }
  if (c.do_center_crop && c.crop_height <= 0) fail("do_center_crop is set but crop_size is missing");
  return c;
}

ImageProcessorConfig load_image_processor_config(const std::string& model_dir) {
  namespace fs = std::filesystem;
  for (const char* name : {"preprocessor_config.json", "processor_config.json"}) {
    const fs::path p = fs::path(model_dir) / name;
    if (fs::exists(p)) {
      const auto j = io::read_json(p.string());  // its errors already name the file
      try {
        return parse_image_processor_config(j);
      } catch (const Error& e) {
        fail("{}: {}", p.string(), e.what());
      }
    }
  }
  fail("{} has no preprocessor_config.json or processor_config.json", model_dir);
}

}  // namespace argus::image
