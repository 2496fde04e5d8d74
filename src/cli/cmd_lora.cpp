#include <cstdio>

#include "cli/commands.h"
#include "hub/pull.h"
#include "tasks/lora_merge.h"

namespace argus::cli {

void add_lora(CLI::App& app) {
  auto* lora = app.add_subcommand("lora", "LoRA adapters (PEFT layout)");
  lora->require_subcommand(1);
  auto* merge = lora->add_subcommand("merge", "Fold an adapter into its base model, writing a plain checkpoint");
  struct Opts {
    std::string model, adapter, out;
  };
  auto o = std::make_shared<Opts>();
  merge->add_option("--model", o->model, "base checkpoint directory or org/name[@rev]")->required();
  merge->add_option("--lora", o->adapter, "adapter directory (adapter_config.json, adapter_model.safetensors)")->required();
  merge->add_option("--out", o->out, "new checkpoint directory")->required();
  merge->callback([o] {
    size_t layers = tasks::merge_lora_checkpoint(hub::resolve_model(o->model), o->adapter, o->out);
    std::fprintf(stderr, "merged %zu LoRA layers into %s\n", layers, o->out.c_str());
  });
}

}  // namespace argus::cli
