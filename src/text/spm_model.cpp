#include "text/spm_model.h"

#include <algorithm>
#include <cfloat>
#include <cstring>
#include <fstream>
#include <iterator>
#include <queue>
#include <sstream>

#include <fmt/format.h>

#include "util/error.h"
#include "util/strings.h"

namespace argus::text {
namespace {

constexpr std::string_view kMeta = "\xE2\x96\x81";  // U+2581, SentencePiece's space
constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
constexpr float kUnkPenalty = 10.0f;  // Unigram: unk scores min_score - 10, as libsentencepiece

[[noreturn]] void bad(const std::string& what, const std::string& why) {
  fail("{}: not a SentencePiece model ({})", what, why);
}

// ---------------------------------------------------------------- protobuf wire format

enum Wire : uint32_t { kVarint = 0, kFixed64 = 1, kLen = 2, kStartGroup = 3, kEndGroup = 4, kFixed32 = 5 };

class Reader {
 public:
  Reader(std::string_view bytes, const std::string& what, size_t base = 0) : b_(bytes), what_(what), base_(base) {}

  bool done() const { return pos_ >= b_.size(); }

  uint64_t varint() {
    uint64_t r = 0;
    const size_t start = pos_;
    for (int shift = 0; shift < 70; shift += 7) {
      if (pos_ >= b_.size()) bad(what_, fmt::format("truncated varint at byte {}", base_ + start));
      const auto c = static_cast<uint8_t>(b_[pos_++]);
      if (shift == 63 && c > 1) bad(what_, fmt::format("varint overflows 64 bits at byte {}", base_ + start));
      r |= static_cast<uint64_t>(c & 0x7F) << shift;
      if (!(c & 0x80)) return r;
    }
    bad(what_, fmt::format("varint longer than 10 bytes at byte {}", base_ + start));
  }

  // Returns false at the end of the message; otherwise the field number and wire type.
  bool key(uint32_t& field, uint32_t& wire) {
    if (done()) return false;
    const size_t start = pos_;
    const uint64_t k = varint();
    field = static_cast<uint32_t>(k >> 3);
    wire = static_cast<uint32_t>(k & 7);
    if (k > 0xFFFFFFFFull || field == 0) bad(what_, fmt::format("invalid field key at byte {}", base_ + start));
    if (wire == kStartGroup || wire == kEndGroup || wire > kFixed32)
      bad(what_, fmt::format("unsupported wire type {} at byte {}", wire, base_ + start));
    return true;
  }

  std::string_view bytes(size_t* offset = nullptr) {
    const size_t start = pos_;
    const uint64_t n = varint();
    if (n > b_.size() - pos_)
      bad(what_, fmt::format("length {} at byte {} runs past the end ({} bytes left)", n, base_ + start, b_.size() - pos_));
    if (offset) *offset = base_ + pos_;
    std::string_view v = b_.substr(pos_, static_cast<size_t>(n));
    pos_ += static_cast<size_t>(n);
    return v;
  }

  uint32_t fixed32() {
    if (b_.size() - pos_ < 4) bad(what_, fmt::format("truncated fixed32 at byte {}", base_ + pos_));
    uint32_t v = 0;
    for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(b_[pos_ + static_cast<size_t>(i)]);
    pos_ += 4;
    return v;
  }

  float float32() {
    const uint32_t u = fixed32();
    float f;
    std::memcpy(&f, &u, sizeof f);
    return f;
  }

  void skip(uint32_t wire) {
    switch (wire) {
      case kVarint: varint(); return;
      case kLen: bytes(); return;
      case kFixed32: fixed32(); return;
      case kFixed64:
        if (b_.size() - pos_ < 8) bad(what_, fmt::format("truncated fixed64 at byte {}", base_ + pos_));
        pos_ += 8;
        return;
      default: bad(what_, fmt::format("unsupported wire type {}", wire));
    }
  }

  const std::string& what() const { return what_; }

