#include "io/config_sizes.h"

#include <cstdlib>
#include <set>
#include <string>

#include "util/error.h"

namespace argus::io {

namespace {

struct Evidence {
  std::set<int64_t> dims;           // every dimension of every tensor
  std::set<int64_t> layer_indices;  // every all-digit segment of every key
};

Evidence evidence_of(const Checkpoint& ck) {
  Evidence e;
  for (const auto& [key, ref] : ck.tensors()) {
    for (int64_t d : ref.entry->shape) e.dims.insert(d);
    size_t start = 0;
    while (start <= key.size()) {
      size_t dot = key.find('.', start);
      if (dot == std::string::npos) dot = key.size();
      const std::string seg = key.substr(start, dot - start);
      if (!seg.empty() && seg.size() <= 9 && seg.find_first_not_of("0123456789") == std::string::npos)
        e.layer_indices.insert(std::atoll(seg.c_str()));
      start = dot + 1;
    }
  }
  return e;
}

void check_section(const nlohmann::json& c, const std::string& prefix, const Evidence& e, const std::string& what) {
  auto int_value = [&](const char* key, int64_t& out) {
    auto it = c.find(key);
    if (it == c.end() || !it->is_number_integer()) return false;
    out = it->get<int64_t>();
    return true;
  };
  int64_t v = 0;
  for (const char* key : {"hidden_size", "vocab_size"})
    // BLIP-2's Q-Former runs its learned queries alone: its text vocabulary sizes no
    // tensor that the checkpoint holds or argus builds.
    if (int_value(key, v) && !e.dims.count(v) && prefix + key != "qformer_config.vocab_size")
      fail("{}: {}{} is {}, but no tensor of the checkpoint has a dimension of that size", what, prefix, key, v);
  if (int_value("num_hidden_layers", v)) {
    if (v < 0) fail("{}: {}num_hidden_layers is {}, which is negative", what, prefix, v);
    if (v > 0 && !e.layer_indices.count(v - 1))
      fail("{}: {}num_hidden_layers is {}, but no tensor of the checkpoint belongs to a layer {}", what, prefix, v,
           v - 1);
  }
  int64_t patch = 0;
  if (int_value("image_size", v) && int_value("patch_size", patch) && patch > 0 && !c.contains("depths")) {
    const int64_t grid = v / patch;
    const bool fits = v > 0 && (e.dims.count(grid) || (grid <= 3037000499 && (e.dims.count(grid * grid) ||
                                                                             e.dims.count(grid * grid + 1))));
    if (!fits)
      fail("{}: {}image_size is {} (a {}x{} grid of {}-pixel patches), but no position embedding of the checkpoint "
           "has that many positions",
           what, prefix, v, grid, grid, patch);
  }
  for (auto it = c.begin(); it != c.end(); ++it)
    if (it->is_object()) check_section(*it, prefix + it.key() + ".", e, what);
}

}  // namespace

void check_config_sizes(const Checkpoint& ck) {
  if (!ck.has_config() || ck.tensors().empty() || !ck.config().is_object()) return;
  check_section(ck.config(), "", evidence_of(ck), ck.dir() + "/config.json");
}

}  // namespace argus::io
