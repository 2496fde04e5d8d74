#include "text/clip_bpe.h"

#include <algorithm>

#include "io/json_file.h"
#include "text/bpe_files.h"
#include "text/byte_level.h"
#include "text/clip_vocab.h"
#include "text/gzip_file.h"
#include "text/unicode.h"
#include "text/utf8.h"
#include "util/error.h"
#include "util/mapped_file.h"

namespace argus::text {
namespace {

constexpr const char* kBos = "<|startoftext|>";
constexpr const char* kEos = "<|endoftext|>";
constexpr size_t kOriginalMerges = 49152 - 256 - 2;  // as SimpleTokenizer slices the file

// The reference normaliser/pre-tokenizer patterns of CLIP's tokenizer.json.
constexpr const char* kSplitPattern =
    R"(<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+)";
constexpr const char* kGpt2Pattern = R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

bool is_ascii_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

}  // namespace

ClipBpeTokenizer::ClipBpeTokenizer(BpeModel::Vocab vocab, const BpeModel::Merges& merges, const TokenizerConfig& cfg,
                                   const std::vector<AddedToken>& added, const std::string& what)
    : bpe_(std::move(vocab), merges, BpeOptions{"", "</w>", kEos, false, false, false}, what),
      whitespace_(R"(\s+)", "CLIP whitespace"),
      split_(kSplitPattern, "CLIP split"),
      gpt2_split_(kGpt2Pattern, "GPT-2 split") {
  auto id_of = [&](const std::string& tok, const char* def, const char* role) -> int64_t {
    const std::string& name = tok.empty() ? std::string(def) : tok;
    int64_t id = bpe_.token_to_id(name);
    for (auto& a : added)
      if (a.content == name) id = a.id;
    if (id < 0) fail("{}: {} token \"{}\" is not in the vocabulary", what, role, name);
    return id;
  };
  bos_ = id_of(cfg.bos_token, kBos, "BOS");
  eos_ = id_of(cfg.eos_token, kEos, "EOS");
  pad_ = eos_;
  if (!cfg.pad_token.empty()) {
    int64_t id = bpe_.token_to_id(cfg.pad_token);
    for (auto& a : added)
      if (a.content == cfg.pad_token) id = a.id;
    if (id >= 0) pad_ = id;
  }
  std::vector<AddedToken> all = {{kBos, bpe_.token_to_id(kBos)}, {kEos, bpe_.token_to_id(kEos)}};
  all.insert(all.end(), added.begin(), added.end());
  all.insert(all.end(), cfg.added_tokens.begin(), cfg.added_tokens.end());
  for (auto& t : all) {
    if (t.id < 0) continue;
    matcher_.add(t);
    added_[t.id] = t;
  }
}

std::unique_ptr<ClipBpeTokenizer> ClipBpeTokenizer::from_vocab_merges(const std::string& vocab_json,
                                                                      const std::string& merges_txt,
                                                                      const TokenizerConfig& cfg) {
  auto vocab = parse_vocab_json(io::read_json(vocab_json), vocab_json);
  std::string text = read_file(merges_txt);
  require_utf8(text, merges_txt.c_str());
  auto merges = parse_merges_txt(text, merges_txt);
  return std::unique_ptr<ClipBpeTokenizer>(new ClipBpeTokenizer(std::move(vocab), merges, cfg, {}, vocab_json));
}

bool ClipBpeTokenizer::is_clip_tokenizer_json(const nlohmann::json& j) {
  if (!j.is_object() || !j.contains("model") || !j["model"].is_object()) return false;
  const auto& m = j["model"];
  if (m.contains("type") && m["type"] != "BPE") return false;
  if (!m.contains("end_of_word_suffix") || m["end_of_word_suffix"] != "</w>") return false;
  if (!m.contains("vocab") || !m["vocab"].is_object()) return false;
  return m["vocab"].contains(kBos) && m["vocab"].contains(kEos);
}

std::unique_ptr<ClipBpeTokenizer> ClipBpeTokenizer::from_tokenizer_json(const nlohmann::json& j,
                                                                        const TokenizerConfig& cfg,
                                                                        const std::string& what) {
  if (!is_clip_tokenizer_json(j)) fail("{}: not a CLIP tokenizer.json (BPE with \"</w>\" and CLIP's special tokens)", what);
  const auto& m = j["model"];
  auto vocab = parse_vocab_json(m["vocab"], what);
  auto merges = parse_merges_json(m.contains("merges") ? m["merges"] : nlohmann::json::array(), what);
  std::vector<AddedToken> added;
  if (auto it = j.find("added_tokens"); it != j.end() && it->is_array())
    for (auto& a : *it) {
      if (!a.is_object() || !a.contains("id") || !a["id"].is_number_integer())
        fail("{}: added token without an integer \"id\"", what);
      added.push_back(parse_added_token(a, a["id"].get<int64_t>(), what));
    }
  return std::unique_ptr<ClipBpeTokenizer>(new ClipBpeTokenizer(std::move(vocab), merges, cfg, added, what));
}

std::unique_ptr<ClipBpeTokenizer> ClipBpeTokenizer::from_tokenizer_json(const std::string& path,
                                                                        const TokenizerConfig& cfg) {
  return from_tokenizer_json(io::read_json(path), cfg, path);
}

std::unique_ptr<ClipBpeTokenizer> ClipBpeTokenizer::from_bpe_gz(const std::string& path, const TokenizerConfig& cfg) {
  bool gz = path.size() >= 3 && path.compare(path.size() - 3, 3, ".gz") == 0;
  return from_bpe_text(gz ? read_gzip_file(path) : read_file(path), path, cfg);
}

std::unique_ptr<ClipBpeTokenizer> ClipBpeTokenizer::from_bpe_text(const std::string& text, const std::string& path,
                                                                  const TokenizerConfig& cfg) {
  require_utf8(text, path.c_str());
  // SimpleTokenizer: lines[1 : 1 + 48894], each split on whitespace.
  BpeModel::Merges merges;
  merges.reserve(kOriginalMerges);
  size_t pos = text.find('\n');
  while (pos != std::string::npos && merges.size() < kOriginalMerges) {
    size_t start = pos + 1;
    pos = text.find('\n', start);
    std::string_view line(text.data() + start, (pos == std::string::npos ? text.size() : pos) - start);
    std::vector<std::string> parts;
    size_t k = 0;
    while (k < line.size()) {
      while (k < line.size() && is_ascii_space(line[k])) ++k;
      size_t b = k;
      while (k < line.size() && !is_ascii_space(line[k])) ++k;
      if (k > b) parts.emplace_back(line.substr(b, k - b));
    }
    if (parts.size() != 2) fail("{}: merge {} is not two tokens", path, merges.size() + 1);
    merges.emplace_back(parts[0], parts[1]);
  }
  if (merges.size() != kOriginalMerges)
    fail("{}: expected {} merges after the header line, found {}", path, kOriginalMerges, merges.size());

  BpeModel::Vocab vocab;
  vocab.reserve(49408);
  const auto& chars = byte_level_chars();
  auto add = [&](std::string tok) { vocab.emplace(std::move(tok), static_cast<int64_t>(vocab.size())); };
  for (unsigned char b : byte_level_order()) add(chars[b]);
  for (unsigned char b : byte_level_order()) add(chars[b] + "</w>");
  for (auto& [a, b] : merges) add(a + b);
  add(kBos);
  add(kEos);
  if (vocab.size() != 49408) fail("{}: merges repeat tokens; the vocabulary has {} entries, not 49408", path, vocab.size());
  return std::unique_ptr<ClipBpeTokenizer>(new ClipBpeTokenizer(std::move(vocab), merges, cfg, {}, path));
}

std::unique_ptr<ClipBpeTokenizer> ClipBpeTokenizer::builtin() {
  const std::string what = "argus's built-in CLIP vocabulary";
  return from_bpe_text(inflate_gzip(kClipBpeVocabGz, kClipBpeVocabGz_size, what), what);
}

void ClipBpeTokenizer::encode_text(std::string_view text, std::vector<int64_t>& out) const {
  std::string s = normalize_unicode(text, NormalForm::NFC);
  s = lowercase(whitespace_.replace_all(s, " "));
  for (auto [b, e] : split_.find_all(s)) {
    std::string_view piece(s.data() + b, e - b);
    // The ByteLevel pre-tokenizer's GPT-2 split changes nothing on CLIP's pieces except these
    // two (they arise from e.g. "<|ENDOFTEXT|>" after lowercasing).
    if (piece == kBos || piece == kEos) {
      for (auto [b2, e2] : gpt2_split_.find_all(piece)) bpe_.encode_word(to_byte_level(piece.substr(b2, e2 - b2)), out);
    } else {
      bpe_.encode_word(to_byte_level(piece), out);
    }
  }
}

std::vector<int64_t> ClipBpeTokenizer::encode(const std::string& text, bool add_special) const {
  require_utf8(text);
  std::vector<int64_t> ids;
  if (add_special) ids.push_back(bos_);
  for (auto& seg : matcher_.split(text)) {
    if (seg.id >= 0)
      ids.push_back(seg.id);
    else
      encode_text(std::string_view(text).substr(seg.begin, seg.end - seg.begin), ids);
  }
  if (add_special) ids.push_back(eos_);
  return ids;
}

std::vector<int64_t> ClipBpeTokenizer::encode_padded(const std::string& text, size_t max_len) const {
  if (max_len == 0) fail("encode_padded: max_len must be positive");
  auto ids = encode(text, true);
  if (ids.size() > max_len) {
    ids.resize(max_len);
    ids.back() = eos_;
  } else {
    ids.resize(max_len, pad_);
  }
  return ids;
}

const std::string* ClipBpeTokenizer::token_of(int64_t id) const {
  auto it = added_.find(id);
  if (it != added_.end()) return &it->second.content;
  return bpe_.id_to_token(id);
}

std::string ClipBpeTokenizer::decode_bytes(const std::vector<int64_t>& ids, bool skip_special) const {
  std::string bytes;
  for (int64_t id : ids) {
    const std::string* tok = token_of(id);
    if (!tok || (skip_special && is_special(id))) continue;
    if (!from_byte_level(*tok, bytes)) bytes += *tok;
  }
  std::string out;
  out.reserve(bytes.size());
  for (size_t i = 0; i < bytes.size();) {
    if (bytes.compare(i, 4, "</w>") == 0) {
      out += ' ';
      i += 4;
    } else {
      out += bytes[i++];
    }
  }
  size_t b = 0, e = out.size();
  while (b < e && is_ascii_space(out[b])) ++b;
  while (e > b && is_ascii_space(out[e - 1])) --e;
  return out.substr(b, e - b);
}

std::string ClipBpeTokenizer::decode(const std::vector<int64_t>& ids, bool skip_special) const {
  return to_valid_utf8(decode_bytes(ids, skip_special));
}

std::vector<std::string> ClipBpeTokenizer::tokens(const std::vector<int64_t>& ids) const {
  std::vector<std::string> out;
  out.reserve(ids.size());
  for (int64_t id : ids) {
    const std::string* tok = token_of(id);
    if (!tok) fail("token id {} is not in the CLIP vocabulary (size {})", id, vocab_size());
    out.push_back(*tok);
  }
  return out;
}

int64_t ClipBpeTokenizer::vocab_size() const {
  int64_t n = bpe_.id_limit();
  for (auto& [id, t] : added_) n = std::max(n, id + 1);
  return n;
}

int64_t ClipBpeTokenizer::token_to_id(const std::string& token) const {
  for (auto& [id, t] : added_)
    if (t.content == token) return id;
  return bpe_.token_to_id(token);
}

bool ClipBpeTokenizer::is_special(int64_t id) const {
  if (id == bos_ || id == eos_ || id == pad_) return true;
  auto it = added_.find(id);
  return it != added_.end() && it->second.special;
}

}  // namespace argus::text
