// Word splitting for the generated text: the world's vocabulary is closed, so a
// word-level tokenizer built from world.json's "vocabulary" covers every text.
#pragma once
#include <set>
#include <string>
#include <vector>

namespace argus::world {

// Words in order: runs separated by whitespace, with each punctuation mark
// (. , : ; ? !) split off as a token of its own. "<image>" stays one token.
std::vector<std::string> split_words(const std::string& text);

// Adds the words of `text` to `vocabulary`, leaving out the "<image>" placeholder
// (a special token, not a word).
void add_words(const std::string& text, std::set<std::string>& vocabulary);

}  // namespace argus::world
