// Which files of a model repository `argus pull` fetches: by default what loading the
// model needs (config, tokenizer, processor and chat-template files, and one weight
// format: safetensors when offered, else PyTorch .bin, else .pth/.pt), never the
// ONNX/TF/Flax exports or subfolders; --include globs replace that choice and --exclude
// globs remove from it (fnmatch, as huggingface_hub's allow/ignore patterns).
#pragma once
#include <string>
#include <vector>

namespace argus::hub {

struct FileFilter {
  std::vector<std::string> include, exclude;
};

// The index file (e.g. model.safetensors.index.json) of a sharded checkpoint among
// `files`, "" when the chosen weight format is not sharded.
std::string shard_index(const std::vector<std::string>& files);

// The files to fetch from `files` (the repo's listing). `shards` are the weight files
// the shard index names (empty when not sharded): only those weights are taken then.
std::vector<std::string> select_files(const std::vector<std::string>& files, const FileFilter& filter,
                                      const std::vector<std::string>& shards = {});

// The weight files a shard index's JSON text names in its weight_map.
std::vector<std::string> parse_shard_index(const std::string& json_text, const std::string& what);

}  // namespace argus::hub
