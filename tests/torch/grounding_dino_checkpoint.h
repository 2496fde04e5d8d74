// A usable Grounding DINO checkpoint directory built from the grounding_dino fixture
// (which ships weights and config only): its config and weights linked, plus a BERT
// vocab.txt of the fixture's 1000-token size and a small preprocessor_config.json
// (shortest edge 320, longest 480, the fixture's input size) so tests run quickly.
#pragma once
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "../common/temp_dir.h"
#include "parity.h"

namespace argus::test {

// Words of the vocabulary, at ids 200.. (ids 0, 100-103 are BERT's specials, 12 is '.').
inline const std::vector<std::string> kGroundingDinoWords{"a",    "cat",  "dog",   "remote", "control", "line",
                                                          "photo", "of", "person", "red",    "ball",    "grass"};

inline std::string grounding_dino_checkpoint() {
  static const std::string dir = [] {
    namespace fs = std::filesystem;
    // One per process: ctest runs tests in parallel processes that must not share it.
    fs::path d = fresh_temp_dir("gdino_checkpoint");
    for (const char* f : {"config.json", "model.safetensors"})
      fs::create_symlink(fs::path(fixture("grounding_dino")) / f, d / f);
    std::vector<std::string> vocab(1000);
    for (size_t i = 0; i < vocab.size(); ++i) vocab[i] = "[unused" + std::to_string(i) + "]";
    vocab[0] = "[PAD]";
    vocab[12] = ".";
    vocab[13] = "?";
    vocab[100] = "[UNK]";
    vocab[101] = "[CLS]";
    vocab[102] = "[SEP]";
    vocab[103] = "[MASK]";
    for (size_t i = 0; i < kGroundingDinoWords.size(); ++i) vocab[200 + i] = kGroundingDinoWords[i];
    std::ofstream v(d / "vocab.txt");
    for (const auto& t : vocab) v << t << "\n";
    std::ofstream(d / "preprocessor_config.json")
        << R"({"image_processor_type": "GroundingDinoImageProcessor", "size": {"shortest_edge": 320, "longest_edge": 480}})";
    return d.string();
  }();
  return dir;
}

}  // namespace argus::test
