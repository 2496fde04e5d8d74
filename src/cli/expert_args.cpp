#include "cli/expert_args.h"

#include <filesystem>

#include "cli/default_models.h"
#include "util/error.h"

namespace argus::cli {

namespace fs = std::filesystem;

namespace {

std::string model_or_world(const std::string& spec, const std::string& world_name) {
  if (!spec.empty()) return model_or_default(spec, world_name);
  const std::string dir = default_models_dir();
  if (world_name.empty() || dir.empty() || !fs::exists(fs::path(dir) / world_name / "config.json")) return "";
  return (fs::path(dir) / world_name).string();
}

}  // namespace

void add_expert_flags(CLI::App* cmd, ExpertFlags& f, bool with_image_root) {
  cmd->add_option("--clip", f.clip, "CLIP/SigLIP for classify and search (default: the world CLIP)");
  cmd->add_option("--detector", f.detector, "OWL-ViT/OWLv2/Grounding DINO for detect and ground (default: the world OWL-ViT)");
  cmd->add_option("--segmenter", f.segmenter, "SAM for segment and ground (default: the world SAM)");
  cmd->add_option("--refseg", f.refseg, "CLIPSeg for refseg (default: none, refseg is not offered)");
  cmd->add_option("--vlm", f.vlm, "LLaVA / LLaVA-NeXT for caption and ask (default: the world LLaVA)");
  cmd->add_option("--vlm-template", f.vlm_template, "the VLM's chat template: built-in name or Jinja file (default: its own)");
  cmd->add_option("--index", f.index, "an argus image index (argus index build) for search (default: none)");
  cmd->add_option("--tools", f.tools, "offer only these tools (comma-separated; default: every tool with a model)")
      ->delimiter(',');
  if (with_image_root)
    cmd->add_option("--image-root", f.image_root,
                    "load_image may read files under this directory (default: none, images come as base64 data)");
}

tasks::agent::ExpertPaths expert_paths(const ExpertFlags& f) {
  tasks::agent::ExpertPaths p;
  p.clip = model_or_world(f.clip, "clip");
  p.detector = model_or_world(f.detector, "owl");
  p.segmenter = model_or_world(f.segmenter, "sam");
  p.refseg = model_or_world(f.refseg, "");
  p.vlm = model_or_world(f.vlm, "llava");
  p.vlm_template = f.vlm_template;
  if (!f.index.empty()) {
    if (!fs::is_regular_file(f.index)) fail("--index {}: no such index file", f.index);
    p.index = f.index;
  }
  if (!f.image_root.empty()) {
    std::error_code ec;
    fs::path root = fs::canonical(f.image_root, ec);
    if (ec || !fs::is_directory(root)) fail("--image-root {}: not a directory", f.image_root);
    p.image_root = root.string();
  }
  return p;
}

}  // namespace argus::cli
