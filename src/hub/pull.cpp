#include "hub/pull.h"

#include <cctype>
#include <fstream>
#include <map>
#include <sstream>

#include "hub/cache.h"
#include "hub/download.h"
#include "hub/http.h"
#include "hub/model_info.h"
#include "util/error.h"

namespace fs = std::filesystem;

namespace argus::hub {

namespace {

// Each path segment percent-encoded (file names may hold spaces, revisions slashes).
std::string encode(const std::string& s, bool keep_slash) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || (keep_slash && c == '/'))
      out += static_cast<char>(c);
    else
      out += fmt::format("%{:02X}", c);
  }
  return out;
}

std::string strip_etag(std::string e) {
  if (e.rfind("W/", 0) == 0) e = e.substr(2);
  if (e.size() >= 2 && e.front() == '"' && e.back() == '"') e = e.substr(1, e.size() - 2);
  return e;
}

// A non-success answer as the one line a user can act on.
[[noreturn]] void refuse(const HttpResponse& r, const RepoId& repo, const HubSettings& s, const std::string& file) {
  const std::string code = r.header("x-error-code");
  if (r.status == 401) {
    if (s.token.empty())
      fail("{}: the hub answered 401 (a private or gated repository, or none of that name): set HF_TOKEN to a "
           "token with access",
           repo.id);
    fail("{}: the hub refused the token in HF_TOKEN (401): it has no access to this repository, or there is none "
         "of that name",
         repo.id);
  }
  if (r.status == 403)
    fail("{}: access denied (403, a gated repository): accept its terms at {}/{} and set HF_TOKEN to a token of "
         "that account",
         repo.id, s.endpoint, repo.id);
  if (r.status == 404) {
    if (code == "RevisionNotFound") fail("{}: no revision \"{}\" on {}", repo.id, repo.revision, s.endpoint);
    if (code == "EntryNotFound" || !file.empty())
      fail("{}: no file \"{}\" at revision {}", repo.id, file, repo.revision);
    fail("{}: no such model repository on {}", repo.id, s.endpoint);
  }
  fail("{}: {} answered HTTP {}{}", repo.id, s.endpoint, r.status, file.empty() ? "" : " for " + file);
}

ModelInfo model_info(const Http& http, const RepoId& repo, const HubSettings& s) {
  auto r = http.get("/api/models/" + repo.id + "/revision/" + encode(repo.revision, false));
  if (r.status != 200) refuse(r, repo, s, "");
  return parse_model_info(r.body, repo.id + " model info from " + s.endpoint);
}

// HEAD of the resolve URL, without following the LFS redirect: its headers carry the
// blob's identity (X-Linked-Etag for LFS files, else ETag) and size.
RemoteFile file_metadata(const Http& http, const RepoId& repo, const std::string& commit, const std::string& name,
                         const HubSettings& s) {
  const std::string path = "/" + repo.id + "/resolve/" + commit + "/" + encode(name, true);
  auto r = http.head(path);
  if (r.status >= 400 || r.status < 200) refuse(r, repo, s, name);
  RemoteFile f{name, strip_etag(r.header("x-linked-etag")), -1, path};
  if (f.etag.empty()) f.etag = strip_etag(r.header("etag"));
  std::string size = r.header("x-linked-size");
  if (size.empty()) size = r.header("content-length");
  if (f.etag.empty() || f.etag.find('/') != std::string::npos || f.etag.rfind('.', 0) == 0)
    fail("{}: {}: the hub sent no usable ETag", repo.id, name);
  try {
    f.size = std::stoll(size);
  } catch (const std::exception&) {
    fail("{}: {}: the hub sent no file size", repo.id, name);
  }
  if (f.size < 0) fail("{}: {}: the hub sent a negative file size", repo.id, name);
  if (r.status >= 300 && !r.header("location").empty()) f.url = r.header("location");
  return f;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

fs::path pull(const RepoId& repo, const PullOptions& options, const HubSettings& s) {
  if (s.offline) {
    if (auto snap = find_cached(s.cache, repo)) return *snap;
    fail("{}@{} is not in the Hugging Face cache ({}) and HF_HUB_OFFLINE is set", repo.id, repo.revision,
         s.cache.string());
  }
  Http http(s.endpoint, s.token);
  const ModelInfo info = model_info(http, repo, s);
  RepoCache cache(s.cache, repo);
  std::map<std::string, RemoteFile> fetched;
  auto fetch = [&](const std::string& name) {
    if (auto it = fetched.find(name); it != fetched.end()) return it->second;
    RemoteFile f = file_metadata(http, repo, info.commit, name, s);
    fetch_blob(http, cache, f, options.progress);
    cache.link(info.commit, name, f.etag);
    return fetched[name] = f;
  };
  std::vector<std::string> files = select_files(info.files, options.filter);
  // A sharded checkpoint: its index says which weight files belong to it.
  const std::string index = shard_index(info.files);
  if (options.filter.include.empty() && !index.empty() &&
      std::find(files.begin(), files.end(), index) != files.end()) {
    RemoteFile f = fetch(index);
    auto shards = parse_shard_index(read_file(cache.blob(f.etag)), repo.id + ": " + index);
    files = select_files(info.files, options.filter, shards);
  }
  if (files.empty())
    fail("{}@{}: no files to fetch ({} in the repository; check --include/--exclude)", repo.id, repo.revision,
         info.files.size());
  for (const auto& name : files) fetch(name);
  if (repo.revision != info.commit) cache.write_ref(repo.revision, info.commit);
  return cache.snapshot(info.commit);
}

std::string resolve_model(const std::string& spec) {
  std::error_code ec;
  if (spec.empty() || fs::exists(spec, ec)) return spec;
  auto repo = try_parse_repo_id(spec);
  if (!repo) return spec;
  const HubSettings s = HubSettings::from_env();
  if (auto snap = find_cached(s.cache, *repo)) return snap->string();
  return pull(*repo, PullOptions{}, s).string();
}

}  // namespace argus::hub
