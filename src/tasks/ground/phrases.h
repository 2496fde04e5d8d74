// Grounding prompts are phrases separated by '.', as Grounding DINO's are written
// ("a cat. a remote control."): split, trim, drop the empty pieces.
#pragma once
#include <string>
#include <vector>

namespace argus::tasks {

// Without leading and trailing whitespace.
std::string trim_space(const std::string& s);

// Refuses a text with no non-empty phrase (argus::Error).
std::vector<std::string> split_phrases(const std::string& text);

}  // namespace argus::tasks
