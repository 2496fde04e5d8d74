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

// Merges the most frequent adjacent pair (ties: the smaller pair) until every sequence is
// one symbol; returns the merges in rank order.
std::vector<std::pair<std::string, std::string>> learn_merges(std::vector<std::vector<std::string>> seqs) {
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
  return merges;
}

std::set<std::string> unique_words(const std::vector<std::string>& words) {
  std::set<std::string> unique;
  for (const auto& w : words) {
    if (w.empty()) continue;
    for (unsigned char c : w)
      if (c == ' ' || c == '\n' || c == '\t') fail("BPE training word \"{}\" contains whitespace", w);
    unique.insert(w);
  }
  return unique;
}

}  // namespace

ClipBpeFiles train_clip_bpe(const std::vector<std::string>& words) {
  std::vector<std::vector<std::string>> seqs;
  for (const auto& w : unique_words(words)) seqs.push_back(symbols_of(w));
  auto merges = learn_merges(std::move(seqs));

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

nlohmann::json byte_level_tokenizer_json(const std::vector<std::string>& words,
                                         const std::vector<std::string>& specials) {
  std::vector<std::vector<std::string>> seqs;
  for (const auto& w : unique_words(words))
    for (const std::string& form : {w, " " + w}) {
      std::vector<std::string> s;
      for (unsigned char c : form) s.push_back(byte_level_chars()[c]);
      seqs.push_back(std::move(s));
    }
  auto merges = learn_merges(std::move(seqs));

  nlohmann::json vocab = nlohmann::json::object(), added = nlohmann::json::array();
  int64_t id = 0;
  for (const auto& sp : specials) {
    added.push_back({{"id", id}, {"content", sp}, {"single_word", false}, {"lstrip", false}, {"rstrip", false},
                     {"normalized", false}, {"special", true}});
    vocab[sp] = id++;
  }
  for (unsigned char b : byte_level_order()) vocab[byte_level_chars()[b]] = id++;
  nlohmann::json merge_list = nlohmann::json::array();
  for (const auto& [a, b] : merges) {
    if (!vocab.contains(a + b)) vocab[a + b] = id++;
    merge_list.push_back({a, b});
  }
  nlohmann::json byte_level = {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true},
                               {"use_regex", true}};
  return {{"version", "1.0"},
          {"truncation", nullptr},
          {"padding", nullptr},
          {"added_tokens", added},
          {"normalizer", nullptr},
          {"pre_tokenizer", byte_level},
          {"post_processor", nullptr},
          {"decoder", byte_level},
          {"model",
           {{"type", "BPE"}, {"dropout", nullptr}, {"unk_token", nullptr}, {"continuing_subword_prefix", nullptr},
            {"end_of_word_suffix", nullptr}, {"fuse_unk", false}, {"byte_fallback", false}, {"ignore_merges", false},
            {"vocab", vocab}, {"merges", merge_list}}}};
}

}  // namespace argus::text
