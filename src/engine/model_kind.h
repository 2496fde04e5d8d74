// Which model family a checkpoint holds, from config.json's model_type (or, for the
// open_clip layout, from open_clip_config.json beside the weights).
#pragma once
#include <string>

#include "io/checkpoint.h"

namespace argus::engine {

enum class Family { Clip, OpenClip, Siglip, Llama, Llava, LlavaNext, Sam, OwlVit, Owlv2, GroundingDino, ClipSeg, Detr };

struct ModelKind {
  Family family;
  std::string model_type;    // as config.json says
  std::string architecture;  // transformers class name
};

// Throws argus::Error for a missing config or an unknown model_type, listing what is supported.
ModelKind model_kind(const io::Checkpoint& ck);
const char* family_name(Family f);

}  // namespace argus::engine