 private:
  std::string_view b_;
  const std::string& what_;
  size_t base_;
  size_t pos_ = 0;
};

// A scalar field with an unexpected wire type is an unknown field to protobuf: skip it.
bool want(Reader& r, uint32_t wire, uint32_t expected) {
  if (wire == expected) return true;
  r.skip(wire);
  return false;
}

void parse_piece(std::string_view b, size_t base, const std::string& what, SpmModel::Piece& p) {
  Reader r(b, what, base);
  uint32_t f, w;
  while (r.key(f, w)) {
    if (f == 1 && want(r, w, kLen)) {
      p.text = std::string(r.bytes());
    } else if (f == 2 && want(r, w, kFixed32)) {
      p.score = r.float32();
    } else if (f == 3 && want(r, w, kVarint)) {
      const uint64_t t = r.varint();
      if (t >= 1 && t <= 6) p.type = static_cast<SpmModel::PieceType>(t);  // unknown enum values are dropped
    } else if (f > 3) {
      r.skip(w);
    }
  }
}

void parse_trainer(std::string_view b, size_t base, const std::string& what, SpmModel::TrainerSpec& t) {
  Reader r(b, what, base);
  uint32_t f, w;
  auto flag = [&](bool& v) {
    if (want(r, w, kVarint)) v = r.varint() != 0;
  };
  auto int32 = [&](int32_t& v) {
    if (want(r, w, kVarint)) v = static_cast<int32_t>(static_cast<uint32_t>(r.varint()));
  };
  auto str = [&](std::string& v) {
    if (want(r, w, kLen)) v = std::string(r.bytes());
  };
  while (r.key(f, w)) {
    switch (f) {
      case 3:
        if (want(r, w, kVarint)) {
          const uint64_t m = r.varint();
          if (m >= 1 && m <= 4) t.model_type = static_cast<SpmModel::Algorithm>(m);
        }
        break;
      case 24: flag(t.treat_whitespace_as_suffix); break;
      case 25: flag(t.split_digits); break;
      case 35: flag(t.byte_fallback); break;
      case 40: int32(t.unk_id); break;
      case 41: int32(t.bos_id); break;
      case 42: int32(t.eos_id); break;
      case 43: int32(t.pad_id); break;
      case 45: str(t.unk_piece); break;
      case 46: str(t.bos_piece); break;
      case 47: str(t.eos_piece); break;
      case 48: str(t.pad_piece); break;
      default: r.skip(w);
    }
  }
}

void parse_normalizer(std::string_view b, size_t base, const std::string& what, SpmModel::NormalizerSpec& n) {
  Reader r(b, what, base);
  uint32_t f, w;
  while (r.key(f, w)) {
    switch (f) {
      case 1:
        if (want(r, w, kLen)) n.name = std::string(r.bytes());
        break;
      case 2:
        if (want(r, w, kLen)) n.precompiled_charsmap = std::string(r.bytes());
        break;
      case 3:
        if (want(r, w, kVarint)) n.add_dummy_prefix = r.varint() != 0;
        break;
      case 4:
        if (want(r, w, kVarint)) n.remove_extra_whitespaces = r.varint() != 0;
        break;
      case 5:
        if (want(r, w, kVarint)) n.escape_whitespaces = r.varint() != 0;
        break;
      default: r.skip(w);
    }
  }
}

// ---------------------------------------------------------------- UTF-8 as libsentencepiece sees it

// Length of the character a lead byte announces (no validation), as string_util::OneCharLen.
size_t one_char_len(char c) {
  static constexpr uint8_t kLen[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
  return kLen[static_cast<uint8_t>(c) >> 4];
}

bool trail(char c) { return (static_cast<uint8_t>(c) & 0xC0) == 0x80; }
bool valid_cp(uint32_t c) { return c < 0xD800 || (c >= 0xE000 && c <= 0x10FFFF); }

// Length of the valid UTF-8 character at the start of s, or 0 if it is malformed.
size_t valid_char_len(std::string_view s) {
  const auto* u = reinterpret_cast<const uint8_t*>(s.data());
  const size_t n = s.size();
  if (u[0] < 0x80) return 1;
  if (n >= 2 && (u[0] & 0xE0) == 0xC0) {
    const uint32_t cp = ((u[0] & 0x1Fu) << 6) | (u[1] & 0x3Fu);
    if (trail(s[1]) && cp >= 0x80 && valid_cp(cp)) return 2;
  } else if (n >= 3 && (u[0] & 0xF0) == 0xE0) {
    const uint32_t cp = ((u[0] & 0x0Fu) << 12) | ((u[1] & 0x3Fu) << 6) | (u[2] & 0x3Fu);
    if (trail(s[1]) && trail(s[2]) && cp >= 0x800 && valid_cp(cp)) return 3;
  } else if (n >= 4 && (u[0] & 0xF8) == 0xF0) {
    const uint32_t cp = ((u[0] & 0x07u) << 18) | ((u[1] & 0x3Fu) << 12) | ((u[2] & 0x3Fu) << 6) | (u[3] & 0x3Fu);
    if (trail(s[1]) && trail(s[2]) && trail(s[3]) && cp >= 0x10000 && valid_cp(cp)) return 4;
  }
  return 0;
}

}  // namespace

// ---------------------------------------------------------------- loading

SpmModel SpmModel::from_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("cannot open {}", path);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) fail("cannot read {}", path);
  return from_bytes(bytes, path);
}

