// What the user chooses about generation (the generate/ask/chat flags), turned into
// GenerateOptions for a given model.
#pragma once
#include <string>
#include <vector>

#include "tasks/generate/generate.h"
#include "tasks/generate/sampling.h"

namespace argus::tasks {

class ChatModel;

struct GenerationSettings {
  int64_t max_tokens = 256;
  bool greedy = false;  // forces temperature 0
  SamplingParams sampling;  // temperature 0 (greedy) unless set
  std::vector<std::string> stop;  // stop strings (need a tokenizer)
  std::string dtype = "auto";     // the decoder's weights: auto, float32 or bfloat16 (ChatModel::open)
  std::string json_schema_file;   // constrain the output to this JSON schema (--json-schema)
};

// Validates (argus::Error) and fills eos ids from the model.
GenerateOptions generate_options(const GenerationSettings& s, const ChatModel& model);

}  // namespace argus::tasks
