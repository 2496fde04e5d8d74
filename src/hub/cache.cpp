#include "hub/cache.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "util/error.h"
#include "util/strings.h"

namespace fs = std::filesystem;

namespace argus::hub {

namespace {

std::string read_first_line(const fs::path& p) {
  std::ifstream in(p);
  std::string line;
  std::getline(in, line);
  return line;
}

// model_type from a snapshot's config.json; a missing or unreadable one is "" (the
// listing is informational and must not fail on one odd entry).
std::string model_type_of(const fs::path& snapshot) {
  std::ifstream in(snapshot / "config.json");
  if (!in) return "";
  auto j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("model_type") || !j["model_type"].is_string()) return "";
  return j["model_type"].get<std::string>();
}

// A name beside `p` no other writer uses (pid for processes, a counter for threads), for
// writing there and renaming over `p`: readers see the old or the new entry, never none.
fs::path scratch_name(const fs::path& p) {
  static std::atomic<unsigned> counter{0};
  return p.string() + ".tmp" + std::to_string(::getpid()) + "." + std::to_string(counter++);
}

}  // namespace

RepoCache::RepoCache(fs::path root, RepoId repo) : root_(std::move(root)), repo_(std::move(repo)) {}

fs::path RepoCache::lock_file(const std::string& etag) const {
  return root_ / ".locks" / repo_.folder() / (etag + ".lock");
}

std::optional<std::string> RepoCache::commit_for(const std::string& revision) const {
  std::error_code ec;
  if (is_commit_hash(revision) && fs::is_directory(snapshot(revision), ec)) return revision;
  const fs::path ref = dir() / "refs" / revision;
  if (!fs::is_regular_file(ref, ec)) return std::nullopt;
  std::string commit = read_first_line(ref);
  if (!is_commit_hash(commit)) return std::nullopt;
  return commit;
}

void RepoCache::write_ref(const std::string& revision, const std::string& commit) const {
  const fs::path ref = dir() / "refs" / revision;
  fs::create_directories(ref.parent_path());
  const fs::path tmp = scratch_name(ref);
  {
    std::ofstream out(tmp);
    out << commit;
    if (!out.flush()) fail("cannot write {}", tmp.string());
  }
  fs::rename(tmp, ref);
}

void RepoCache::link(const std::string& commit, const std::string& file, const std::string& etag) const {
  const fs::path target = snapshot(commit) / file;
  fs::create_directories(target.parent_path());
  const fs::path rel = fs::relative(blob(etag), target.parent_path());
  const fs::path tmp = scratch_name(target);
  fs::create_symlink(rel, tmp);
  fs::rename(tmp, target);
}

std::optional<fs::path> find_cached(const fs::path& root, const RepoId& repo) {
  RepoCache cache(root, repo);
  auto commit = cache.commit_for(repo.revision);
  std::error_code ec;
  if (!commit || !fs::is_directory(cache.snapshot(*commit), ec)) return std::nullopt;
  return cache.snapshot(*commit);
}

std::vector<CachedModel> list_cached(const fs::path& root) {
  std::vector<CachedModel> out;
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return out;
  for (const auto& e : fs::directory_iterator(root, ec)) {
    const std::string name = e.path().filename().string();
    if (!e.is_directory() || !starts_with(name, "models--")) continue;
    const size_t sep = name.find("--", 8);
    if (sep == std::string::npos) continue;
    CachedModel m;
    m.id = name.substr(8, sep - 8) + "/" + name.substr(sep + 2);
    const fs::path refs = e.path() / "refs";
    if (fs::is_directory(refs, ec))
      for (const auto& r : fs::recursive_directory_iterator(refs, ec))
        if (r.is_regular_file()) m.refs[fs::relative(r.path(), refs).string()] = read_first_line(r.path());
    if (fs::is_directory(e.path() / "snapshots", ec))
      for (const auto& s : fs::directory_iterator(e.path() / "snapshots", ec)) m.commits.push_back(s.path().filename());
    std::sort(m.commits.begin(), m.commits.end());
    if (fs::is_directory(e.path() / "blobs", ec))
      for (const auto& b : fs::directory_iterator(e.path() / "blobs", ec))
        if (b.is_regular_file()) m.bytes += b.file_size(ec);
    // The family of what `main` (else any snapshot) holds.
    auto main = m.refs.find("main");
    const std::string commit = main != m.refs.end() ? main->second : m.commits.empty() ? "" : m.commits.back();
    if (!commit.empty()) m.model_type = model_type_of(e.path() / "snapshots" / commit);
    out.push_back(std::move(m));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  return out;
}

bool remove_cached(const fs::path& root, const RepoId& repo) {
  std::error_code ec;
  const fs::path dir = root / repo.folder();
  if (!fs::exists(dir, ec)) return false;
  fs::remove_all(dir, ec);
  if (ec) fail("cannot remove {}: {}", dir.string(), ec.message());
  fs::remove_all(root / ".locks" / repo.folder(), ec);
  return true;
}

}  // namespace argus::hub
