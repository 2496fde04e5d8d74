// The flags `agent` and `mcp` share: which checkpoint each vision expert runs (default:
// the committed world models where there is one), which tools are offered, and the
// directory load_image may read.
#pragma once
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "tasks/agent/experts.h"

namespace argus::cli {

struct ExpertFlags {
  std::string clip, detector, segmenter, refseg, vlm, vlm_template, index, image_root;
  std::vector<std::string> tools;
};

// --clip, --detector, --segmenter, --refseg, --vlm, --vlm-template, --index, --tools,
// and --image-root when `with_image_root`.
void add_expert_flags(CLI::App* cmd, ExpertFlags& f, bool with_image_root);

// The paths: a flag's model as given (or from the hub), else the world model of that
// kind when one is committed, else none (its tools are not offered).
tasks::agent::ExpertPaths expert_paths(const ExpertFlags& f);

}  // namespace argus::cli
