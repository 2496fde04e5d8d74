#include "engine/model_kind.h"

#include "io/config_sizes.h"
#include "util/error.h"

namespace argus::engine {

namespace {
struct Known {
  const char* model_type;
  Family family;
  const char* architecture;
};
constexpr Known kKnown[] = {
    {"clip", Family::Clip, "CLIPModel"},
    {"siglip", Family::Siglip, "SiglipModel"},
    {"llama", Family::Llama, "LlamaForCausalLM"},
    {"mistral", Family::Llama, "MistralForCausalLM"},
    {"qwen2", Family::Llama, "Qwen2ForCausalLM"},
    {"llava", Family::Llava, "LlavaForConditionalGeneration"},
    {"llava_next", Family::LlavaNext, "LlavaNextForConditionalGeneration"},
    {"sam", Family::Sam, "SamModel"},
    {"owlvit", Family::OwlVit, "OwlViTForObjectDetection"},
    {"owlv2", Family::Owlv2, "Owlv2ForObjectDetection"},
    {"grounding-dino", Family::GroundingDino, "GroundingDinoForObjectDetection"},
    {"clipseg", Family::ClipSeg, "CLIPSegForImageSegmentation"},
    {"detr", Family::Detr, "DetrForObjectDetection"},
};
}  // namespace

ModelKind model_kind(const io::Checkpoint& ck) {
  if (!ck.has_config() && ck.has_file("open_clip_config.json")) return {Family::OpenClip, "open_clip", "CLIP (open_clip)"};
  if (!ck.has_config()) fail("{}: no config.json, so the model type is unknown", ck.dir());
  auto it = ck.config().find("model_type");
  if (it == ck.config().end() || !it->is_string()) fail("{}: config.json has no model_type", ck.dir());
  std::string type = it->get<std::string>();
  std::string supported;
  for (const auto& k : kKnown) {
    if (type == k.model_type) {
      // Every loader asks for the kind before building modules: the one place to keep
      // absurd config sizes from reaching the allocator.
      io::check_config_sizes(ck);
      return {k.family, type, k.architecture};
    }
    supported += std::string(supported.empty() ? "" : ", ") + k.model_type;
  }
  fail("{}: unknown model_type \"{}\" (argus knows: {})", ck.dir(), type, supported);
}

const char* family_name(Family f) {
  switch (f) {
    case Family::Clip: return "CLIP";
    case Family::OpenClip: return "open_clip CLIP";
    case Family::Siglip: return "SigLIP";
    case Family::Llama: return "Llama-style decoder";
    case Family::Llava: return "LLaVA";
    case Family::LlavaNext: return "LLaVA-NeXT";
    case Family::Sam: return "SAM";
    case Family::OwlVit: return "OWL-ViT";
    case Family::Owlv2: return "OWLv2";
    case Family::GroundingDino: return "Grounding DINO";
    case Family::ClipSeg: return "CLIPSeg";
    case Family::Detr: return "DETR";
  }
  return "?";
}

}  // namespace argus::engine
