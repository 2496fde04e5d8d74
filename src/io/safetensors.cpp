#include "io/safetensors.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <limits>

#include <nlohmann/json.hpp>

#include "util/error.h"

namespace argus::io {

namespace {

constexpr uint64_t kMaxHeaderBytes = 100ull << 20;  // the format's own limit is 100 MB

uint64_t read_u64_le(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// Product of dims times element size, refusing negative dims and overflow.
uint64_t checked_nbytes(const std::string& name, const std::vector<int64_t>& shape, size_t elem) {
  uint64_t n = elem;
  for (int64_t d : shape) {
    if (d < 0) fail("safetensors: tensor \"{}\" has a negative dimension", name);
    if (d != 0 && n > std::numeric_limits<uint64_t>::max() / static_cast<uint64_t>(d))
      fail("safetensors: tensor \"{}\" shape overflows", name);
    n *= static_cast<uint64_t>(d);
  }
  return n;
}

TensorEntry parse_entry(const std::string& name, const nlohmann::json& j) {
  if (!j.is_object()) fail("safetensors: entry \"{}\" is not an object", name);
  auto dt = j.find("dtype");
  auto sh = j.find("shape");
  auto off = j.find("data_offsets");
  if (dt == j.end() || !dt->is_string()) fail("safetensors: tensor \"{}\" has no dtype string", name);
  if (sh == j.end() || !sh->is_array()) fail("safetensors: tensor \"{}\" has no shape array", name);
  if (off == j.end() || !off->is_array() || off->size() != 2)
    fail("safetensors: tensor \"{}\" needs data_offsets [begin, end]", name);
  TensorEntry e;
  e.name = name;
  try {
    e.dtype = parse_dtype(dt->get<std::string>());
  } catch (const Error& err) {
    fail("safetensors: tensor \"{}\": {}", name, err.what());
  }
  for (const auto& d : *sh) {
    if (!d.is_number_integer()) fail("safetensors: tensor \"{}\" shape holds a non-integer", name);
    if (d.is_number_unsigned() && d.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      fail("safetensors: tensor \"{}\" dimension too large", name);
    e.shape.push_back(d.get<int64_t>());
  }
  for (const auto& o : *off)
    if (!o.is_number_unsigned() && !(o.is_number_integer() && o.get<int64_t>() >= 0))
      fail("safetensors: tensor \"{}\" data_offsets must be non-negative integers", name);
  e.begin = (*off)[0].get<uint64_t>();
  e.end = (*off)[1].get<uint64_t>();
  if (e.end < e.begin) fail("safetensors: tensor \"{}\" ends before it begins", name);
  uint64_t want = checked_nbytes(name, e.shape, dtype_size(e.dtype));
  if (e.end - e.begin != want)
    fail("safetensors: tensor \"{}\" holds {} bytes but {}{} needs {}", name, e.end - e.begin,
         dtype_name(e.dtype), nlohmann::json(e.shape).dump(), want);
  return e;
}

}  // namespace

int64_t TensorEntry::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

SafetensorsHeader parse_safetensors(const uint8_t* bytes, size_t size) {
  if (size < 8) fail("safetensors: file is {} bytes, shorter than the 8-byte header length", size);
  uint64_t hlen = read_u64_le(bytes);
  if (hlen > kMaxHeaderBytes) fail("safetensors: header length {} exceeds the 100 MB limit", hlen);
  if (hlen > size - 8) fail("safetensors: header length {} is longer than the file ({} bytes)", hlen, size);
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(bytes + 8, bytes + 8 + hlen);
  } catch (const nlohmann::json::exception& e) {
    fail("safetensors: header is not valid JSON: {}", e.what());
  }
  if (!header.is_object()) fail("safetensors: header is not a JSON object");

  SafetensorsHeader out;
  out.data_start = 8 + hlen;
  const uint64_t data_size = size - out.data_start;
  for (auto it = header.begin(); it != header.end(); ++it) {
    if (it.key() == "__metadata__") {
      if (!it->is_object()) fail("safetensors: __metadata__ is not an object");
      for (auto m = it->begin(); m != it->end(); ++m) {
        if (!m->is_string()) fail("safetensors: metadata value \"{}\" is not a string", m.key());
        out.metadata[m.key()] = m->get<std::string>();
      }
      continue;
    }
    TensorEntry e = parse_entry(it.key(), *it);
    if (e.end > data_size)
      fail("safetensors: tensor \"{}\" bytes [{}, {}) run past the end of the data ({} bytes); file truncated?",
           e.name, e.begin, e.end, data_size);
    e.data = bytes + out.data_start + e.begin;
    out.tensors.push_back(std::move(e));
  }
  std::sort(out.tensors.begin(), out.tensors.end(),
            [](const TensorEntry& a, const TensorEntry& b) { return a.begin < b.begin || (a.begin == b.begin && a.end < b.end); });
  for (size_t i = 1; i < out.tensors.size(); ++i) {
    const auto& prev = out.tensors[i - 1];
    const auto& cur = out.tensors[i];
    if (cur.begin < prev.end) fail("safetensors: tensors \"{}\" and \"{}\" overlap", prev.name, cur.name);
  }
  return out;
}

std::shared_ptr<SafetensorsFile> SafetensorsFile::open(const std::string& path) {
  auto f = std::make_shared<SafetensorsFile>();
  f->file_ = MappedFile::open(path);
  try {
    f->header_ = parse_safetensors(f->file_->data(), f->file_->size());
  } catch (const Error& e) {
    fail("{}: {}", path, e.what());
  }
  for (size_t i = 0; i < f->header_.tensors.size(); ++i) f->index_[f->header_.tensors[i].name] = i;
  return f;
}

const TensorEntry* SafetensorsFile::find(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &header_.tensors[it->second];
}

const TensorEntry& SafetensorsFile::at(const std::string& name) const {
  const TensorEntry* e = find(name);
  if (!e) fail("{}: no tensor named \"{}\"", path(), name);
  return *e;
}

void write_safetensors(const std::string& path, const std::map<std::string, TensorBytes>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  nlohmann::json header = nlohmann::json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  uint64_t offset = 0;
  for (const auto& [name, t] : tensors) {
    uint64_t want = checked_nbytes(name, t.shape, dtype_size(t.dtype));
    if (want != t.bytes.size()) fail("write_safetensors: \"{}\" has {} bytes, shape needs {}", name, t.bytes.size(), want);
    header[name] = {{"dtype", dtype_name(t.dtype)}, {"shape", t.shape}, {"data_offsets", {offset, offset + want}}};
    offset += want;
  }
  std::string h = header.dump();
  while (h.size() % 8) h.push_back(' ');  // keeps the data buffer 8-byte aligned
  std::ofstream out(path, std::ios::binary);
  if (!out) fail("cannot write {}", path);
  uint8_t len[8];
  uint64_t n = h.size();
  for (int i = 0; i < 8; ++i) len[i] = static_cast<uint8_t>(n >> (8 * i));
  out.write(reinterpret_cast<const char*>(len), 8);
  out.write(h.data(), static_cast<std::streamsize>(h.size()));
  for (const auto& [name, t] : tensors) out.write(t.bytes.data(), static_cast<std::streamsize>(t.bytes.size()));
  if (!out) fail("error writing {}", path);
}

}  // namespace argus::io