SpmModel SpmModel::from_bytes(std::string_view bytes, const std::string& what) {
  SpmModel m;
  if (bytes.empty()) bad(what, "empty file");
  Reader r(bytes, what);
  uint32_t f, w;
  while (r.key(f, w)) {
    size_t off = 0;
    if (f == 1 && want(r, w, kLen)) {
      std::string_view b = r.bytes(&off);
      m.pieces_.emplace_back();
      parse_piece(b, off, what, m.pieces_.back());
    } else if (f == 2 && want(r, w, kLen)) {
      std::string_view b = r.bytes(&off);
      parse_trainer(b, off, what, m.trainer_);
    } else if (f == 3 && want(r, w, kLen)) {
      std::string_view b = r.bytes(&off);
      parse_normalizer(b, off, what, m.normalizer_);
    } else if (f > 3) {
      r.skip(w);
    }
  }
  m.init(what);
  return m;
}

SpmModel SpmModel::from_pieces(std::vector<Piece> pieces, const TrainerSpec& trainer,
                               const NormalizerSpec& normalizer, const std::string& what) {
  SpmModel m;
  m.pieces_ = std::move(pieces);
  m.trainer_ = trainer;
  m.normalizer_ = normalizer;
  m.init(what);
  return m;
}

void SpmModel::init(const std::string& what) {
  if (pieces_.empty()) bad(what, "no pieces");
  for (size_t i = 0; i < pieces_.size(); ++i) {
    const Piece& p = pieces_[i];
    const int id = static_cast<int>(i);
    if (p.text.empty()) bad(what, fmt::format("piece {} is empty", i));
    const bool normal = p.type == PieceType::Normal || p.type == PieceType::UserDefined || p.type == PieceType::Unused;
    auto& map = normal ? normal_ : reserved_;
    if (!map.emplace(p.text, id).second) bad(what, fmt::format("piece \"{}\" is defined twice", p.text));
    if (normal) max_normal_len_ = std::max(max_normal_len_, p.text.size());
    if (p.type == PieceType::UserDefined) {
      user_.emplace(p.text, id);
      max_user_len_ = std::max(max_user_len_, p.text.size());
    }
    if (p.type == PieceType::Unknown) {
      if (unk_ >= 0) bad(what, "more than one unknown piece");
      unk_ = id;
    }
    if (p.type == PieceType::Byte && !trainer_.byte_fallback)
      bad(what, fmt::format("byte piece \"{}\" although byte_fallback is off", p.text));
  }
  if (unk_ < 0) bad(what, "no unknown piece");

  min_score_ = FLT_MAX;
  max_score_ = FLT_MIN;  // sic: libsentencepiece starts from the smallest positive float
  for (const auto& p : pieces_)
    if (p.type == PieceType::Normal) {
      min_score_ = std::min(min_score_, p.score);
      max_score_ = std::max(max_score_, p.score);
    }

  const std::string& blob = normalizer_.precompiled_charsmap;
  if (!blob.empty()) {
    if (blob.size() <= 4) bad(what, "precompiled charsmap is broken");
    uint32_t trie_size = 0;
    for (int i = 3; i >= 0; --i) trie_size = (trie_size << 8) | static_cast<uint8_t>(blob[static_cast<size_t>(i)]);
    if (trie_size >= blob.size()) bad(what, "precompiled charsmap: trie size exceeds the blob");
    if (trie_size > blob.size() - 4) bad(what, "precompiled charsmap: trie runs past the blob");
    trie_.resize(trie_size / 4);
    if (!trie_.empty()) std::memcpy(trie_.data(), blob.data() + 4, trie_.size() * 4);  // little-endian host
    replacements_ = blob.substr(4 + trie_size);
  }
}

