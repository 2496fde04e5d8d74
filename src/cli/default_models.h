// The models argus runs when no --model is given: the ones `argus world train` made and
// the repository commits (models/world), found beside the binary or the working directory.
#pragma once
#include <string>

namespace argus::cli {

// $ARGUS_MODELS, else <binary dir>/../models/world, else ./models/world; "" when none exists.
std::string default_models_dir();

// <default_models_dir()>/<name> (e.g. "clip", "llava"); an argus::Error saying what to pass
// when it is missing.
std::string default_model(const std::string& name);

}  // namespace argus::cli
