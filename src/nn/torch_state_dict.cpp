#include "nn/torch_state_dict.h"

#include <cstring>

#include <caffe2/serialize/inline_container.h>

#include "io/torch_pickle.h"
#include "nn/load.h"
#include "util/error.h"

namespace argus::nn {

namespace {

using io::pickle::Value;

at::ScalarType storage_dtype(const std::string& type, const std::string& path) {
  static const std::pair<const char*, at::ScalarType> kTypes[] = {
      {"FloatStorage", at::kFloat}, {"DoubleStorage", at::kDouble}, {"HalfStorage", at::kHalf},
      {"BFloat16Storage", at::kBFloat16}, {"LongStorage", at::kLong}, {"IntStorage", at::kInt},
      {"ShortStorage", at::kShort}, {"CharStorage", at::kChar}, {"ByteStorage", at::kByte},
      {"BoolStorage", at::kBool}};
  for (const auto& [name, dt] : kTypes)
    if (type == name) return dt;
  fail("{}: unknown storage type {}", path, type);
}

// Storages are zip records data/<key>, read once each and shared by their views.
class Storages {
 public:
  Storages(caffe2::serialize::PyTorchStreamReader& zip, std::string path) : zip_(zip), path_(std::move(path)) {}

  at::Tensor tensor(const io::pickle::TensorRecord& r, const std::string& name) {
    const at::ScalarType dt = storage_dtype(r.storage_type, path_);
    at::Tensor& storage = cache_[r.key];
    if (!storage.defined()) {
      const std::string record = "data/" + r.key;
      if (!zip_.hasRecord(record)) fail("{}: \"{}\" names storage {}, which the archive lacks", path_, name, r.key);
      auto [data, bytes] = zip_.getRecord(record);
      const size_t elem = at::elementSize(dt);
      if (bytes != static_cast<size_t>(r.storage_numel) * elem)
        fail("{}: storage {} holds {} bytes, not {} {} values", path_, r.key, bytes, r.storage_numel, r.storage_type);
      storage = at::empty({r.storage_numel}, at::TensorOptions().dtype(dt));
      if (bytes) std::memcpy(storage.data_ptr(), data.get(), bytes);
    }
    // The view must stay inside its storage: the furthest element it reaches.
    int64_t last = r.offset;
    for (size_t i = 0; i < r.sizes.size(); ++i)
      if (r.sizes[i] == 0) last = -1;
      else if (last >= 0) last += (r.sizes[i] - 1) * r.strides[i];
    if (last >= r.storage_numel)
      fail("{}: \"{}\" {} reaches past its storage of {} values", path_, name, shape_str(r.sizes), r.storage_numel);
    return storage.as_strided(r.sizes, r.strides, r.offset).clone();
  }

 private:
  caffe2::serialize::PyTorchStreamReader& zip_;
  std::string path_;
  std::map<std::string, at::Tensor> cache_;
};

std::unique_ptr<caffe2::serialize::PyTorchStreamReader> open_zip(const std::string& path) {
  try {
    return std::make_unique<caffe2::serialize::PyTorchStreamReader>(path);
  } catch (const std::exception& e) {
    const std::string msg = e.what();
    fail("{}: not a torch.save zip archive ({})", path, msg.substr(0, msg.find('\n')));
  }
}

}  // namespace

std::map<std::string, at::Tensor> read_torch_state_dict(const std::string& path) {
  auto zip = open_zip(path);
  if (!zip->hasRecord("data.pkl")) fail("{}: no data.pkl in the archive, so not a torch.save file", path);
  io::pickle::Document doc;
  try {
    auto [data, bytes] = zip->getRecord("data.pkl");
    doc = io::pickle::parse(static_cast<const uint8_t*>(data.get()), bytes, path);
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    const std::string msg = e.what();
    fail("{}: unreadable archive ({})", path, msg.substr(0, msg.find('\n')));
  }
  const Value* dict = doc.root;
  if (dict->kind != Value::Kind::Dict) fail("{}: holds a {}, not a state dict", path, io::pickle::kind_name(dict->kind));
  // Training checkpoints wrap the state dict: {"model": {...}} or {"state_dict": {...}}.
  if (dict->entries.size() == 1 && dict->entries[0].first->kind == Value::Kind::String &&
      (dict->entries[0].first->s == "model" || dict->entries[0].first->s == "state_dict") &&
      dict->entries[0].second->kind == Value::Kind::Dict)
    dict = dict->entries[0].second;
  Storages storages(*zip, path);
  std::map<std::string, at::Tensor> out;
  for (const auto& [k, v] : dict->entries) {
    if (k->kind != Value::Kind::String) fail("{}: a state dict key is a {}, not a string", path, io::pickle::kind_name(k->kind));
    if (v->kind != Value::Kind::Tensor)
      fail("{}: \"{}\" is a {}, not a tensor", path, k->s, io::pickle::kind_name(v->kind));
    if (!out.emplace(k->s, storages.tensor(v->tensor, k->s)).second) fail("{}: \"{}\" appears twice", path, k->s);
  }
  if (out.empty()) fail("{}: the state dict is empty", path);
  return out;
}

}  // namespace argus::nn