// ---------------------------------------------------------------- lookups

int SpmModel::piece_to_id(std::string_view piece) const {
  if (auto it = reserved_.find(piece); it != reserved_.end()) return it->second;
  if (auto it = normal_.find(piece); it != normal_.end()) return it->second;
  return unk_;
}

int SpmModel::unk_id() const {
  const int id = piece_to_id(trainer_.unk_piece);
  return is_unknown(id) ? id : -1;
}
int SpmModel::bos_id() const {
  const int id = piece_to_id(trainer_.bos_piece);
  return is_control(id) ? id : -1;
}
int SpmModel::eos_id() const {
  const int id = piece_to_id(trainer_.eos_piece);
  return is_control(id) ? id : -1;
}
int SpmModel::pad_id() const {
  const int id = piece_to_id(trainer_.pad_piece);
  return is_control(id) ? id : -1;
}

size_t SpmModel::user_symbol_prefix(std::string_view s) const {
  if (user_.empty()) return 0;
  for (size_t n = std::min(max_user_len_, s.size()); n > 0; --n)
    if (user_.count(s.substr(0, n))) return n;
  return 0;
}

// ---------------------------------------------------------------- normalisation

// The normalised form of the longest rule matching a prefix of s, and how many bytes it eats.
std::pair<std::string_view, size_t> SpmModel::normalize_prefix(std::string_view s) const {
  if (s.empty()) return {std::string_view(), 0};
  if (size_t n = user_symbol_prefix(s)) return {s.substr(0, n), n};

  size_t longest = 0;
  uint32_t value = 0;
  if (!trie_.empty()) {
    // Darts::DoubleArray::commonPrefixSearch over the raw bytes, every index checked.
    auto offset = [](uint32_t u) { return (u >> 10) << ((u & (1u << 9)) >> 6); };
    size_t node = 0;
    uint32_t unit = trie_[0];
    node ^= offset(unit);
    int found = 0;
    for (size_t i = 0; i < s.size(); ++i) {
      const auto c = static_cast<uint8_t>(s[i]);
      node ^= c;
      if (node >= trie_.size()) break;
      unit = trie_[node];
      if ((unit & ((1u << 31) | 0xFFu)) != c) break;
      node ^= offset(unit);
      if ((unit >> 8) & 1u) {
        if (node >= trie_.size()) break;
        if (found++ < 32) {  // libsentencepiece looks at the first 32 matches
          longest = i + 1;
          value = trie_[node] & 0x7FFFFFFFu;
        }
      }
    }
  }
  if (longest == 0) {
    const size_t n = valid_char_len(s);
    if (n == 0) return {kReplacement, 1};  // malformed byte: U+FFFD, one byte consumed
    return {s.substr(0, n), n};
  }
  if (value >= replacements_.size()) fail("SentencePiece charsmap: rule points past its replacement table");
  const size_t end = replacements_.find('\0', value);
  if (end == std::string::npos) fail("SentencePiece charsmap: unterminated replacement");
  return {std::string_view(replacements_).substr(value, end - value), longest};
}

