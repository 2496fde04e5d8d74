// Where the hub and its cache are, and how to talk to it, as the HF_* environment
// variables of the Hugging Face tools say.
#pragma once
#include <filesystem>
#include <string>

namespace argus::hub {

// $HF_HUB_CACHE, else $HF_HOME/hub, else $XDG_CACHE_HOME/huggingface/hub, else
// ~/.cache/huggingface/hub.
std::filesystem::path cache_dir();

// What the HF_* environment says (read once per call, so tests can set it per run).
struct HubSettings {
  std::string endpoint;         // HF_ENDPOINT, default https://huggingface.co
  std::string token;            // HF_TOKEN, else the token file `hf auth login` writes
  bool offline = false;         // HF_HUB_OFFLINE=1
  std::filesystem::path cache;  // cache_dir()
  static HubSettings from_env();
};

}  // namespace argus::hub
