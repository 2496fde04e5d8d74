// `argus pull` and `--model org/name`: fetching a model repository from the Hugging Face
// hub (or a server speaking its API, HF_ENDPOINT) into the shared cache.
#pragma once
#include <filesystem>
#include <string>

#include "hub/file_selection.h"
#include "hub/repo_id.h"
#include "hub/settings.h"

namespace argus::hub {

struct PullOptions {
  FileFilter filter;
  bool progress = true;  // a bar per file on stderr
};

// Fetches repo@revision's files (those not already cached) and points refs/<revision>
// at its commit; returns the snapshot directory. Offline, returns the cached snapshot or
// fails saying it is not cached.
std::filesystem::path pull(const RepoId& repo, const PullOptions& options, const HubSettings& settings);

// What a --model value names: an existing file or directory as given, else a repo id
// found in the cache (refs -> snapshot), else pulled (unless offline). A value that is
// neither an existing path nor a repo id comes back unchanged for the loader to report.
std::string resolve_model(const std::string& spec);

}  // namespace argus::hub