std::string SpmModel::normalize(std::string_view input, bool add_dummy_prefix) const {
  std::string out;
  const bool rm = normalizer_.remove_extra_whitespaces;
  const bool esc = normalizer_.escape_whitespaces;
  const bool suffix = trainer_.treat_whitespace_as_suffix;
  if (rm) {
    while (!input.empty()) {
      auto p = normalize_prefix(input);
      if (p.first != " ") break;
      input.remove_prefix(p.second);
    }
  }
  if (input.empty()) return out;
  out.reserve(input.size() * 3);
  auto add_ws = [&] { out += esc ? kMeta : std::string_view(" "); };
  if (!suffix && add_dummy_prefix) add_ws();
  bool prev_space = rm;
  while (!input.empty()) {
    auto [sp, n] = normalize_prefix(input);
    if (prev_space)
      while (!sp.empty() && sp[0] == ' ') sp.remove_prefix(1);
    if (!sp.empty()) {
      for (char c : sp) {
        if (esc && c == ' ')
          out += kMeta;
        else
          out += c;
      }
      prev_space = sp.back() == ' ';
    }
    input.remove_prefix(n);
    if (!rm) prev_space = false;
  }
  if (rm) {
    const std::string_view space = esc ? kMeta : std::string_view(" ");
    while (ends_with(out, space)) out.resize(out.size() - space.size());
  }
  if (suffix && add_dummy_prefix) add_ws();
  return out;
}

// ---------------------------------------------------------------- segmentation

void SpmModel::segment_bpe(std::string_view text, std::vector<Segment>& out) const {
  struct Symbol {
    int prev, next;
    bool freeze;
    std::string_view piece;
  };
  struct Pair {
    int left, right;
    float score;
    size_t size;
  };
  // Highest score first; on a tie the leftmost pair.
  auto cmp = [](const Pair& a, const Pair& b) { return a.score < b.score || (a.score == b.score && a.left > b.left); };
  std::priority_queue<Pair, std::vector<Pair>, decltype(cmp)> agenda(cmp);
  std::unordered_map<std::string_view, std::pair<std::string_view, std::string_view>> rev_merge;
  std::vector<Symbol> sym;

  auto add_pair = [&](int left, int right) {
    if (left == -1 || right == -1 || sym[left].freeze || sym[right].freeze) return;
    const std::string_view piece(sym[left].piece.data(), sym[left].piece.size() + sym[right].piece.size());
    auto it = normal_.find(piece);
    if (it == normal_.end()) return;
    agenda.push(Pair{left, right, pieces_[it->second].score, piece.size()});
    if (pieces_[it->second].type == PieceType::Unused) rev_merge[piece] = {sym[left].piece, sym[right].piece};
  };

  int index = 0;
  while (!text.empty()) {
    Symbol s;
    size_t n = user_symbol_prefix(text);
    s.freeze = n > 0;
    if (n == 0) n = std::min(text.size(), one_char_len(text[0]));
    s.piece = text.substr(0, n);
    s.prev = index == 0 ? -1 : index - 1;
    text.remove_prefix(n);
    s.next = text.empty() ? -1 : index + 1;
    ++index;
    sym.push_back(s);
  }
  for (size_t i = 1; i < sym.size(); ++i) add_pair(static_cast<int>(i) - 1, static_cast<int>(i));

  while (!agenda.empty()) {
    const Pair top = agenda.top();
    agenda.pop();
    Symbol& l = sym[top.left];
    Symbol& r = sym[top.right];
    if (l.piece.empty() || r.piece.empty() || l.piece.size() + r.piece.size() != top.size) continue;
    l.piece = std::string_view(l.piece.data(), l.piece.size() + r.piece.size());
    l.next = r.next;
    if (r.next >= 0) sym[r.next].prev = top.left;
    r.piece = std::string_view();
    add_pair(l.prev, top.left);
    add_pair(top.left, l.next);
  }

  // Unused pieces are split back into the pieces they were merged from.
  auto resegment = [&](auto&& self, std::string_view w, int depth) -> void {
    const int id = piece_to_id(w);
    if (!is_unused(id) || depth > 1000) {
      out.emplace_back(w, id);
      return;
    }
    auto it = rev_merge.find(w);
    if (it == rev_merge.end()) {
      out.emplace_back(w, id);
      return;
    }
    self(self, it->second.first, depth + 1);
    self(self, it->second.second, depth + 1);
  };
  if (sym.empty()) return;
  for (int i = 0; i != -1; i = sym[i].next) resegment(resegment, sym[i].piece, 0);
}

