// `argus pull org/name[@revision]`: fetches a model from the Hugging Face hub into the
// shared cache and prints the snapshot directory (what --model DIR would take).
#include "cli/commands.h"
#include "hub/pull.h"

namespace argus::cli {

void add_pull(CLI::App& app) {
  auto* cmd = app.add_subcommand("pull", "Download a model from the Hugging Face hub into its cache");
  struct Opts {
    std::string spec;
    hub::PullOptions p;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("model", o->spec, "org/name or org/name@revision (branch, tag or commit)")->required();
  cmd->add_option("--include", o->p.filter.include,
                  "glob of files to fetch (repeatable), instead of the config, tokenizer and weight files");
  cmd->add_option("--exclude", o->p.filter.exclude, "glob of files not to fetch (repeatable)");
  cmd->add_flag("!--no-progress", o->p.progress, "no progress bars on stderr");
  cmd->callback([o] {
    auto dir = hub::pull(hub::parse_repo_id(o->spec), o->p, hub::HubSettings::from_env());
    std::printf("%s\n", dir.c_str());
  });
}

}  // namespace argus::cli
