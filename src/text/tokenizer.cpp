#include "text/tokenizer.h"

#include <filesystem>

#include "io/json_file.h"
#include "text/clip_bpe.h"
#include "text/hf_tokenizer.h"
#include "text/spm_tokenizer.h"
#include "text/tokenizer_config.h"
#include "text/wordpiece.h"
#include "util/error.h"
#include "util/strings.h"

namespace argus::text {
namespace {

namespace fs = std::filesystem;

bool is_file(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

bool is_clip_class(const TokenizerConfig& cfg) { return cfg.tokenizer_class.rfind("CLIPTokenizer", 0) == 0; }

bool is_bpe_tokenizer_json(const nlohmann::json& j) {
  if (!j.is_object() || !j.contains("model") || !j["model"].is_object()) return true;  // let the parser explain
  const auto& m = j["model"];
  auto t = m.find("type");
  return t == m.end() ? m.contains("merges") : *t == "BPE";
}

bool is_wordpiece_tokenizer_json(const nlohmann::json& j) {
  if (!j.is_object() || !j.contains("model") || !j["model"].is_object()) return false;
  auto t = j["model"].find("type");
  return t != j["model"].end() && t->is_string() && *t == "WordPiece";
}

std::unique_ptr<Tokenizer> from_tokenizer_json(const nlohmann::json& j, const fs::path& file, const TokenizerConfig& cfg) {
  if (is_wordpiece_tokenizer_json(j)) return WordPieceTokenizer::from_tokenizer_json(file.string());
  if (ClipBpeTokenizer::is_clip_tokenizer_json(j)) return ClipBpeTokenizer::from_tokenizer_json(j, cfg, file.string());
  return HfTokenizer::from_json(j, cfg, file.string());
}

std::unique_ptr<Tokenizer> from_vocab_merges(const fs::path& vocab, const fs::path& merges, const TokenizerConfig& cfg) {
  bool clip = is_clip_class(cfg);
  if (!clip && cfg.tokenizer_class.empty()) {
    // No config to say which: CLIP's vocabulary is recognisable by its special tokens.
    auto v = io::read_json(vocab.string());
    clip = v.is_object() && v.contains("<|startoftext|>") && v.contains("a</w>");
  }
  if (clip) return ClipBpeTokenizer::from_vocab_merges(vocab.string(), merges.string(), cfg);
  return HfTokenizer::from_vocab_merges(vocab.string(), merges.string(), cfg);
}

}  // namespace

std::unique_ptr<Tokenizer> load_tokenizer(const std::string& path) {
  fs::path p(path);
  std::error_code ec;
  if (fs::is_directory(p, ec)) {
    TokenizerConfig cfg = read_tokenizer_config((p / "tokenizer_config.json").string());
    if (is_file(p / "tokenizer.json")) {
      auto j = io::read_json((p / "tokenizer.json").string());
      // Unigram/WordPiece tokenizer.json files usually sit beside the SentencePiece model they
      // were converted from; that model is the better choice than refusing.
      if (is_file(p / "tokenizer.model") && !is_bpe_tokenizer_json(j) && !is_wordpiece_tokenizer_json(j))
        return SpmTokenizer::from_file((p / "tokenizer.model").string(), cfg);
      return from_tokenizer_json(j, p / "tokenizer.json", cfg);
    }
    if (is_file(p / "vocab.json") && is_file(p / "merges.txt"))
      return from_vocab_merges(p / "vocab.json", p / "merges.txt", cfg);
    if (is_file(p / "tokenizer.model")) return SpmTokenizer::from_file((p / "tokenizer.model").string(), cfg);
    if (is_file(p / "vocab.txt")) return WordPieceTokenizer::from_vocab_txt((p / "vocab.txt").string());
    if (is_file(p / "bpe_simple_vocab_16e6.txt.gz"))
      return ClipBpeTokenizer::from_bpe_gz((p / "bpe_simple_vocab_16e6.txt.gz").string(), cfg);
    fail("no tokenizer in {} (looked for tokenizer.json, vocab.json + merges.txt, tokenizer.model, vocab.txt)", path);
  }
  if (!is_file(p)) fail("tokenizer path {} does not exist", path);
  TokenizerConfig cfg = read_tokenizer_config((p.parent_path() / "tokenizer_config.json").string());
  const std::string name = p.filename().string();
  if (ends_with(name, ".json")) return from_tokenizer_json(io::read_json(path), p, cfg);
  if (ends_with(name, ".model")) return SpmTokenizer::from_file(path, cfg);
  if (name == "vocab.txt") return WordPieceTokenizer::from_vocab_txt(path);
  if (ends_with(name, ".txt.gz") || ends_with(name, ".txt")) return ClipBpeTokenizer::from_bpe_gz(path, cfg);
  fail("{}: not a tokenizer file (expected tokenizer.json, tokenizer.model or CLIP's bpe_simple_vocab_16e6.txt.gz)", path);
}

std::vector<int64_t> encode_truncated(const Tokenizer& tok, const std::string& text, int64_t max_len,
                                      bool* truncated) {
  if (max_len < 1) fail("a text context of {} tokens cannot hold any text", max_len);
  auto ids = tok.encode(text, true);
  const bool cut = static_cast<int64_t>(ids.size()) > max_len;
  if (cut) {
    const int64_t last = ids.back();
    ids.resize(static_cast<size_t>(max_len));
    if (tok.eos_id() >= 0 && last == tok.eos_id()) ids.back() = last;
  }
  if (truncated) *truncated = cut;
  return ids;
}

}  // namespace argus::text
