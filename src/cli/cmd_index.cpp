#include "cli/commands.h"
#include "hub/pull.h"
#include "image/decode.h"
#include "tasks/image_index.h"
#include "util/error.h"

namespace argus::cli {

void add_index(CLI::App& app) {
  auto* index = app.add_subcommand("index", "Build an image collection index for text/image search");
  index->require_subcommand(1);
  auto* build = index->add_subcommand("build", "Embed new and changed images of a folder into the index");
  struct BuildOpts {
    std::string model, images, db;
    int batch = 16;
  };
  auto b = std::make_shared<BuildOpts>();
  build->add_option("--model", b->model, "CLIP or SigLIP checkpoint directory or org/name[@rev]")->required();
  build->add_option("--images", b->images, "folder of images (searched recursively)")->required();
  build->add_option("--db", b->db, "index database (SQLite; the FAISS index is DB.faiss)")->required();
  build->add_option("--batch", b->batch, "images per forward pass")->check(CLI::Range(1, 1024));
  build->callback([b] {
    auto model = engine::DualEncoder::open(hub::resolve_model(b->model));
    tasks::ImageIndex idx(b->db, tasks::ImageIndex::Mode::Build);
    auto st = idx.build(*model, b->images, b->batch);
    for (const auto& f : st.failures) std::fprintf(stderr, "skipped: %s\n", f.c_str());
    std::printf("indexed %lld images: %lld added, %lld updated, %lld unchanged, %lld removed, %lld unreadable\n",
                static_cast<long long>(idx.size()), static_cast<long long>(st.added), static_cast<long long>(st.updated),
                static_cast<long long>(st.unchanged), static_cast<long long>(st.removed),
                static_cast<long long>(st.failed));
  });

  auto* search = app.add_subcommand("search", "Search an index by text or by example image");
  struct SearchOpts {
    std::string db, model, text, image;
    int k = 5;
    bool json = false;
  };
  auto s = std::make_shared<SearchOpts>();
  search->add_option("--db", s->db, "index database built by `argus index build`")->required();
  auto* t = search->add_option("--text", s->text, "text query");
  auto* i = search->add_option("--image", s->image, "image query");
  t->excludes(i);
  search->add_option("--model", s->model, "model (default: the one the index was built with)");
  search->add_option("-k", s->k, "number of results (1 to 1000000)")->check(CLI::Range(1, 1000000));
  search->add_flag("--json", s->json, "print JSON");
  search->callback([s] {
    if (s->text.empty() && s->image.empty()) fail("search needs --text or --image");
    tasks::ImageIndex idx(s->db, tasks::ImageIndex::Mode::Search);
    std::string model_dir = s->model.empty() ? idx.model_dir() : hub::resolve_model(s->model);
    if (model_dir.empty()) fail("{} is empty; run `argus index build` first", s->db);
    auto model = engine::DualEncoder::open(model_dir);
    auto hits = s->text.empty() ? idx.search_image(*model, image::load_image(s->image), s->k)
                                : idx.search_text(*model, s->text, s->k);
    if (s->json) {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& h : hits) out.push_back({{"path", h.path}, {"score", h.score}});
      return print_json({{"results", out}});
    }
    for (const auto& h : hits) std::printf("%.4f  %s\n", h.score, h.path.c_str());
  });
}

}  // namespace argus::cli
