// A Hugging Face model repository named as `org/name[@revision]`, and the folder name
// the hub's cache gives it (models--org--name).
#pragma once
#include <optional>
#include <string>

namespace argus::hub {

struct RepoId {
  std::string id;                 // "org/name"
  std::string revision = "main";  // branch, tag or 40-hex commit
  std::string folder() const;     // "models--org--name"
};

// Parses `org/name[@revision]`; an argus::Error naming the text when it is not one.
RepoId parse_repo_id(const std::string& spec);

// The same parse without the error, for telling a repo id from a local path that does
// not exist (`--model` takes either).
std::optional<RepoId> try_parse_repo_id(const std::string& spec);

// A full commit hash (40 lowercase hex), which needs no refs/ lookup.
bool is_commit_hash(const std::string& revision);

}  // namespace argus::hub
