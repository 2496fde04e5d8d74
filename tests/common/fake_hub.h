// A stand-in for the Hugging Face hub, bound to 127.0.0.1 on a free port, speaking the
// parts of its API argus uses: model info (/api/models/{id}/revision/{rev} with `sha` and
// `siblings`), resolve (/{id}/resolve/{rev}/{file} with X-Repo-Commit and ETag; large
// "LFS" files answer 302 to /lfs/{sha256} with X-Linked-Etag/X-Linked-Size, as the
// hub redirects to its CDN), byte ranges on /lfs, and the hub's 401/403/404 answers with
// X-Error-Code. Knobs break transfers the ways a real network or server can, and
// use_cdn() moves the LFS bodies to a second origin, as the hub's CDN is one.
#pragma once
#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "hub/digest.h"

namespace argus::test {

class FakeHub {
 public:
  using Files = std::map<std::string, std::string>;  // path in repo -> bytes

  // Files from this size on, and all weights, are served as LFS files.
  static constexpr size_t kLfsFrom = 1000000;

  std::atomic<int64_t> cut_lfs_after{-1};      // close LFS transfers after this many bytes of the file
  std::atomic<bool> corrupt_lfs{false};        // flip one byte of LFS bodies (a hash mismatch)
  std::atomic<int64_t> lfs_size_error{0};      // announce X-Linked-Size off by this much
  std::atomic<int> lfs_transfers{0};           // GETs of /lfs bodies

  FakeHub() {
    svr_.Get(R"(/api/models/([^/]+/[^/]+)/revision/(.+))", [this](const auto& q, auto& r) { model_info(q, r); });
    svr_.Get(R"(/([^/]+/[^/]+)/resolve/([^/]+)/(.+))", [this](const auto& q, auto& r) { resolve(q, r); });
    svr_.Get(R"(/lfs/([0-9a-f]{64}))", [this](const auto& q, auto& r) { lfs(q, r); });
    port_ = svr_.bind_to_any_port("127.0.0.1");  // listening from here on: requests queue until the thread runs
    thread_ = std::thread([this] { svr_.listen_after_bind(); });
  }
  ~FakeHub() {
    svr_.stop();
    thread_.join();
    if (cdn_thread_.joinable()) {
      cdn_.stop();
      cdn_thread_.join();
    }
  }

  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }

  // From now on LFS redirects point at a second server (another port: another origin),
  // as the hub's point at its CDN. Call before requests are made.
  void use_cdn() {
    cdn_.Get(R"(/lfs/([0-9a-f]{64}))", [this](const auto& q, auto& r) { lfs(q, r); });
    cdn_port_ = cdn_.bind_to_any_port("127.0.0.1");
    cdn_thread_ = std::thread([this] { cdn_.listen_after_bind(); });
  }
  std::string lfs_origin() const { return cdn_port_ ? "http://127.0.0.1:" + std::to_string(cdn_port_) : endpoint(); }

