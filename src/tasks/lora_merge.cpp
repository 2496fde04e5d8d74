#include "tasks/lora_merge.h"

#include <filesystem>
#include <map>

#include "engine/model_kind.h"
#include "io/checkpoint.h"
#include "models/llava/llava_load.h"
#include "models/llava_next/llava_next_load.h"
#include "nn/lora.h"
#include "nn/tensor_io.h"
#include "util/error.h"

namespace fs = std::filesystem;

namespace argus::tasks {

size_t merge_lora_checkpoint(const std::string& base, const std::string& adapter, const std::string& out) {
  std::error_code ec;
  if (fs::exists(out, ec) && !fs::is_empty(out, ec)) fail("{} exists and is not empty; choose a new directory", out);
  nn::LoraAdapter a = nn::read_lora_adapter(adapter);
  auto ck = io::Checkpoint::open(base);
  // Adapters name layers in their trainer's layout; the family's rename table makes the
  // checkpoint's keys and the adapter's meet whichever layout each uses.
  nn::KeyRename rename = [](const std::string& k) { return k; };
  const engine::Family family = engine::model_kind(ck).family;
  if (family == engine::Family::Llava) rename = models::llava::llava_key_name;
  if (family == engine::Family::LlavaNext) rename = models::llava_next::llava_next_key_name;
  std::map<std::string, at::Tensor> tensors;
  for (const auto& [key, ref] : ck.tensors()) tensors[key] = nn::view_tensor(ref).clone();
  nn::merge_lora_into(tensors, a, rename);

  fs::create_directories(out);
  nn::save_safetensors((fs::path(out) / "model.safetensors").string(), tensors);
  for (const auto& e : fs::directory_iterator(base)) {
    const std::string name = e.path().filename().string();
    if (!e.is_regular_file() || e.path().extension() == ".safetensors" || name == "model.safetensors.index.json")
      continue;
    fs::copy_file(e.path(), fs::path(out) / name, fs::copy_options::overwrite_existing);
  }
  return a.layers.size();
}

}  // namespace argus::tasks
