#include "models/open_clip/open_clip_load.h"

#include <filesystem>

#include "io/checkpoint.h"
#include "io/json_file.h"
#include "nn/inference.h"
#include "nn/load.h"
#include "nn/torch_archive.h"
#include "nn/torch_state_dict.h"
#include "util/error.h"

namespace fs = std::filesystem;

namespace argus::models::open_clip {

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// OpenAI's .pt files carry these int64 scalars beside the weights (clip.load reads the
// image size from them); they must agree with the config, and are not weights.
void check_openai_scalars(std::map<std::string, at::Tensor>& t, const OpenClipConfig& c, const std::string& path) {
  const std::pair<const char*, int64_t> expected[] = {{"input_resolution", c.vision.image_size},
                                                      {"context_length", c.text.context_length},
                                                      {"vocab_size", c.text.vocab_size}};
  for (const auto& [name, want] : expected) {
    auto it = t.find(name);
    if (it == t.end()) continue;
    if (it->second.numel() != 1 || it->second.item<int64_t>() != want)
      fail("{}: {} is {} but {} says {}", path, name, it->second.numel() == 1 ? it->second.item<int64_t>() : -1,
           kConfigFile, want);
    t.erase(it);
  }
}

}  // namespace

bool is_open_clip_dir(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_regular_file(fs::path(dir) / kConfigFile, ec)) return false;
  if (!fs::is_regular_file(fs::path(dir) / "config.json", ec)) return true;
  return !io::read_json((fs::path(dir) / "config.json").string()).contains("model_type");
}

std::string weights_file(const std::string& dir) {
  std::error_code ec;
  for (const char* name : {"open_clip_model.safetensors", "open_clip_pytorch_model.bin"})
    if (fs::is_regular_file(fs::path(dir) / name, ec)) return (fs::path(dir) / name).string();
  std::vector<std::string> pts;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.path().extension() == ".pt") pts.push_back(e.path().string());
  if (pts.size() == 1) return pts[0];
  if (pts.empty()) fail("{}: no open_clip_model.safetensors, open_clip_pytorch_model.bin or .pt weights", dir);
  fail("{}: {} .pt files and no open_clip_model.safetensors; which one holds the weights is ambiguous", dir, pts.size());
}

OpenClipConfig load_open_clip_config(const std::string& dir) {
  const std::string path = (fs::path(dir) / kConfigFile).string();
  return parse_open_clip_config(io::read_json(path), path);
}

OpenClipModel load_open_clip_model(const std::string& dir, const std::string& weights) {
  const OpenClipConfig cfg = load_open_clip_config(dir);
  const std::string path = weights.empty() ? weights_file(dir) : weights;
  OpenClipModel m(cfg);
  nn::LoadOptions opts;
  // BatchNorm's step counter: only training momentum uses it.
  opts.ignore_suffixes = {".num_batches_tracked"};
  try {
    if (ends_with(path, ".safetensors")) {
      nn::load_weights(*m, io::Checkpoint::open(path), opts);
    } else if (nn::is_torchscript_archive(path)) {
      auto tensors = nn::read_torchscript_tensors(path);
      check_openai_scalars(tensors, cfg, path);
      nn::load_weights(*m, tensors, opts);
    } else {
      nn::load_weights(*m, nn::read_torch_state_dict(path), opts);
    }
  } catch (const Error& e) {
    const std::string msg = e.what();
    if (msg.find(path) != std::string::npos) throw;
    fail("{}: {}", path, msg);
  }
  nn::prepare_for_inference(*m);
  return m;
}

}  // namespace argus::models::open_clip