void SpmModel::segment_unigram(std::string_view text, std::vector<Segment>& out) const {
  struct Best {
    int id = -1;
    float score = 0.0f;
    int starts_at = -1;
  };
  const size_t size = text.size();
  const float unk_score = min_score_ - kUnkPenalty;
  std::vector<Best> best(size + 1);
  size_t start = 0;
  while (start < size) {
    const float till_here = best[start].score;
    bool has_single = false;
    const size_t mblen = std::min(one_char_len(text[start]), size - start);
    const size_t max_len = std::min(max_normal_len_, size - start);
    for (size_t len = 1; len <= max_len; ++len) {
      auto it = normal_.find(text.substr(start, len));
      if (it == normal_.end()) continue;
      const int id = it->second;
      const Piece& p = pieces_[static_cast<size_t>(id)];
      if (p.type == PieceType::Unused) continue;
      Best& target = best[start + len];
      if (p.type == PieceType::UserDefined) {
        // A user-defined symbol gets a bonus so that it always wins (double arithmetic, as upstream).
        const double score = static_cast<float>(len) * max_score_ - 0.1;
        const double cand = score + till_here;
        if (target.starts_at == -1 || cand > target.score) {
          target.score = static_cast<float>(cand);
          target.starts_at = static_cast<int>(start);
          target.id = id;
        }
      } else {
        const float cand = p.score + till_here;
        if (target.starts_at == -1 || cand > target.score) {
          target.score = cand;
          target.starts_at = static_cast<int>(start);
          target.id = id;
        }
      }
      if (!has_single && len == mblen) has_single = true;
    }
    if (!has_single) {
      Best& target = best[start + mblen];
      const float cand = unk_score + till_here;
      if (target.starts_at == -1 || cand > target.score) {
        target.score = cand;
        target.starts_at = static_cast<int>(start);
        target.id = unk_;
      }
    }
    start += mblen;
  }
  const size_t first = out.size();
  for (size_t end = size; end > 0;) {
    const Best& b = best[end];
    if (b.starts_at < 0) fail("SentencePiece: Viterbi found no path");  // cannot happen: unk covers every character
    out.emplace_back(text.substr(static_cast<size_t>(b.starts_at), end - static_cast<size_t>(b.starts_at)), b.id);
    end = static_cast<size_t>(b.starts_at);
  }
  std::reverse(out.begin() + static_cast<std::ptrdiff_t>(first), out.end());
}

void SpmModel::segment(std::string_view text, std::vector<Segment>& out) const {
  if (text.empty()) return;
  switch (trainer_.model_type) {
    case Algorithm::Bpe: segment_bpe(text, out); return;
    case Algorithm::Unigram: segment_unigram(text, out); return;
    case Algorithm::Char:
      while (!text.empty()) {
        size_t n = user_symbol_prefix(text);
        if (n == 0) n = std::min(text.size(), one_char_len(text[0]));
        out.emplace_back(text.substr(0, n), piece_to_id(text.substr(0, n)));
        text.remove_prefix(n);
      }
      return;
    case Algorithm::Word: {
      // A word starts at each "▁" (libsentencepiece 0.1.97 splits this way even for
      // treat_whitespace_as_suffix models).
      std::vector<std::string_view> words;
      const char* begin = text.data();
      const char* end = begin + text.size();
      while (begin < end) {
        const size_t n = std::min<size_t>(one_char_len(*begin), static_cast<size_t>(end - begin));
        if (begin == text.data() || std::string_view(begin, n) == kMeta) words.emplace_back(begin, 0);
        words.back() = std::string_view(words.back().data(), words.back().size() + n);
        begin += n;
      }
      for (auto w : words) out.emplace_back(w, piece_to_id(w));
      return;
    }
  }
}

std::vector<int> SpmModel::encode(std::string_view text, bool add_dummy_prefix) const {
  const std::string normalized = normalize(text, add_dummy_prefix);
  std::vector<Segment> segs;
  segment(normalized, segs);
  std::vector<int> ids;
  ids.reserve(segs.size());
  bool prev_unk = false;
  for (const auto& [w, id] : segs) {
    const bool unk = is_unknown(id);
    if (unk && trainer_.byte_fallback) {
      for (char c : w) ids.push_back(piece_to_id(fmt::format("<0x{:02X}>", static_cast<uint8_t>(c))));
    } else if (!(unk && prev_unk)) {  // a run of unknown pieces becomes one unk, as libsentencepiece
      ids.push_back(id);
    }
    prev_unk = unk;
  }
  return ids;
}

}  // namespace argus::text
