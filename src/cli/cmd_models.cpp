// `argus models`: what the Hugging Face cache holds; `argus models rm org/name` deletes one.
#include "cli/commands.h"
#include "hub/cache.h"
#include "hub/settings.h"
#include "util/error.h"
#include "util/progress.h"

namespace argus::cli {

void add_models(CLI::App& app) {
  auto* cmd = app.add_subcommand("models", "List the models in the Hugging Face cache");
  auto json = std::make_shared<bool>(false);
  cmd->add_flag("--json", *json, "print JSON");
  cmd->callback([cmd, json] {
    if (!cmd->get_subcommands().empty()) return;  // `models rm` ran
    const auto root = hub::cache_dir();
    const auto models = hub::list_cached(root);
    if (*json) {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& m : models)
        out.push_back({{"id", m.id}, {"refs", m.refs}, {"commits", m.commits}, {"bytes", m.bytes},
                       {"model_type", m.model_type}});
      return print_json({{"cache", root.string()}, {"models", out}});
    }
    if (models.empty()) return (void)std::printf("no models in %s\n", root.c_str());
    std::printf("%-40s %-24s %10s  %s\n", "MODEL", "REVISION", "SIZE", "FAMILY");
    for (const auto& m : models) {
      std::string revs;
      for (const auto& [rev, commit] : m.refs) revs += (revs.empty() ? "" : ",") + rev + "@" + commit.substr(0, 8);
      if (revs.empty() && !m.commits.empty()) revs = m.commits.back().substr(0, 8);
      std::printf("%-40s %-24s %10s  %s\n", m.id.c_str(), revs.c_str(), human_bytes(m.bytes).c_str(),
                  m.model_type.empty() ? "-" : m.model_type.c_str());
    }
  });
  auto* rm = cmd->add_subcommand("rm", "Delete a model from the Hugging Face cache");
  auto id = std::make_shared<std::string>();
  rm->add_option("model", *id, "org/name")->required();
  rm->callback([id] {
    auto repo = hub::parse_repo_id(*id);
    const auto root = hub::cache_dir();
    if (!hub::remove_cached(root, repo)) fail("{} is not in the Hugging Face cache ({})", repo.id, root.string());
    std::printf("removed %s\n", repo.id.c_str());
  });
}

}  // namespace argus::cli
