#include "server/model_pool.h"

#include <filesystem>

#include "io/checkpoint.h"
#include "io/gguf.h"
#include "models/open_clip/open_clip_load.h"
#include "models/sam/sam_meta_checkpoint.h"
#include "server/api_error.h"

namespace argus::server {

namespace {

Role role_of(engine::Family f) {
  switch (f) {
    case engine::Family::Llama:
    case engine::Family::Llava:
    case engine::Family::LlavaNext: return Role::Chat;
    case engine::Family::Clip:
    case engine::Family::OpenClip:
    case engine::Family::Siglip: return Role::Embed;
    case engine::Family::OwlVit:
    case engine::Family::Owlv2:
    case engine::Family::GroundingDino:
    case engine::Family::Detr: return Role::Detect;
    case engine::Family::Sam: return Role::Segment;
    default: fail("model family {} cannot be served yet", engine::family_name(f));
  }
}

size_t file_bytes(const std::string& path) {
  std::error_code ec;
  auto n = std::filesystem::file_size(path, ec);
  return ec ? 0 : static_cast<size_t>(n);
}

}  // namespace

const char* role_name(Role r) {
  switch (r) {
    case Role::Chat: return "chat";
    case Role::Embed: return "embeddings";
    case Role::Detect: return "detection";
    case Role::Segment: return "segmentation";
  }
  return "?";
}

ModelPool::ModelPool(const std::map<std::string, std::string>& models, size_t budget_bytes,
                     const std::map<std::string, std::string>& loras)
    : budget_(budget_bytes) {
  for (const auto& [name, dir] : models) {
    auto e = std::make_unique<Entry>();
    e->info.name = name;
    e->info.dir = dir;
    if (models::sam::is_torch_checkpoint_path(dir)) {
      e->info.family = engine::family_name(engine::Family::Sam);
      e->info.role = Role::Segment;
      e->bytes = file_bytes(dir);
    } else if (io::is_gguf_file(dir)) {  // a llama.cpp decoder file
      e->info.family = engine::family_name(engine::Family::Llama);
      e->info.role = Role::Chat;
      e->bytes = file_bytes(dir);
    } else if (models::open_clip::is_open_clip_dir(dir)) {  // its weights may be a .bin or .pt
      e->info.family = engine::family_name(engine::Family::OpenClip);
      e->info.role = Role::Embed;
      e->bytes = file_bytes(models::open_clip::weights_file(dir));
    } else {
      auto ck = io::Checkpoint::open(dir);
      auto kind = engine::model_kind(ck);
      e->info.family = engine::family_name(kind.family);
      e->info.role = role_of(kind.family);
      e->bytes = ck.total_bytes();
    }
    entries_[name] = std::move(e);
  }
  for (const auto& [name, dir] : loras) {
    auto it = entries_.find(name);
    if (it == entries_.end()) fail("--lora {}={}: no model is named \"{}\"", name, dir, name);
    if (it->second->info.role != Role::Chat)
      fail("--lora {}={}: {} is a {} model; LoRA adapters apply to chat models", name, dir, name,
           role_name(it->second->info.role));
    if (!std::filesystem::exists(std::filesystem::path(dir) / "adapter_config.json"))
      fail("--lora {}={}: not a PEFT LoRA adapter (no adapter_config.json)", name, dir);
    it->second->info.lora = dir;
  }
}

std::unique_ptr<LoadedModel> ModelPool::load(const ModelInfo& info) {
  auto m = std::make_unique<LoadedModel>();
  switch (info.role) {
    case Role::Chat:
      m->chat = tasks::ChatModel::open(info.dir, "auto", info.lora);
      try {
        m->chat_template = text::ChatTemplate::for_model(info.dir);
      } catch (const Error&) {
        // No template: /v1/completions still works; chat requests get a clear error.
      }
      break;
    case Role::Embed: m->embed = engine::DualEncoder::open(info.dir); break;
    case Role::Detect: m->detect = tasks::Detector::open(info.dir); break;
    case Role::Segment: m->segment = tasks::segment::Segmenter::open(info.dir, 8); break;
  }
  return m;
}

void ModelPool::make_room(Entry& for_entry) {
  if (budget_ == 0) return;
  // Unload least-recently-used idle models until this one fits (a busy one is skipped).
  while (true) {
    size_t used = for_entry.bytes;
    Entry* victim = nullptr;
    {
      std::lock_guard<std::mutex> g(mu_);
      for (auto& [name, e] : entries_) {
        if (e.get() == &for_entry || !e->info.loaded) continue;
        used += e->bytes;
        if (!victim || e->last_used < victim->last_used) victim = e.get();
      }
    }
    if (used <= budget_ || !victim) return;
    std::unique_lock<std::timed_mutex> lk(victim->use, std::try_to_lock);
    if (!lk.owns_lock()) return;  // in use: leave it, go over budget for now
    victim->model.reset();
    std::lock_guard<std::mutex> g(mu_);
    victim->info.loaded = false;
  }
}

ModelPool::Lease ModelPool::acquire(const std::string& name, Role role, Clock::time_point deadline,
                                    const std::string& param) {
  auto it = entries_.find(name);
  if (it == entries_.end())
    throw ApiError(404, "The model `" + name + "` does not exist", "invalid_request_error", param, "model_not_found");
  Entry& e = *it->second;
  if (e.info.role != role)
    throw ApiError(400,
                   "model `" + name + "` is a " + e.info.family + " model for " + role_name(e.info.role) + ", not " +
                       role_name(role),
                   "invalid_request_error", param);
  Lease lease;
  lease.lock_ = std::unique_lock<std::timed_mutex>(e.use, std::defer_lock);
  if (!lease.lock_.try_lock_until(deadline))
    throw ApiError(503, "model `" + name + "` is busy or still loading; try again", "service_unavailable_error");
  if (!e.model) {
    make_room(e);
    e.model = load(e.info);
    std::lock_guard<std::mutex> g(mu_);
    e.info.loaded = true;
  }
  {
    std::lock_guard<std::mutex> g(mu_);
    e.last_used = ++clock_;
    lease.info_ = e.info;
  }
  lease.model_ = e.model.get();
  return lease;
}

std::vector<ModelInfo> ModelPool::list() const {
  std::lock_guard<std::mutex> g(mu_);
  std::vector<ModelInfo> out;
  for (const auto& [name, e] : entries_) out.push_back(e->info);
  return out;
}

std::optional<std::string> ModelPool::sole(Role role) const {
  std::optional<std::string> found;
  for (const auto& [name, e] : entries_)
    if (e->info.role == role) {
      if (found) return std::nullopt;
      found = name;
    }
  return found;
}

int ModelPool::loaded_count() const {
  std::lock_guard<std::mutex> g(mu_);
  int n = 0;
  for (const auto& [name, e] : entries_) n += e->info.loaded ? 1 : 0;
  return n;
}

}  // namespace argus::server
