#include <map>

#include "cli/commands.h"
#include "hub/pull.h"
#include "engine/model_kind.h"
#include "io/checkpoint.h"
#include "io/json_file.h"

namespace argus::cli {

void add_inspect(CLI::App& app) {
  auto* cmd = app.add_subcommand("inspect", "Show a checkpoint's family, parameter count, dtypes and config summary");
  struct Opts {
    std::string model;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--model", o->model, "checkpoint directory or org/name[@rev] or .safetensors file")->required();
  cmd->add_flag("--json", o->json, "print JSON");
  cmd->callback([o] {
    const auto model = hub::resolve_model(o->model);
    auto ck = io::Checkpoint::open(model);
    auto kind = engine::model_kind(ck);
    int64_t params = 0;
    std::map<std::string, int64_t> dtypes;
    for (const auto& [name, ref] : ck.tensors()) {
      params += ref.entry->numel();
      dtypes[io::dtype_name(ref.entry->dtype)] += ref.entry->numel();
    }
    const auto& c = ck.config();
    nlohmann::json summary = nlohmann::json::object();
    for (const char* key : {"hidden_size", "num_hidden_layers", "num_attention_heads", "projection_dim", "vocab_size",
                            "max_position_embeddings", "image_size", "patch_size"}) {
      if (c.contains(key)) summary[key] = c[key];
      for (const char* sub : {"text_config", "vision_config"})
        if (c.contains(sub) && c[sub].is_object() && c[sub].contains(key)) summary[std::string(sub) + "." + key] = c[sub][key];
    }
    nlohmann::json out = {{"path", model},
                          {"family", engine::family_name(kind.family)},
                          {"model_type", kind.model_type},
                          {"architecture", kind.architecture},
                          {"parameters", params},
                          {"tensors", ck.tensors().size()},
                          {"bytes", ck.total_bytes()},
                          {"dtypes", dtypes},
                          {"config", summary}};
    if (o->json) return print_json(out);
    std::printf("%s  (%s, model_type %s)\n", kind.architecture.c_str(), engine::family_name(kind.family),
                kind.model_type.c_str());
    std::printf("parameters: %lld in %zu tensors, %.1f MB\n", static_cast<long long>(params), ck.tensors().size(),
                ck.total_bytes() / 1e6);
    for (const auto& [dt, n] : dtypes) std::printf("dtype %s: %lld values\n", dt.c_str(), static_cast<long long>(n));
    for (auto it = summary.begin(); it != summary.end(); ++it)
      std::printf("%s: %s\n", it.key().c_str(), it.value().dump().c_str());
  });
}

}  // namespace argus::cli
