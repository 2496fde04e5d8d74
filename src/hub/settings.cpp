#include "hub/settings.h"

#include <cctype>
#include <cstdlib>
#include <fstream>

#include "util/error.h"

namespace fs = std::filesystem;

namespace argus::hub {

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

bool env_true(const char* name) {
  std::string v = env(name);
  for (auto& c : v) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return v == "1" || v == "ON" || v == "YES" || v == "TRUE";
}

std::string token_from_file() {
  fs::path p = env("HF_TOKEN_PATH");
  if (p.empty()) {
    if (auto home = env("HF_HOME"); !home.empty())
      p = fs::path(home) / "token";
    else if (auto h = env("HOME"); !h.empty())
      p = fs::path(h) / ".cache" / "huggingface" / "token";
  }
  std::ifstream in(p);
  std::string t;
  std::getline(in, t);
  while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back()))) t.pop_back();
  return t;
}

}  // namespace

fs::path cache_dir() {
  if (auto v = env("HF_HUB_CACHE"); !v.empty()) return v;
  if (auto v = env("HUGGINGFACE_HUB_CACHE"); !v.empty()) return v;  // the older name, still honoured upstream
  if (auto v = env("HF_HOME"); !v.empty()) return fs::path(v) / "hub";
  if (auto v = env("XDG_CACHE_HOME"); !v.empty()) return fs::path(v) / "huggingface" / "hub";
  if (auto v = env("HOME"); !v.empty()) return fs::path(v) / ".cache" / "huggingface" / "hub";
  fail("cannot place the Hugging Face cache: set HF_HOME (neither it nor HOME is set)");
}

HubSettings HubSettings::from_env() {
  HubSettings s;
  s.endpoint = env("HF_ENDPOINT");
  if (s.endpoint.empty()) s.endpoint = "https://huggingface.co";
  while (!s.endpoint.empty() && s.endpoint.back() == '/') s.endpoint.pop_back();
  s.token = env("HF_TOKEN");
  if (s.token.empty()) s.token = token_from_file();
  s.offline = env_true("HF_HUB_OFFLINE");
  s.cache = cache_dir();
  return s;
}

}  // namespace argus::hub
