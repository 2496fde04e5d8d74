#include "text/hf_pre_tokenizer.h"

#include "text/byte_level.h"
#include "text/hf_pattern.h"
#include "text/split.h"
#include "text/unicode.h"
#include "text/utf8.h"
#include "util/error.h"

namespace argus::text {
namespace {

constexpr const char* kGpt2Pattern = R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";
constexpr const char* kMetaspace = "\xE2\x96\x81";  // U+2581

void split_each(std::vector<PreToken>& pieces, const Regex& re, SplitBehavior behavior, bool invert) {
  std::vector<PreToken> out;
  out.reserve(pieces.size());
  for (auto& p : pieces)
    for (auto [b, e] : split_spans(p.text.size(), re.find_all(p.text), behavior, invert))
      out.push_back({p.text.substr(b, e - b), p.at_start && b == 0});
  pieces = std::move(out);
}

struct Split : PreTokenizer {
  std::unique_ptr<Regex> pattern;
  SplitBehavior behavior;
  bool invert;
  void apply(std::vector<PreToken>& pieces) const override { split_each(pieces, *pattern, behavior, invert); }
};

struct ByteLevel : PreTokenizer {
  bool add_prefix_space, use_regex;
  Regex re{kGpt2Pattern, "ByteLevel pre-tokenizer"};
  void apply(std::vector<PreToken>& pieces) const override {
    if (add_prefix_space)
      for (auto& p : pieces)
        if (p.text.empty() || p.text[0] != ' ') p.text.insert(0, " ");
    if (use_regex) split_each(pieces, re, SplitBehavior::Isolated, false);
    for (auto& p : pieces) p.text = to_byte_level(p.text);
  }
};

enum class Prepend { Always, First, Never };

struct Metaspace : PreTokenizer {
  std::string replacement;
  Prepend prepend;
  bool split;
  std::unique_ptr<Regex> re;
  void apply(std::vector<PreToken>& pieces) const override {
    for (auto& p : pieces) {
      std::string s;
      s.reserve(p.text.size() + 8);
      for (char c : p.text) {
        if (c == ' ')
          s += replacement;
        else
          s += c;
      }
      bool starts = s.compare(0, replacement.size(), replacement) == 0;
      if (!starts && (prepend == Prepend::Always || (prepend == Prepend::First && p.at_start))) s.insert(0, replacement);
      p.text = std::move(s);
    }
    if (split) split_each(pieces, *re, SplitBehavior::MergedWithNext, false);
  }
};

// Splits on Unicode whitespace, dropping it.
struct WhitespaceSplit : PreTokenizer {
  void apply(std::vector<PreToken>& pieces) const override {
    std::vector<PreToken> out;
    for (auto& p : pieces) {
      const std::string& s = p.text;
      size_t i = 0, start = std::string::npos;
      while (i < s.size()) {
        size_t at = i;
        bool ws = is_unicode_whitespace(next_codepoint(s, i));
        if (ws && start != std::string::npos) {
          out.push_back({s.substr(start, at - start), p.at_start && start == 0});
          start = std::string::npos;
        } else if (!ws && start == std::string::npos) {
          start = at;
        }
      }
      if (start != std::string::npos) out.push_back({s.substr(start), p.at_start && start == 0});
    }
    pieces = std::move(out);
  }
};

struct Sequence : PreTokenizer {
  std::vector<std::unique_ptr<PreTokenizer>> steps;
  void apply(std::vector<PreToken>& pieces) const override {
    for (auto& s : steps) s->apply(pieces);
  }
};

Prepend parse_prepend(const nlohmann::json& j, const std::string& what) {
  if (j.contains("prepend_scheme") && !j["prepend_scheme"].is_null()) {
    std::string s = json_string(j, "prepend_scheme", "always", what);
    if (s == "always") return Prepend::Always;
    if (s == "first") return Prepend::First;
    if (s == "never") return Prepend::Never;
    fail("{}: unknown Metaspace prepend_scheme \"{}\"", what, s);
  }
  // Files written before prepend_scheme existed carry add_prefix_space instead.
  return json_bool(j, "add_prefix_space", true, what) ? Prepend::Always : Prepend::Never;
}

}  // namespace

std::unique_ptr<PreTokenizer> make_pre_tokenizer(const nlohmann::json& j, const std::string& what) {
  if (j.is_null()) return nullptr;
  if (!j.is_object() || !j.contains("type") || !j["type"].is_string()) fail("{}: pre_tokenizer without a \"type\"", what);
  const std::string type = j["type"];
  if (type == "Sequence") {
    auto seq = std::make_unique<Sequence>();
    auto it = j.find("pretokenizers");
    if (it == j.end() || !it->is_array()) fail("{}: Sequence pre_tokenizer without a \"pretokenizers\" array", what);
    for (auto& p : *it)
      if (auto step = make_pre_tokenizer(p, what)) seq->steps.push_back(std::move(step));
    return seq;
  }
  if (type == "Split") {
    auto s = std::make_unique<Split>();
    if (!j.contains("pattern")) fail("{}: Split pre_tokenizer without \"pattern\"", what);
    s->pattern = make_pattern(j["pattern"], what + " (Split pre_tokenizer)");
    s->behavior = parse_split_behavior(json_string(j, "behavior", "Isolated", what));
    s->invert = json_bool(j, "invert", false, what);
    return s;
  }
  if (type == "ByteLevel") {
    auto b = std::make_unique<ByteLevel>();
    b->add_prefix_space = json_bool(j, "add_prefix_space", true, what);
    b->use_regex = json_bool(j, "use_regex", true, what);
    return b;
  }
  if (type == "Metaspace") {
    auto m = std::make_unique<Metaspace>();
    m->replacement = json_string(j, "replacement", kMetaspace, what);
    if (m->replacement.empty() || !is_valid_utf8(m->replacement))
      fail("{}: Metaspace replacement must be one character", what);
    m->prepend = parse_prepend(j, what);
    m->split = json_bool(j, "split", true, what);
    m->re = std::make_unique<Regex>(Regex::literal(m->replacement, what));
    return m;
  }
  if (type == "Whitespace") {
    auto s = std::make_unique<Split>();
    s->pattern = std::make_unique<Regex>(R"(\w+|[^\w\s]+)", what);
    s->behavior = SplitBehavior::Removed;
    s->invert = true;
    return s;
  }
  if (type == "WhitespaceSplit") return std::make_unique<WhitespaceSplit>();
  if (type == "Digits") {
    auto s = std::make_unique<Split>();
    s->pattern = std::make_unique<Regex>(R"(\p{N})", what);
    s->behavior = json_bool(j, "individual_digits", false, what) ? SplitBehavior::Isolated : SplitBehavior::Contiguous;
    s->invert = false;
    return s;
  }
  if (type == "Punctuation") {
    auto s = std::make_unique<Split>();
    s->pattern = std::make_unique<Regex>(R"([\p{P}!-\/:-@\[-`{-~])", what);
    s->behavior = parse_split_behavior(json_string(j, "behavior", "Isolated", what));
    s->invert = false;
    return s;
  }
  fail("{}: unsupported pre_tokenizer type \"{}\"", what, type);
}

}  // namespace argus::text
