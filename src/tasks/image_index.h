// An image collection index: embeddings in SQLite (the source of truth, with each
// file's size and mtime for incremental updates) and a FAISS inner-product index
// beside it (PATH.faiss), rebuilt from SQLite whenever the collection changes.
//
// Consistency: the database carries argus's mark (PRAGMA application_id) and is never
// created by a search, nor are tables added to a SQLite file argus did not make. A build
// commits every batch, so a killed one keeps what it embedded; each commit bumps a
// generation. The .faiss file is written beside and renamed into place, and the
// database records the generation, entry count and FNV-1a hash it was written for: a
// search that finds it stale, altered or missing rebuilds it from the database.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/dual_encoder.h"

struct sqlite3;

namespace argus::tasks {

struct IndexStats {
  int64_t added = 0, updated = 0, unchanged = 0, removed = 0, failed = 0;
  std::vector<std::string> failures;  // "path: reason"
};

struct SearchHit {
  std::string path;
  double score;  // cosine similarity
};

class ImageIndex {
 public:
  enum class Mode { Build, Search };
  // Build creates the database if need be; Search opens only an existing argus index.
  ImageIndex(const std::string& db_path, Mode mode);
  ~ImageIndex();
  ImageIndex(const ImageIndex&) = delete;
  ImageIndex& operator=(const ImageIndex&) = delete;

  // Embeds new and changed images under `folder` (recursively), drops vanished ones,
  // and reports unreadable files without stopping. Binds the index to the model.
  IndexStats build(engine::DualEncoder& model, const std::string& folder, int batch_size = 16);

  std::vector<SearchHit> search_text(engine::DualEncoder& model, const std::string& text, int k);
  std::vector<SearchHit> search_image(engine::DualEncoder& model, const image::Image& query, int k);
  // The checkpoint directory the index was built with.
  std::string model_dir() const;
  int64_t size() const;

 private:
  std::vector<SearchHit> search(engine::DualEncoder& model, const at::Tensor& query, int k);
  void check_model(engine::DualEncoder& model);
  void rebuild_faiss();
  bool faiss_is_current(const std::string& faiss_path) const;
  void check_identity(Mode mode);
  std::string meta(const std::string& key) const;
  void set_meta(const std::string& key, const std::string& value);
  std::string db_path_;
  sqlite3* db_ = nullptr;
};

}  // namespace argus::tasks
