#include "text/wordpiece.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <utf8proc.h>

#include "io/json_file.h"
#include "text/unicode.h"
#include "text/utf8.h"
#include "util/error.h"

namespace argus::text {

namespace {

bool is_control(char32_t c) {
  if (c == '\t' || c == '\n' || c == '\r') return false;
  auto cat = utf8proc_category(static_cast<utf8proc_int32_t>(c));
  return cat == UTF8PROC_CATEGORY_CC || cat == UTF8PROC_CATEGORY_CF;
}

bool is_bert_whitespace(char32_t c) {
  if (c == ' ' || c == '\t' || c == '\n' || c == '\r') return true;
  return utf8proc_category(static_cast<utf8proc_int32_t>(c)) == UTF8PROC_CATEGORY_ZS;
}

// BERT counts all non-alphanumeric ASCII as punctuation ("$", "^", "`" are not
// Unicode P*), plus every Unicode punctuation category.
bool is_punctuation(char32_t c) {
  if ((c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126)) return true;
  switch (utf8proc_category(static_cast<utf8proc_int32_t>(c))) {
    case UTF8PROC_CATEGORY_PC: case UTF8PROC_CATEGORY_PD: case UTF8PROC_CATEGORY_PS: case UTF8PROC_CATEGORY_PE:
    case UTF8PROC_CATEGORY_PI: case UTF8PROC_CATEGORY_PF: case UTF8PROC_CATEGORY_PO:
      return true;
    default:
      return false;
  }
}

// The CJK Unified Ideographs blocks BERT pads with spaces (not Hangul or kana).
bool is_chinese_char(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF) ||
         (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B820 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

size_t count_codepoints(const std::string& s) {
  size_t n = 0;
  for (size_t i = 0; i < s.size();) {
    next_codepoint(s, i);
    ++n;
  }
  return n;
}

WordPieceOptions options_from_config(const std::filesystem::path& dir, WordPieceOptions o) {
  auto cfg_path = dir / "tokenizer_config.json";
  if (!std::filesystem::exists(cfg_path)) return o;
  auto j = io::read_json(cfg_path.string());
  o.lowercase = io::get_or<bool>(j, "do_lower_case", o.lowercase);
  o.strip_accents = io::get_or<bool>(j, "strip_accents", o.lowercase);
  o.chinese_chars = io::get_or<bool>(j, "tokenize_chinese_chars", o.chinese_chars);
  for (auto [key, field] : {std::pair{"unk_token", &o.unk}, {"cls_token", &o.cls}, {"sep_token", &o.sep},
                            {"pad_token", &o.pad}, {"mask_token", &o.mask}})
    if (j.contains(key) && j[key].is_string()) *field = j[key].get<std::string>();
  return o;
}

}  // namespace

WordPieceTokenizer::WordPieceTokenizer(std::unordered_map<std::string, int64_t> vocab, WordPieceOptions opts)
    : vocab_(std::move(vocab)), opts_(std::move(opts)) {
  for (const auto& [tok, id] : vocab_) {
    if (id < 0) fail("wordpiece: token \"{}\" has a negative id {}", tok, id);
    by_id_[id] = tok;
    size_ = std::max(size_, id + 1);
  }
  unk_id_ = token_to_id(opts_.unk);
  if (unk_id_ < 0) fail("wordpiece: the vocabulary has no unknown token \"{}\"", opts_.unk);
}

std::unique_ptr<WordPieceTokenizer> WordPieceTokenizer::from_vocab_txt(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("{}: cannot open", path);
  std::unordered_map<std::string, int64_t> vocab;
  std::string line;
  int64_t id = 0;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    require_utf8(line, "vocab.txt line");
    vocab.emplace(line, id++);  // a repeated token keeps its first id
  }
  if (vocab.empty()) fail("{}: empty vocabulary", path);
  return std::make_unique<WordPieceTokenizer>(std::move(vocab),
                                              options_from_config(std::filesystem::path(path).parent_path(), {}));
}

std::unique_ptr<WordPieceTokenizer> WordPieceTokenizer::from_tokenizer_json(const std::string& path) {
  auto j = io::read_json(path);
  const auto& model = j.is_object() && j.contains("model") ? j["model"] : nlohmann::json();
  auto type = model.is_object() ? model.find("type") : model.end();
  if (!model.is_object() || type == model.end() || *type != "WordPiece" || !model.contains("vocab") ||
      !model["vocab"].is_object())
    fail("{}: not a WordPiece tokenizer.json (model.type must be \"WordPiece\" with a vocab object)", path);
  std::unordered_map<std::string, int64_t> vocab;
  for (auto it = model["vocab"].begin(); it != model["vocab"].end(); ++it) {
    if (!it.value().is_number_integer()) fail("{}: vocab entry \"{}\" is not an integer id", path, it.key());
    vocab.emplace(it.key(), it.value().get<int64_t>());
  }
  WordPieceOptions o;
  o.unk = io::get_or<std::string>(model, "unk_token", o.unk);
  o.prefix = io::get_or<std::string>(model, "continuing_subword_prefix", o.prefix);
  o.max_input_chars_per_word = io::get_or<size_t>(model, "max_input_chars_per_word", o.max_input_chars_per_word);
  if (j.contains("normalizer") && j["normalizer"].is_object() && j["normalizer"].contains("type") &&
      j["normalizer"]["type"] == "BertNormalizer") {
    const auto& n = j["normalizer"];
    o.clean_text = io::get_or<bool>(n, "clean_text", o.clean_text);
    o.chinese_chars = io::get_or<bool>(n, "handle_chinese_chars", o.chinese_chars);
    o.lowercase = io::get_or<bool>(n, "lowercase", o.lowercase);
    o.strip_accents = io::get_or<bool>(n, "strip_accents", o.lowercase);  // null = follow lowercase
  }
  return std::make_unique<WordPieceTokenizer>(std::move(vocab), o);
}

std::vector<std::string> WordPieceTokenizer::basic_tokenize(const std::string& text) const {
  require_utf8(text);
  // Clean and pad CJK, one code point at a time.
  std::string cleaned;
  for (size_t i = 0; i < text.size();) {
    char32_t c = next_codepoint(text, i);
    if (opts_.clean_text && (c == 0 || c == 0xFFFD || is_control(c))) continue;
    if (opts_.clean_text && is_bert_whitespace(c)) c = ' ';
    if (opts_.chinese_chars && is_chinese_char(c)) {
      cleaned += ' ';
      append_utf8(cleaned, c);
      cleaned += ' ';
    } else {
      append_utf8(cleaned, c);
    }
  }
  if (opts_.lowercase) cleaned = lowercase(cleaned);
  if (opts_.strip_accents) cleaned = strip_accents(normalize_unicode(cleaned, NormalForm::NFD));
  // Whitespace split, then every punctuation character on its own.
  std::vector<std::string> words;
  std::string cur;
  auto flush = [&] {
    if (!cur.empty()) words.push_back(std::move(cur));
    cur.clear();
  };
  for (size_t i = 0; i < cleaned.size();) {
    char32_t c = next_codepoint(cleaned, i);
    if (is_bert_whitespace(c) || is_unicode_whitespace(c)) {
      flush();
    } else if (is_punctuation(c)) {
      flush();
      append_utf8(cur, c);
      flush();
    } else {
      append_utf8(cur, c);
    }
  }
  flush();
  return words;
}

std::vector<std::string> WordPieceTokenizer::wordpiece(const std::string& word) const {
  if (count_codepoints(word) > opts_.max_input_chars_per_word) return {opts_.unk};
  // Code point boundaries, so pieces never split a character.
  std::vector<size_t> cuts;
  for (size_t i = 0; i < word.size();) {
    cuts.push_back(i);
    next_codepoint(word, i);
  }
  cuts.push_back(word.size());
  std::vector<std::string> pieces;
  size_t start = 0;  // index into cuts
  while (start + 1 < cuts.size()) {
    size_t end = cuts.size() - 1;
    std::string found;
    for (; end > start; --end) {
      std::string piece = word.substr(cuts[start], cuts[end] - cuts[start]);
      if (start > 0) piece = opts_.prefix + piece;
      if (vocab_.count(piece)) {
        found = std::move(piece);
        break;
      }
    }
    if (end == start) return {opts_.unk};  // nothing matched: the whole word is unknown
    pieces.push_back(std::move(found));
    start = end;
  }
  return pieces;
}

std::vector<int64_t> WordPieceTokenizer::encode(const std::string& text, bool add_special) const {
  std::vector<int64_t> ids;
  if (add_special) {
    int64_t cls = token_to_id(opts_.cls);
    if (cls < 0) fail("wordpiece: the vocabulary has no \"{}\" token", opts_.cls);
    ids.push_back(cls);
  }
  for (const auto& word : basic_tokenize(text))
    for (const auto& piece : wordpiece(word)) ids.push_back(vocab_.at(piece));
  if (add_special) {
    int64_t sep = token_to_id(opts_.sep);
    if (sep < 0) fail("wordpiece: the vocabulary has no \"{}\" token", opts_.sep);
    ids.push_back(sep);
  }
  return ids;
}

std::string WordPieceTokenizer::decode(const std::vector<int64_t>& ids, bool skip_special) const {
  std::string out;
  for (int64_t id : ids) {
    auto it = by_id_.find(id);
    if (it == by_id_.end()) continue;
    if (skip_special && is_special(id)) continue;
    const std::string& tok = it->second;
    if (!out.empty() && tok.compare(0, opts_.prefix.size(), opts_.prefix) == 0) {
      out += tok.substr(opts_.prefix.size());
    } else {
      if (!out.empty()) out += ' ';
      out += tok;
    }
  }
  return out;
}

std::vector<std::string> WordPieceTokenizer::tokens(const std::vector<int64_t>& ids) const {
  std::vector<std::string> out;
  for (int64_t id : ids) {
    auto it = by_id_.find(id);
    if (it == by_id_.end()) fail("wordpiece: unknown token id {}", id);
    out.push_back(it->second);
  }
  return out;
}

int64_t WordPieceTokenizer::token_to_id(const std::string& token) const {
  auto it = vocab_.find(token);
  return it == vocab_.end() ? -1 : it->second;
}

bool WordPieceTokenizer::is_special(int64_t id) const {
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return false;
  const std::string& t = it->second;
  return t == opts_.unk || t == opts_.cls || t == opts_.sep || t == opts_.pad || t == opts_.mask;
}

}  // namespace argus::text
