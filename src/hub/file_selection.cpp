#include "hub/file_selection.h"

#include <fnmatch.h>

#include <algorithm>
#include <set>

#include "io/json_file.h"
#include "util/error.h"
#include "util/strings.h"

namespace argus::hub {

namespace {

// Weight formats in order of preference.
const char* const kWeightFormats[] = {".safetensors", ".bin", ".pth", ".pt"};

// Files with a weight extension that are training state, not weights.
bool is_training_state(const std::string& f) {
  return f == "training_args.bin" || starts_with(f, "optimizer.") || starts_with(f, "scheduler.") ||
         starts_with(f, "rng_state");
}

std::string weight_format(const std::string& f) {
  if (is_training_state(f)) return "";
  for (const char* ext : kWeightFormats)
    if (ends_with(f, ext)) return ext;
  return "";
}

bool top_level(const std::string& f) { return f.find('/') == std::string::npos; }

// The preferred weight format the repo offers, "" when it has no top-level weights.
std::string chosen_format(const std::vector<std::string>& files) {
  for (const char* ext : kWeightFormats)
    for (const auto& f : files)
      if (top_level(f) && weight_format(f) == ext) return ext;
  return "";
}

// "<something><ext>.index.json" for any weight format.
std::string index_format(const std::string& f) {
  if (!ends_with(f, ".index.json")) return "";
  return weight_format(f.substr(0, f.size() - 11));
}

bool is_support_file(const std::string& f) {
  for (const char* ext : {".json", ".txt", ".model", ".jinja", ".tiktoken"})
    if (ends_with(f, ext)) return true;
  return false;
}

bool matches_any(const std::string& f, const std::vector<std::string>& globs) {
  for (const auto& g : globs)
    if (fnmatch(g.c_str(), f.c_str(), 0) == 0) return true;
  return false;
}

}  // namespace

std::string shard_index(const std::vector<std::string>& files) {
  const std::string fmt = chosen_format(files);
  std::vector<std::string> found;
  for (const auto& f : files)
    if (top_level(f) && !fmt.empty() && index_format(f) == fmt) found.push_back(f);
  if (found.empty()) return "";
  // transformers' own name first (model.safetensors.index.json, pytorch_model.bin.index.json).
  for (const auto& f : found)
    if (f == "model" + fmt + ".index.json" || f == "pytorch_model" + fmt + ".index.json") return f;
  return *std::min_element(found.begin(), found.end());
}

std::vector<std::string> select_files(const std::vector<std::string>& files, const FileFilter& filter,
                                      const std::vector<std::string>& shards) {
  std::vector<std::string> out;
  const std::string fmt = chosen_format(files);
  const std::set<std::string> shard_set(shards.begin(), shards.end());
  for (const auto& f : files) {
    bool take;
    if (!filter.include.empty()) {
      take = matches_any(f, filter.include);
    } else if (!top_level(f)) {
      take = false;
    } else if (const std::string w = weight_format(f); !w.empty()) {
      take = w == fmt && (shard_set.empty() || shard_set.count(f));
    } else if (const std::string i = index_format(f); !i.empty()) {
      take = i == fmt;
    } else {
      take = is_support_file(f);
    }
    if (take && !matches_any(f, filter.exclude)) out.push_back(f);
  }
  return out;
}

std::vector<std::string> parse_shard_index(const std::string& json_text, const std::string& what) {
  auto j = io::parse_json(json_text, what);
  if (!j.is_object() || !j.contains("weight_map") || !j["weight_map"].is_object())
    fail("{}: no \"weight_map\" object", what);
  std::set<std::string> names;
  for (const auto& [key, file] : j["weight_map"].items()) {
    if (!file.is_string()) fail("{}: weight_map[\"{}\"] is not a file name", what, key);
    names.insert(file.get<std::string>());
  }
  return {names.begin(), names.end()};
}

}  // namespace argus::hub
