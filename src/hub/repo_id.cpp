#include "hub/repo_id.h"

#include <cctype>

#include "util/error.h"

namespace argus::hub {

namespace {

// The hub's rule for both halves: letters, digits, '-', '_', '.', at most 96 characters,
// not starting or ending with '-' or '.', and no "--" or ".." (which the cache folder
// name and paths rely on).
bool valid_part(const std::string& s) {
  if (s.empty() || s.size() > 96) return false;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') return false;
  if (s.front() == '-' || s.front() == '.' || s.back() == '-' || s.back() == '.') return false;
  return s.find("--") == std::string::npos && s.find("..") == std::string::npos;
}

// Branch and tag names as git allows them, minus what would escape refs/ in the cache.
bool valid_revision(const std::string& r) {
  if (r.empty() || r.size() > 255 || r.front() == '/' || r.back() == '/') return false;
  if (r.find("..") != std::string::npos || r.find("//") != std::string::npos) return false;
  for (char c : r)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.' && c != '/') return false;
  return true;
}

}  // namespace

std::string RepoId::folder() const {
  const size_t slash = id.find('/');
  return "models--" + id.substr(0, slash) + "--" + id.substr(slash + 1);
}

std::optional<RepoId> try_parse_repo_id(const std::string& spec) {
  const size_t at = spec.find('@');
  const std::string id = spec.substr(0, at);
  const size_t slash = id.find('/');
  if (slash == std::string::npos || !valid_part(id.substr(0, slash)) || !valid_part(id.substr(slash + 1)))
    return std::nullopt;
  RepoId r{id};
  if (at != std::string::npos) {
    r.revision = spec.substr(at + 1);
    if (!valid_revision(r.revision)) return std::nullopt;
  }
  return r;
}

RepoId parse_repo_id(const std::string& spec) {
  auto r = try_parse_repo_id(spec);
  if (!r) fail("\"{}\" is not a Hugging Face model id (expected org/name or org/name@revision)", spec);
  return *r;
}

bool is_commit_hash(const std::string& revision) {
  if (revision.size() != 40) return false;
  for (char c : revision)
    if (!std::isdigit(static_cast<unsigned char>(c)) && (c < 'a' || c > 'f')) return false;
  return true;
}

}  // namespace argus::hub
