#include "tasks/image_index.h"

#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <functional>
#include <filesystem>
#include <fstream>
#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <faiss/IndexFlat.h>
#include <faiss/IndexIDMap.h>
#include <faiss/index_io.h>

#include "image/decode.h"
#include "util/error.h"
#include "util/hash.h"
#include "util/progress.h"

namespace fs = std::filesystem;

namespace argus::tasks {

namespace {

// A prepared statement that finalises itself.
class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql, -1, &s_, nullptr) != SQLITE_OK) fail("index database: {}", sqlite3_errmsg(db));
  }
  ~Stmt() { sqlite3_finalize(s_); }
  Stmt& bind(int i, const std::string& v) {
    sqlite3_bind_text(s_, i, v.c_str(), -1, SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& bind(int i, int64_t v) {
    sqlite3_bind_int64(s_, i, v);
    return *this;
  }
  Stmt& bind_blob(int i, const void* p, size_t n) {
    sqlite3_bind_blob(s_, i, p, static_cast<int>(n), SQLITE_TRANSIENT);
    return *this;
  }
  bool row() {
    int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return true;
    if (rc != SQLITE_DONE) fail("index database: {}", sqlite3_errmsg(db_));
    return false;
  }
  void run() {
    row();
    reset();
  }
  void reset() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  int64_t i64(int c) { return sqlite3_column_int64(s_, c); }
  std::string text(int c) {
    auto p = sqlite3_column_text(s_, c);
    return p ? reinterpret_cast<const char*>(p) : "";
  }
  const void* blob(int c) { return sqlite3_column_blob(s_, c); }
  int bytes(int c) { return sqlite3_column_bytes(s_, c); }

 private:
  sqlite3* db_;
  sqlite3_stmt* s_ = nullptr;
};

void exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    fail("index database: {}", msg);
  }
}

bool is_image_file(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png" || ext == ".webp";
}

// PRAGMA application_id of argus's index databases: "argI".
constexpr int64_t kIndexApplicationId = 0x61726749;

// FNV-1a of a file's bytes ("" when unreadable): what the database remembers of the
// .faiss file it wrote.
std::string file_hash(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  Fnv1a h;
  std::vector<char> buf(1 << 20);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    h.add(buf.data(), static_cast<size_t>(in.gcount()));
  }
  return h.hex();
}

int64_t mtime_ns(const fs::path& p) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(fs::last_write_time(p).time_since_epoch()).count();
}

}  // namespace

