// LLaVA-style instruction data, in the three LLaVA-Instruct kinds: a multi-turn
// conversation, a detailed description and a reasoning question with an
// explanation. Answers are full sentences that contain the short answer.
#pragma once
#include <string>
#include <vector>

#include "world/scene.h"

namespace argus::world {

struct Turn {
  std::string from;  // "human" or "gpt"
  std::string value;
};

struct InstructSample {
  std::string type;  // "conversation", "detail" or "reasoning"
  std::vector<Turn> conversations;
};

// The image placeholder: the first human turn starts with it and a newline, and it
// occurs nowhere else.
constexpr const char* kImageToken = "<image>";

// One sample of each kind, in the order conversation, detail, reasoning.
std::vector<InstructSample> make_instruct(const Scene& scene);

}  // namespace argus::world
