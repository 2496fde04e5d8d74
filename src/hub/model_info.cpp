#include "hub/model_info.h"

#include <filesystem>

#include "hub/repo_id.h"
#include "io/json_file.h"
#include "util/error.h"

namespace argus::hub {

ModelInfo parse_model_info(const std::string& body, const std::string& what) {
  auto j = io::parse_json(body, what);
  ModelInfo info;
  if (!j.is_object() || !j.contains("sha") || !j["sha"].is_string() || !is_commit_hash(j["sha"].get<std::string>()))
    fail("{}: no commit hash (\"sha\")", what);
  info.commit = j["sha"].get<std::string>();
  if (!j.contains("siblings") || !j["siblings"].is_array()) fail("{}: no file list (\"siblings\")", what);
  for (const auto& f : j["siblings"]) {
    if (!f.is_object() || !f.contains("rfilename") || !f["rfilename"].is_string())
      fail("{}: a sibling without \"rfilename\"", what);
    std::string name = f["rfilename"].get<std::string>();
    // Names become paths under snapshots/<commit>: nothing may climb out of it.
    if (name.empty() || name[0] == '/' || std::filesystem::path(name).lexically_normal().string() != name ||
        name.rfind("..", 0) == 0)
      fail("{}: refusing the file name \"{}\"", what, name);
    info.files.push_back(std::move(name));
  }
  return info;
}

}  // namespace argus::hub
