#include "cli/default_models.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "hub/pull.h"
#include "util/error.h"

namespace fs = std::filesystem;

namespace argus::cli {

std::string default_models_dir() {
  if (const char* env = std::getenv("ARGUS_MODELS"); env && *env) return env;
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  for (const fs::path& p : {ec ? fs::path() : exe.parent_path().parent_path() / "models" / "world",
                            fs::current_path() / "models" / "world"})
    if (!p.empty() && fs::is_directory(p, ec)) return p.lexically_normal().string();
  return "";
}

std::string default_model(const std::string& name) {
  std::string dir = default_models_dir();
  if (dir.empty() || !fs::exists(fs::path(dir) / name / "config.json"))
    fail("no --model given and no default {} model found (models/world/{} beside the binary or here, or "
         "$ARGUS_MODELS/{}); pass --model DIR",
         name, name, name);
  return (fs::path(dir) / name).string();
}

std::string model_or_default(const std::string& spec, const std::string& name) {
  return spec.empty() ? default_model(name) : hub::resolve_model(spec);
}

}  // namespace argus::cli
