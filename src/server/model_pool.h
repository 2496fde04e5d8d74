// The models a server offers, by name: loaded on first use, one request at a time
// per model, and unloaded least-recently-used first when the loaded checkpoints'
// size passes the memory budget. A request for a model that is still loading waits
// for it (up to its deadline) instead of failing.
#pragma once
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "engine/dual_encoder.h"
#include "engine/model_kind.h"
#include "tasks/chat/chat_model.h"
#include "tasks/detect/detector.h"
#include "tasks/segment/segmenter.h"
#include "text/chat_template.h"

namespace argus::server {

// What a model is used for, from its family.
enum class Role { Chat, Embed, Detect, Segment };
const char* role_name(Role r);

// The loaded objects of one model (only the one its role needs is set).
struct LoadedModel {
  std::unique_ptr<tasks::ChatModel> chat;
  std::optional<text::ChatTemplate> chat_template;  // when the checkpoint has one
  std::unique_ptr<engine::DualEncoder> embed;
  std::unique_ptr<tasks::Detector> detect;
  std::unique_ptr<tasks::segment::Segmenter> segment;
};

struct ModelInfo {
  std::string name, dir, family;
  std::string lora;  // PEFT adapter folded into a chat model at load, or empty
  Role role;
  bool loaded = false;
};

class ModelPool {
 public:
  using Clock = std::chrono::steady_clock;

  // Checks every directory's config now (an unknown model type fails at startup).
  // `loras` maps a chat model's name to a LoRA adapter directory; an adapter for an
  // unknown name, for a model that is not a chat model, or without an
  // adapter_config.json fails here.
  ModelPool(const std::map<std::string, std::string>& models, size_t budget_bytes,
            const std::map<std::string, std::string>& loras = {});

  // Exclusive use of a loaded model until the lease is destroyed.
  class Lease {
   public:
    LoadedModel& operator*() const { return *model_; }
    LoadedModel* operator->() const { return model_; }
    const ModelInfo& info() const { return info_; }

   private:
    friend class ModelPool;
    std::unique_lock<std::timed_mutex> lock_;
    LoadedModel* model_ = nullptr;
    ModelInfo info_;
  };

  // 404 for an unknown name, 400 when the model's role is not `role`, 503 when it
  // cannot be had before `deadline` (busy or loading). Loads it when needed.
  Lease acquire(const std::string& name, Role role, Clock::time_point deadline, const std::string& param = "model");

  std::vector<ModelInfo> list() const;
  // The only model with this role, if there is exactly one (a default for requests without "model").
  std::optional<std::string> sole(Role role) const;
  int loaded_count() const;

 private:
  struct Entry {
    ModelInfo info;
    size_t bytes = 0;
    std::timed_mutex use;               // held while loading or serving
    std::unique_ptr<LoadedModel> model; // guarded by `use`
    uint64_t last_used = 0;             // guarded by pool mutex
  };
  void make_room(Entry& for_entry);
  static std::unique_ptr<LoadedModel> load(const ModelInfo& info);

  std::map<std::string, std::unique_ptr<Entry>> entries_;
  mutable std::mutex mu_;  // loaded flags, last_used, clock
  uint64_t clock_ = 0;
  size_t budget_;
};

}  // namespace argus::server
