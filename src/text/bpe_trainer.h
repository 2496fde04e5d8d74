// A tiny byte-pair-encoding trainer for closed vocabularies (the generated world's words):
// merges the most frequent adjacent symbol pair until every word is a single token, then
// writes the files CLIP's tokenizer reads (vocab.json + merges.txt, `</w>` word ends).
// Written here because no packaged C++ library trains a CLIP-style BPE.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace argus::text {

struct ClipBpeFiles {
  nlohmann::json vocab;    // token -> id: 256 byte symbols, their `</w>` forms, merges, specials
  std::string merges_txt;  // "#version" line, then one "a b" merge per line in rank order
};

// `words`: lower-case words without spaces (duplicates ignored). Deterministic: ties between
// equally frequent pairs are broken by the pair's text.
ClipBpeFiles train_clip_bpe(const std::vector<std::string>& words);

// Writes vocab.json and merges.txt into `dir`.
void write_clip_bpe(const ClipBpeFiles& files, const std::string& dir);

// A byte-level BPE tokenizer.json (GPT-2 / Llama-3 style: spaces belong to the following
// word) in which every word, with and without its leading space, is one token. `specials`
// take ids 0.. in order and are added tokens, matched before splitting.
nlohmann::json byte_level_tokenizer_json(const std::vector<std::string>& words,
                                         const std::vector<std::string>& specials);

}  // namespace argus::text
