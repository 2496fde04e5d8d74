// The Hugging Face hub cache, laid out exactly as huggingface_hub lays it out so that a
// model fetched by either tool is found by the other:
//
//   <cache>/models--org--name/blobs/<etag>            file contents, named by git sha1 or LFS sha256
//   <cache>/models--org--name/refs/<revision>         the commit a branch/tag pointed to when fetched
//   <cache>/models--org--name/snapshots/<commit>/<f>  relative symlinks into ../../blobs
//   <cache>/.locks/models--org--name/<etag>.lock      taken while a blob is being downloaded
#pragma once
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "hub/repo_id.h"

namespace argus::hub {

class RepoCache {
 public:
  RepoCache(std::filesystem::path root, RepoId repo);
  const RepoId& repo() const { return repo_; }
  std::filesystem::path dir() const { return root_ / repo_.folder(); }
  std::filesystem::path blob(const std::string& etag) const { return dir() / "blobs" / etag; }
  std::filesystem::path snapshot(const std::string& commit) const { return dir() / "snapshots" / commit; }
  std::filesystem::path lock_file(const std::string& etag) const;

  // The commit `revision` names in the cache: itself when it is a commit hash with a
  // snapshot, else what refs/<revision> holds; nothing when neither is there.
  std::optional<std::string> commit_for(const std::string& revision) const;
  void write_ref(const std::string& revision, const std::string& commit) const;
  // snapshots/<commit>/<file> -> ../../blobs/<etag> (deeper for files in subfolders).
  void link(const std::string& commit, const std::string& file, const std::string& etag) const;

 private:
  std::filesystem::path root_;
  RepoId repo_;
};

// The snapshot directory for repo@revision when the cache has it.
std::optional<std::filesystem::path> find_cached(const std::filesystem::path& root, const RepoId& repo);

struct CachedModel {
  std::string id;                           // org/name
  std::map<std::string, std::string> refs;  // revision -> commit
  std::vector<std::string> commits;         // snapshots present
  uintmax_t bytes = 0;                      // blobs on disk
  std::string model_type;                   // config.json's, "" when none
};

// Every model repository in the cache, by name.
std::vector<CachedModel> list_cached(const std::filesystem::path& root);

// Deletes a model's folder and its lock folder; false when it was not cached.
bool remove_cached(const std::filesystem::path& root, const RepoId& repo);

}  // namespace argus::hub
