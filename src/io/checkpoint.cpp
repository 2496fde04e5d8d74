#include "io/checkpoint.h"

#include <filesystem>
#include <set>

#include "io/json_file.h"
#include "util/error.h"

namespace fs = std::filesystem;

namespace argus::io {

Checkpoint Checkpoint::open(const std::string& path) {
  Checkpoint ck;
  std::error_code ec;
  if (!fs::exists(path, ec)) fail("model path {} does not exist", path);
  if (fs::is_regular_file(path, ec)) {
    ck.dir_ = fs::path(path).parent_path().string();
    if (ck.dir_.empty()) ck.dir_ = ".";
    ck.add_file(path);
    if (ck.has_file("config.json")) ck.config_ = read_json(ck.file_path("config.json"));
    return ck;
  }
  ck.dir_ = path;
  if (ck.has_file("config.json")) ck.config_ = read_json(ck.file_path("config.json"));
  if (ck.has_file("model.safetensors.index.json")) {
    auto index = read_json(ck.file_path("model.safetensors.index.json"));
    auto wm = index.find("weight_map");
    if (wm == index.end() || !wm->is_object())
      fail("{}: model.safetensors.index.json has no weight_map object", path);
    std::map<std::string, std::vector<std::string>> by_shard;
    for (auto it = wm->begin(); it != wm->end(); ++it) {
      if (!it->is_string()) fail("{}: weight_map entry \"{}\" is not a file name", path, it.key());
      std::string shard = it->get<std::string>();
      if (shard.find('/') != std::string::npos || shard == "..")
        fail("{}: weight_map names a file outside the checkpoint: {}", path, shard);
      by_shard[shard].push_back(it.key());
    }
    for (const auto& [shard, keys] : by_shard) ck.add_file(ck.file_path(shard), &keys);
  } else if (ck.has_file("model.safetensors")) {
    ck.add_file(ck.file_path("model.safetensors"));
  } else {
    std::vector<std::string> files;
    for (const auto& e : fs::directory_iterator(path, ec))
      if (e.path().extension() == ".safetensors" && e.path().filename() != "io.safetensors")
        files.push_back(e.path().string());
    if (files.empty()) fail("{}: no model.safetensors, model.safetensors.index.json or *.safetensors found", path);
    for (const auto& f : files) ck.add_file(f);
  }
  return ck;
}

void Checkpoint::add_file(const std::string& path, const std::vector<std::string>* only) {
  auto file = SafetensorsFile::open(path);
  if (only) {
    for (const auto& key : *only) {
      const TensorEntry* e = file->find(key);
      if (!e) fail("{}: index says tensor \"{}\" is here, but it is not", path, key);
      if (!tensors_.emplace(key, TensorRef{e, file}).second) fail("tensor \"{}\" appears in two shards", key);
    }
    return;
  }
  for (const auto& e : file->tensors())
    if (!tensors_.emplace(e.name, TensorRef{&e, file}).second) fail("tensor \"{}\" appears in two files", e.name);
}

const TensorRef* Checkpoint::find(const std::string& key) const {
  auto it = tensors_.find(key);
  return it == tensors_.end() ? nullptr : &it->second;
}

bool Checkpoint::has_file(const std::string& name) const {
  std::error_code ec;
  return fs::is_regular_file(file_path(name), ec);
}

nlohmann::json Checkpoint::side_json(const std::string& name) const {
  return has_file(name) ? read_json(file_path(name)) : nlohmann::json();
}

size_t Checkpoint::total_bytes() const {
  size_t n = 0;
  for (const auto& [k, t] : tensors_) n += t.entry->nbytes();
  return n;
}

}  // namespace argus::io
