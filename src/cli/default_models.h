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

// A --model/--detector/--segmenter value as a path: a local file or directory as given,
// else an org/name[@revision] from the Hugging Face cache or pulled into it
// (hub::resolve_model); the default model `name` when `spec` is empty.
std::string model_or_default(const std::string& spec, const std::string& name);

}  // namespace argus::cli
