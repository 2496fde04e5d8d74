#include <filesystem>
#include <map>

#include "cli/commands.h"
#include "hub/pull.h"
#include "engine/model_kind.h"
#include "io/checkpoint.h"
#include "io/gguf.h"
#include "io/json_file.h"
#include "models/llama/llama_gguf.h"
#include "models/open_clip/open_clip_load.h"
#include "nn/tensor_io.h"
#include "nn/torch_archive.h"
#include "nn/torch_state_dict.h"

namespace argus::cli {

namespace {

// What inspect reports about the tensors, whichever file format holds them.
struct TensorStats {
  int64_t params = 0;
  size_t tensors = 0, bytes = 0;
  std::map<std::string, int64_t> dtypes;  // safetensors spelling -> values
};

TensorStats stats_of(const io::Checkpoint& ck) {
  TensorStats s;
  for (const auto& [name, ref] : ck.tensors()) {
    s.params += ref.entry->numel();
    s.dtypes[io::dtype_name(ref.entry->dtype)] += ref.entry->numel();
  }
  s.tensors = ck.tensors().size();
  s.bytes = ck.total_bytes();
  return s;
}

// open_clip's pickled .bin or OpenAI's TorchScript .pt: no safetensors header to read
// the shapes from, so the tensors are read (nothing in them runs).
TensorStats stats_of_torch_file(const std::string& path) {
  const auto tensors = nn::is_torchscript_archive(path) ? nn::read_torchscript_tensors(path) : nn::read_torch_state_dict(path);
  TensorStats s;
  for (const auto& [name, t] : tensors) {
    s.params += t.numel();
    s.dtypes[io::dtype_name(nn::to_dtype(t.scalar_type()))] += t.numel();
    s.bytes += t.nbytes();
  }
  s.tensors = tensors.size();
  return s;
}

nlohmann::json open_clip_summary(const std::string& dir, const std::string& weights) {
  const auto c = models::open_clip::load_open_clip_config(dir);
  return {{"weights", std::filesystem::path(weights).filename().string()},
          {"embed_dim", c.embed_dim},
          {"activation", c.activation()},
          {"vision_cfg.tower", c.vision.resnet ? "ModifiedResNet" : "ViT"},
          {"vision_cfg.image_size", c.vision.image_size},
          {"vision_cfg.width", c.vision.width},
          {"vision_cfg.layers", c.vision.resnet ? nlohmann::json(c.vision.res_layers) : nlohmann::json(c.vision.layers)},
          {"text_cfg.width", c.text.width},
          {"text_cfg.layers", c.text.layers},
          {"text_cfg.context_length", c.text.context_length},
          {"text_cfg.vocab_size", c.text.vocab_size}};
}

nlohmann::json config_summary(const nlohmann::json& c) {
  nlohmann::json summary = nlohmann::json::object();
  for (const char* key : {"hidden_size", "num_hidden_layers", "num_attention_heads", "projection_dim", "vocab_size",
                          "max_position_embeddings", "image_size", "patch_size", "d_model", "num_queries"}) {
    if (c.contains(key)) summary[key] = c[key];
    for (const char* sub : {"text_config", "vision_config"})
      if (c.contains(sub) && c[sub].is_object() && c[sub].contains(key)) summary[std::string(sub) + "." + key] = c[sub][key];
  }
  return summary;
}

// A llama.cpp GGUF file: the tensor table (dtypes by their ggml names: F16, Q8_0, ...)
// and, where argus reads the architecture, the config.json its metadata becomes. An
// architecture argus does not run is still described, with the reason beside it.
struct GgufReport {
  engine::ModelKind kind;
  TensorStats stats;
  nlohmann::json summary;
  bool runs = true;  // false: an architecture argus does not run (summary says why)
};

GgufReport inspect_gguf(const std::string& path) {
  const auto f = io::GgufFile::open(path);
  GgufReport r;
  for (const auto& t : f->tensors()) {
    r.stats.params += t.numel();
    r.stats.bytes += t.nbytes;
    r.stats.dtypes[io::ggml_type_name(static_cast<uint32_t>(t.type))] += t.numel();
  }
  r.stats.tensors = f->tensors().size();
  const std::string arch = f->has_meta("general.architecture") ? f->meta_string("general.architecture") : "";
  r.kind = {engine::Family::Llama, arch, "GGUF " + arch};
  try {
    const nlohmann::json c = models::llama::gguf_llama_config(*f);
    r.kind.model_type = c.value("model_type", arch);
    r.summary = config_summary(c);
  } catch (const Error& e) {
    r.runs = false;
    r.summary = {{"unsupported", e.what()}};
  }
  r.summary["gguf.version"] = f->version();
  for (const char* key : {"general.architecture", "general.name", "tokenizer.ggml.model"})
    if (f->has_meta(key) && f->metadata()[key].is_string()) r.summary[key] = f->metadata()[key];
  r.summary["tokenizer.chat_template"] = f->has_meta("tokenizer.chat_template");
  return r;
}

}  // namespace

void add_inspect(CLI::App& app) {
  auto* cmd = app.add_subcommand("inspect", "Show a checkpoint's family, parameter count, dtypes and config summary");
  struct Opts {
    std::string model;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--model", o->model, "checkpoint directory, org/name[@rev], .safetensors or .gguf file")->required();
  cmd->add_flag("--json", o->json, "print JSON");
  cmd->callback([o] {
    const auto model = hub::resolve_model(o->model);
    engine::ModelKind kind;
    TensorStats st;
    nlohmann::json summary;
    bool runs = true;
    const bool open_clip = std::filesystem::is_directory(model) && models::open_clip::is_open_clip_dir(model);
    const std::string weights = open_clip ? models::open_clip::weights_file(model) : "";
    if (io::is_gguf_file(model)) {
      auto r = inspect_gguf(model);
      kind = r.kind;
      st = r.stats;
      summary = r.summary;
      runs = r.runs;
    } else if (open_clip && std::filesystem::path(weights).extension() != ".safetensors") {
      kind = {engine::Family::OpenClip, "open_clip", "CLIP (open_clip)"};
      st = stats_of_torch_file(weights);
    } else {
      auto ck = io::Checkpoint::open(model);
      kind = engine::model_kind(ck);
      st = stats_of(ck);
      summary = config_summary(ck.config());
    }
    if (open_clip) summary = open_clip_summary(model, weights);
    nlohmann::json out = {{"path", model},
                          {"family", engine::family_name(kind.family)},
                          {"model_type", kind.model_type},
                          {"architecture", kind.architecture},
                          {"parameters", st.params},
                          {"tensors", st.tensors},
                          {"bytes", st.bytes},
                          {"dtypes", st.dtypes},
                          {"config", summary}};
    if (!runs) out["family"] = nullptr;
    if (o->json) return print_json(out);
    std::printf("%s  (%s, model_type %s)\n", kind.architecture.c_str(), runs ? engine::family_name(kind.family) : "not supported",
                kind.model_type.c_str());
    std::printf("parameters: %lld in %zu tensors, %.1f MB\n", static_cast<long long>(st.params), st.tensors,
                st.bytes / 1e6);
    for (const auto& [dt, n] : st.dtypes) std::printf("dtype %s: %lld values\n", dt.c_str(), static_cast<long long>(n));
    for (auto it = summary.begin(); it != summary.end(); ++it)
      std::printf("%s: %s\n", it.key().c_str(), it.value().dump().c_str());
  });
}

}  // namespace argus::cli