ImageIndex::ImageIndex(const std::string& db_path, Mode mode) : db_path_(db_path) {
  std::error_code ec;
  if (mode == Mode::Search && !fs::is_regular_file(db_path, ec))
    fail("no index database at {} (make one with `argus index build --db {}`)", db_path, db_path);
  const int flags = mode == Mode::Build ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READWRITE;
  if (sqlite3_open_v2(db_path.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    fail("cannot open index database {}: {}", db_path, msg);
  }
  // A search reading while a build commits (or the other way round) waits its turn.
  sqlite3_busy_timeout(db_, 10000);
  try {
    check_identity(mode);
  } catch (...) {
    sqlite3_close(db_);
    db_ = nullptr;
    throw;
  }
}

void ImageIndex::check_identity(Mode mode) {
  int64_t app_id = 0;
  {
    Stmt s(db_, "PRAGMA application_id");
    if (s.row()) app_id = s.i64(0);
  }
  std::vector<std::string> tables;
  {
    Stmt s(db_, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name");
    while (s.row()) tables.push_back(s.text(0));
  }
  // Indexes written before the mark have exactly these two tables: adopted as argus's.
  const bool ours = app_id == kIndexApplicationId ||
                    (app_id == 0 && tables == std::vector<std::string>{"images", "meta"});
  if (!ours && !(tables.empty() && app_id == 0))
    fail("{} is a SQLite database that argus did not make (application_id {}, tables: {}); refusing to use it as an "
         "index",
         db_path_, app_id, tables.empty() ? "none" : fmt::format("{}", fmt::join(tables, ", ")));
  if (!ours && mode == Mode::Search)
    fail("{} is an empty database, not an index (make one with `argus index build`)", db_path_);
  if (mode == Mode::Build) {
    exec(db_,
         "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);"
         "CREATE TABLE IF NOT EXISTS images(id INTEGER PRIMARY KEY, path TEXT UNIQUE NOT NULL,"
         " size INTEGER, mtime INTEGER, embedding BLOB NOT NULL);");
    exec(db_, fmt::format("PRAGMA application_id = {}", kIndexApplicationId).c_str());
  }
}

ImageIndex::~ImageIndex() { sqlite3_close(db_); }

std::string ImageIndex::meta(const std::string& key) const {
  Stmt s(db_, "SELECT value FROM meta WHERE key = ?");
  s.bind(1, key);
  return s.row() ? s.text(0) : "";
}

void ImageIndex::set_meta(const std::string& key, const std::string& value) {
  Stmt(db_, "INSERT OR REPLACE INTO meta(key, value) VALUES(?, ?)").bind(1, key).bind(2, value).run();
}

std::string ImageIndex::model_dir() const { return meta("model_dir"); }

int64_t ImageIndex::size() const {
  Stmt s(db_, "SELECT COUNT(*) FROM images");
  return s.row() ? s.i64(0) : 0;
}

void ImageIndex::check_model(engine::DualEncoder& model) {
  std::string fp = meta("model_fingerprint");
  if (!fp.empty() && fp != model.fingerprint())
    fail("index {} was built with the model in {}; use that model (or a new --db)", db_path_, meta("model_dir"));
}

IndexStats ImageIndex::build(engine::DualEncoder& model, const std::string& folder, int batch_size) {
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) fail("{} is not a directory", folder);
  check_model(model);
  set_meta("model_fingerprint", model.fingerprint());
  set_meta("model_dir", fs::absolute(model.dir()).string());

  std::map<std::string, std::pair<int64_t, int64_t>> known;  // path -> (size, mtime)
  {
    Stmt s(db_, "SELECT path, size, mtime FROM images");
    while (s.row()) known[s.text(0)] = {s.i64(1), s.i64(2)};
  }
  struct Todo {
    std::string path;
    int64_t size, mtime;
  };
  std::vector<Todo> todo;
  std::map<std::string, bool> present;
  IndexStats st;
  for (auto it = fs::recursive_directory_iterator(folder, fs::directory_options::skip_permission_denied, ec);
       it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    if (!it->is_regular_file(ec) || !is_image_file(it->path())) continue;
    std::string path = fs::absolute(it->path()).lexically_normal().string();
    int64_t size = static_cast<int64_t>(it->file_size(ec));
    int64_t mt = mtime_ns(it->path());
    present[path] = true;
    auto k = known.find(path);
    if (k != known.end() && k->second == std::make_pair(size, mt))
      ++st.unchanged;
    else
      todo.push_back({path, size, mt});
  }
  std::sort(todo.begin(), todo.end(), [](const Todo& a, const Todo& b) { return a.path < b.path; });

  // Every batch is its own transaction (bumping the generation), so a killed build keeps
  // what it embedded; the next build skips those files as unchanged.
  auto in_transaction = [&](const std::function<void()>& work) {
    exec(db_, "BEGIN");
    try {
      work();
      set_meta("generation", std::to_string(std::stoll("0" + meta("generation")) + 1));
      exec(db_, "COMMIT");
    } catch (...) {
      exec(db_, "ROLLBACK");
      throw;
    }
  };
  Stmt del(db_, "DELETE FROM images WHERE path = ?");
  in_transaction([&] {
    for (const auto& [path, _] : known)
      if (!present.count(path)) {
        del.bind(1, path).run();
        ++st.removed;
      }
  });
  Stmt put(db_, "INSERT OR REPLACE INTO images(path, size, mtime, embedding) VALUES(?, ?, ?, ?)");
  Progress progress("indexing", static_cast<int64_t>(todo.size()));
  for (size_t start = 0; start < todo.size(); start += static_cast<size_t>(batch_size)) {
    size_t end = std::min(todo.size(), start + static_cast<size_t>(batch_size));
    in_transaction([&] {
      std::vector<image::Image> images;
      std::vector<const Todo*> ok;
      for (size_t i = start; i < end; ++i) {
        try {
          images.push_back(image::load_image(todo[i].path));
          ok.push_back(&todo[i]);
        } catch (const Error& e) {
          ++st.failed;
          st.failures.push_back(e.what());
          // A file that became unreadable must not keep its old embedding.
          del.bind(1, todo[i].path).run();
        }
      }
      if (!images.empty()) {
        at::Tensor emb = model.embed_images(images).contiguous().to(at::kFloat);
        for (size_t i = 0; i < ok.size(); ++i) {
          at::Tensor row = emb[static_cast<int64_t>(i)].contiguous();
          (known.count(ok[i]->path) ? st.updated : st.added) += 1;
          put.bind(1, ok[i]->path).bind(2, ok[i]->size).bind(3, ok[i]->mtime).bind_blob(4, row.data_ptr(), row.nbytes()).run();
        }
      }
    });
    progress.step(static_cast<int64_t>(end - start), fs::path(todo[end - 1].path).filename().string());
  }
  progress.finish();
  rebuild_faiss();
  return st;
}

void ImageIndex::rebuild_faiss() {
  Stmt s(db_, "SELECT id, embedding FROM images ORDER BY id");
  std::vector<float> vecs;
  std::vector<faiss::Index::idx_t> ids;
  int dim = 0;
  while (s.row()) {
    int n = s.bytes(1) / static_cast<int>(sizeof(float));
    if (dim == 0) dim = n;
    if (n != dim) fail("index database {} holds embeddings of different sizes", db_path_);
    auto p = static_cast<const float*>(s.blob(1));
    vecs.insert(vecs.end(), p, p + n);
    ids.push_back(s.i64(0));
  }
  set_meta("dim", std::to_string(dim));
  const std::string faiss_path = db_path_ + ".faiss";
  std::error_code ec;
  if (dim == 0) {
    fs::remove(faiss_path, ec);
  } else {
    faiss::IndexFlatIP flat(dim);
    faiss::IndexIDMap2 index(&flat);
    index.add_with_ids(static_cast<faiss::Index::idx_t>(ids.size()), vecs.data(), ids.data());
    // Beside, then renamed over: a reader (or a kill) never sees half a file.
    const std::string tmp = faiss_path + ".tmp" + std::to_string(::getpid());
    try {
      faiss::write_index(&index, tmp.c_str());
    } catch (const std::exception& e) {
      fs::remove(tmp, ec);
      fail("cannot write {}: {}", faiss_path, e.what());
    }
    fs::rename(tmp, faiss_path, ec);
    if (ec) {
      fs::remove(tmp, ec);
      fail("cannot write {}: {}", faiss_path, ec.message());
    }
  }
  set_meta("faiss_generation", meta("generation"));
  set_meta("faiss_count", std::to_string(ids.size()));
  set_meta("faiss_hash", dim == 0 ? "" : file_hash(faiss_path));
}

bool ImageIndex::faiss_is_current(const std::string& faiss_path) const {
  std::error_code ec;
  if (!fs::is_regular_file(faiss_path, ec)) return false;
  return meta("faiss_generation") == meta("generation") && meta("faiss_count") == std::to_string(size()) &&
         !meta("faiss_hash").empty() && meta("faiss_hash") == file_hash(faiss_path);
}

std::vector<SearchHit> ImageIndex::search(engine::DualEncoder& model, const at::Tensor& query, int k) {
  check_model(model);
  if (k <= 0) fail("-k must be positive");
  std::string faiss_path = db_path_ + ".faiss";
  if (size() == 0) return {};
  // The database is the truth: a .faiss file that is not the one it last wrote (a killed
  // build, a copy from elsewhere, an edit) is rebuilt rather than searched.
  if (!faiss_is_current(faiss_path)) rebuild_faiss();
  std::unique_ptr<faiss::Index> index;
  try {
    index.reset(faiss::read_index(faiss_path.c_str()));
  } catch (const std::exception& e) {
    fail("cannot read {}: {} (run `argus index build` again)", faiss_path, e.what());
  }
  at::Tensor q = query.contiguous().to(at::kFloat);
  if (q.size(-1) != index->d) fail("query embedding has {} dims, the index {}", q.size(-1), index->d);
  int n = static_cast<int>(std::min<int64_t>(k, index->ntotal));
  std::vector<float> dist(static_cast<size_t>(n));
  std::vector<faiss::Index::idx_t> labels(static_cast<size_t>(n));
  index->search(1, q.data_ptr<float>(), n, dist.data(), labels.data());
  std::vector<SearchHit> hits;
  Stmt s(db_, "SELECT path FROM images WHERE id = ?");
  for (int i = 0; i < n; ++i) {
    if (labels[static_cast<size_t>(i)] < 0) continue;
    s.bind(1, static_cast<int64_t>(labels[static_cast<size_t>(i)]));
    if (s.row()) hits.push_back({s.text(0), dist[static_cast<size_t>(i)]});
    s.reset();
  }
  return hits;
}

std::vector<SearchHit> ImageIndex::search_text(engine::DualEncoder& model, const std::string& text, int k) {
  return search(model, model.embed_texts({text})[0], k);
}

std::vector<SearchHit> ImageIndex::search_image(engine::DualEncoder& model, const image::Image& query, int k) {
  return search(model, model.embed_images({query})[0], k);
}

}  // namespace argus::tasks