  // Every request's path and Authorization header ("" for none), in order, with the
  // origin that received it.
  struct Seen {
    std::string origin, path, authorization;
  };
  std::vector<Seen> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return seen_;
  }

  // A model repo whose files are a fixture directory's (without its io.* reference
  // data) plus `extra`, committed on `main`; returns the commit.
  std::string add_fixture(const std::string& id, const std::filesystem::path& dir, const Files& extra = {}) {
    Files files = extra;
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
      const std::string name = e.path().filename();
      if (name.rfind("io.", 0) == 0) continue;
      std::ifstream in(e.path(), std::ios::binary);
      std::stringstream ss;
      ss << in.rdbuf();
      files[name] = ss.str();
    }
    return commit(id, files);
  }

  // A new commit of `files` on `branch` (moving it); returns its hash.
  std::string commit(const std::string& id, const Files& files, const std::string& branch = "main") {
    std::lock_guard<std::mutex> lock(mu_);
    const std::string c = hash(id + std::to_string(++commits_), hub::Digest::git_sha1);
    Repo& repo = repos_[id];
    repo.commits[c] = files;
    repo.refs[branch] = c;
    for (const auto& [name, bytes] : files)
      if (is_lfs(name, bytes)) blobs_[hash(bytes, hub::Digest::sha256)] = bytes;
    return c;
  }

  // Refuse the repo with `status` (401 private, 403 gated) unless the request carries `token`.
  void restrict(const std::string& id, int status, const std::string& token) {
    std::lock_guard<std::mutex> lock(mu_);
    repos_[id].deny = status;
    repos_[id].token = token;
  }

  // The Range headers /lfs requests carried ("" for none), in order.
  std::vector<std::string> ranges() {
    std::lock_guard<std::mutex> lock(mu_);
    return ranges_;
  }

  static std::string hash(const std::string& bytes, hub::Digest::Kind kind) {
    hub::Digest d(kind, bytes.size());
    d.add(bytes.data(), bytes.size());
    return d.hex();
  }

 private:
  struct Repo {
    std::map<std::string, std::string> refs;
    std::map<std::string, Files> commits;
    int deny = 0;
    std::string token;
  };

  static bool is_lfs(const std::string& name, const std::string& bytes) {
    for (const char* ext : {".safetensors", ".bin", ".pth"})
      if (name.size() > std::strlen(ext) && name.compare(name.size() - std::strlen(ext), std::string::npos, ext) == 0)
        return true;
    return bytes.size() >= kLfsFrom;
  }

  static void error(httplib::Response& r, int status, const char* code) {
    r.status = status;
    r.set_header("X-Error-Code", code);
    r.set_content(std::string("{\"error\":\"") + code + "\"}", "application/json");
  }

  // The repo and commit a request names, or nullptr after writing the hub's error.
  const Files* find(const httplib::Request& q, httplib::Response& r, std::string& commit) {
    seen_.push_back({endpoint(), q.path, q.get_header_value("Authorization")});
    auto it = repos_.find(q.matches[1]);
    if (it == repos_.end()) return error(r, 404, "RepoNotFound"), nullptr;
    const Repo& repo = it->second;
    if (repo.deny && q.get_header_value("Authorization") != "Bearer " + repo.token)
      return error(r, repo.deny, repo.deny == 403 ? "GatedRepo" : "RepoNotFound"), nullptr;
    commit = q.matches[2];
    if (auto ref = repo.refs.find(commit); ref != repo.refs.end()) commit = ref->second;
    auto c = repo.commits.find(commit);
    if (c == repo.commits.end()) return error(r, 404, "RevisionNotFound"), nullptr;
    return &c->second;
  }

  void model_info(const httplib::Request& q, httplib::Response& r) {
    std::lock_guard<std::mutex> lock(mu_);
    std::string commit;
    const Files* files = find(q, r, commit);
    if (!files) return;
    nlohmann::json siblings = nlohmann::json::array();
    for (const auto& f : *files) siblings.push_back({{"rfilename", f.first}});
    r.set_content(nlohmann::json{{"id", q.matches[1]}, {"sha", commit}, {"siblings", siblings}}.dump(),
                  "application/json");
  }

  void resolve(const httplib::Request& q, httplib::Response& r) {
    std::lock_guard<std::mutex> lock(mu_);
    std::string commit;
    const Files* files = find(q, r, commit);
    if (!files) return;
    auto f = files->find(q.matches[3]);
    if (f == files->end()) return error(r, 404, "EntryNotFound");
    r.set_header("X-Repo-Commit", commit);
    const std::string& bytes = f->second;
    if (!is_lfs(f->first, bytes)) {
      r.set_header("ETag", "\"" + hash(bytes, hub::Digest::git_sha1) + "\"");
      return r.set_content(bytes, "application/octet-stream");
    }
    const std::string sha = hash(bytes, hub::Digest::sha256);
    r.status = 302;
    r.set_header("Location", lfs_origin() + "/lfs/" + sha);
    r.set_header("ETag", "\"pointer-" + sha.substr(0, 8) + "\"");  // the pointer file's, not the blob's
    r.set_header("X-Linked-Etag", "\"" + sha + "\"");
    r.set_header("X-Linked-Size", std::to_string(static_cast<int64_t>(bytes.size()) + lfs_size_error));
  }

  void lfs(const httplib::Request& q, httplib::Response& r) {
    std::string bytes;
    {
      std::lock_guard<std::mutex> lock(mu_);
      ranges_.push_back(q.get_header_value("Range"));
      // Which server answered: its port is the one the request was sent to.
      seen_.push_back({q.local_port == cdn_port_ ? lfs_origin() : endpoint(), q.path, q.get_header_value("Authorization")});
      bytes = blobs_.at(q.matches[1]);
    }
    ++lfs_transfers;
    if (corrupt_lfs) bytes[bytes.size() / 2] ^= 0x5a;
    const int64_t cut = cut_lfs_after;
    auto body = std::make_shared<std::string>(std::move(bytes));
    // httplib applies the Range: the provider is asked for [offset, offset + length).
    r.set_content_provider(body->size(), "application/octet-stream",
                           [body, cut](size_t offset, size_t length, httplib::DataSink& sink) {
                             size_t end = offset + std::min<size_t>(length, 65536);
                             if (cut >= 0 && end > static_cast<size_t>(cut)) end = static_cast<size_t>(cut);
                             if (end <= offset) return false;  // the "killed" transfer: close the connection
                             return sink.write(body->data() + offset, end - offset);
                           });
  }

  httplib::Server svr_, cdn_;
  int port_ = 0, cdn_port_ = 0;
  std::thread thread_, cdn_thread_;
  std::mutex mu_;
  std::map<std::string, Repo> repos_;
  std::map<std::string, std::string> blobs_;  // sha256 -> bytes of LFS files
  std::vector<std::string> ranges_;
  std::vector<Seen> seen_;
  int commits_ = 0;
};

}  // namespace argus::test
