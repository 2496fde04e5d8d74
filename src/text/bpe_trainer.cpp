#include "text/bpe_trainer.h"

#include <fstream>
#include <map>
#include <set>

#include "text/byte_level.h"
#include "util/error.h"

namespace argus::text {
namespace {

// A word as byte-level symbols, the last one carrying CLIP's end-of-word mark.
std::vector<std::string> symbols_of(const std::string& word) {
  std::vector<std::string> s;
  for (unsigned char c : word) s.push_back(byte_level_chars()[c]);
  if (!s.empty()) s.back() += "</w>";
  return s;
}

}  // namespace

ClipBpeFiles train_clip_bpe(const std::vector<std::string>& words) {
  std::set<std::string> unique;
  for (const auto& w : words) {
    if (w.empty()) continue;
    for (unsigned char c : w)
      if (c == ' ' || c == '\n' || c == '\t') fail("BPE training word \"{}\" contains whitespace", w);
    unique.insert(w);
  }
  std::vector<std::vector<std::string>> seqs;
  for (const auto& w : unique) seqs.push_back(symbols_of(w));

  std::vector<std::pair<std::string, std::string>> merges;
  for (;;) {
    std::map<std::pair<std::string, std::string>, int> counts;
    for (const auto& s : seqs)
      for (size_t i = 0; i + 1 < s.size(); ++i) ++counts[{s[i], s[i + 1]}];
    if (counts.empty()) break;
    auto best = counts.begin();  // std::map order makes the tie-break deterministic
    for (auto it = counts.begin(); it != counts.end(); ++it)
      if (it->second > best->second) best = it;
    const auto pair = best->first;
    merges.push_back(pair);
    for (auto& s : seqs) {
      std::vector<std::string> out;
      for (size_t i = 0; i < s.size(); ++i) {
        if (i + 1 < s.size() && s[i] == pair.first && s[i + 1] == pair.second) {
          out.push_back(s[i] + s[i + 1]);
          ++i;
        } else {
          out.push_back(s[i]);
        }
      }
      s = std::move(out);
    }
  }

  ClipBpeFiles files;
  files.vocab = nlohmann::json::object();
  int64_t id = 0;
  // The original CLIP vocabulary's order: byte symbols, the same with `</w>`, merges, specials.
  for (unsigned char b : byte_level_order()) files.vocab[byte_level_chars()[b]] = id++;
  for (unsigned char b : byte_level_order()) files.vocab[byte_level_chars()[b] + "</w>"] = id++;
  files.merges_txt = "#version: 0.2\n";
  for (const auto& [a, b] : merges) {
    if (!files.vocab.contains(a + b)) files.vocab[a + b] = id++;
    files.merges_txt += a + " " + b + "\n";
  }
  files.vocab["<|startoftext|>"] = id++;
  files.vocab["<|endoftext|>"] = id++;
  return files;
}

void write_clip_bpe(const ClipBpeFiles& files, const std::string& dir) {
  std::ofstream v(dir + "/vocab.json"), m(dir + "/merges.txt");
  v << files.vocab.dump();
  m << files.merges_txt;
  if (!v || !m) fail("cannot write the tokenizer files into {}", dir);
}

}  // namespace argus::text
