#include "text/hf_decoder.h"

#include <cctype>

#include "text/byte_level.h"
#include "text/hf_pattern.h"
#include "text/utf8.h"
#include "util/error.h"

namespace argus::text {
namespace {

constexpr const char* kReplacementChar = "\xEF\xBF\xBD";

std::string replace_literal(const std::string& s, const std::string& from, const std::string& to) {
  if (from.empty()) return s;
  std::string out;
  size_t pos = 0;
  for (;;) {
    size_t hit = s.find(from, pos);
    if (hit == std::string::npos) break;
    out.append(s, pos, hit - pos);
    out += to;
    pos = hit + from.size();
  }
  out.append(s, pos, std::string::npos);
  return out;
}

struct ByteLevelDec : Decoder {
  void decode_chain(std::vector<std::string>& tokens, bool raw) const override {
    std::string bytes;
    for (auto& t : tokens)
      if (!from_byte_level(t, bytes)) bytes += t;  // not byte-level (e.g. an added token): as is
    tokens.assign(1, raw ? bytes : to_valid_utf8(bytes));
  }
};

struct ByteFallbackDec : Decoder {
  void decode_chain(std::vector<std::string>& tokens, bool raw) const override {
    std::vector<std::string> out;
    std::string run;
    size_t run_len = 0;
    auto flush = [&] {
      if (run_len == 0) return;
      if (raw || is_valid_utf8(run)) {
        out.push_back(run);
      } else {
        for (size_t k = 0; k < run_len; ++k) out.push_back(kReplacementChar);  // one per byte, as the reference
      }
      run.clear();
      run_len = 0;
    };
    for (auto& t : tokens) {
      int byte = -1;
      if (t.size() == 6 && t.compare(0, 3, "<0x") == 0 && t[5] == '>' && std::isxdigit(static_cast<unsigned char>(t[3])) &&
          std::isxdigit(static_cast<unsigned char>(t[4])))
        byte = std::stoi(t.substr(3, 2), nullptr, 16);
      if (byte >= 0) {
        run += static_cast<char>(byte);
        ++run_len;
      } else {
        flush();
        out.push_back(t);
      }
    }
    flush();
    tokens = std::move(out);
  }
};

struct FuseDec : Decoder {
  void decode_chain(std::vector<std::string>& tokens, bool) const override {
    std::string all;
    for (auto& t : tokens) all += t;
    tokens.assign(1, all);
  }
};

struct StripDec : Decoder {
  std::string content;
  size_t start, stop;
  void decode_chain(std::vector<std::string>& tokens, bool) const override {
    for (auto& t : tokens) {
      size_t b = 0, e = t.size();
      for (size_t k = 0; k < start && e - b >= content.size() && t.compare(b, content.size(), content) == 0; ++k)
        b += content.size();
      for (size_t k = 0; k < stop && e - b >= content.size() && t.compare(e - content.size(), content.size(), content) == 0; ++k)
        e -= content.size();
      t = t.substr(b, e - b);
    }
  }
};

struct ReplaceDec : Decoder {
  std::unique_ptr<Regex> regex;  // null for a String pattern
  std::string literal, content;
  void decode_chain(std::vector<std::string>& tokens, bool) const override {
    for (auto& t : tokens) {
      if (!regex)
        t = replace_literal(t, literal, content);
      else
        t = regex->replace_all(is_valid_utf8(t) ? t : to_valid_utf8(t), content);
    }
  }
};

struct MetaspaceDec : Decoder {
  std::string replacement;
  bool strip_first;  // prepend_scheme != never: the first token's marks are the added prefix
  void decode_chain(std::vector<std::string>& tokens, bool) const override {
    for (size_t i = 0; i < tokens.size(); ++i)
      tokens[i] = replace_literal(tokens[i], replacement, i == 0 && strip_first ? "" : " ");
  }
};

struct BpeDec : Decoder {
  std::string suffix;
  void decode_chain(std::vector<std::string>& tokens, bool) const override {
    for (size_t i = 0; i < tokens.size(); ++i) tokens[i] = replace_literal(tokens[i], suffix, i + 1 == tokens.size() ? "" : " ");
  }
};

struct SequenceDec : Decoder {
  std::vector<std::unique_ptr<Decoder>> steps;
  void decode_chain(std::vector<std::string>& tokens, bool raw) const override {
    for (auto& s : steps) s->decode_chain(tokens, raw);
  }
};

}  // namespace

std::unique_ptr<Decoder> make_decoder(const nlohmann::json& j, const std::string& what) {
  if (j.is_null()) return nullptr;
  if (!j.is_object() || !j.contains("type") || !j["type"].is_string()) fail("{}: decoder without a \"type\"", what);
  const std::string type = j["type"];
  if (type == "ByteLevel") return std::make_unique<ByteLevelDec>();
  if (type == "ByteFallback") return std::make_unique<ByteFallbackDec>();
  if (type == "Fuse") return std::make_unique<FuseDec>();
  if (type == "Strip") {
    auto s = std::make_unique<StripDec>();
    s->content = json_string(j, "content", " ", what);
    int64_t a = json_int(j, "start", 0, what), b = json_int(j, "stop", 0, what);
    if (a < 0 || b < 0) fail("{}: Strip decoder start/stop must not be negative", what);
    s->start = static_cast<size_t>(a);
    s->stop = static_cast<size_t>(b);
    return s;
  }
  if (type == "Replace") {
    auto r = std::make_unique<ReplaceDec>();
    if (!j.contains("pattern") || !j["pattern"].is_object()) fail("{}: Replace decoder without \"pattern\"", what);
    const auto& p = j["pattern"];
    if (p.contains("String") && p["String"].is_string())
      r->literal = p["String"].get<std::string>();
    else
      r->regex = make_pattern(p, what + " (Replace decoder)");
    r->content = json_string(j, "content", "", what);
    return r;
  }
  if (type == "Metaspace") {
    auto m = std::make_unique<MetaspaceDec>();
    m->replacement = json_string(j, "replacement", "\xE2\x96\x81", what);
    std::string scheme = json_string(j, "prepend_scheme", "", what);
    m->strip_first = scheme.empty() ? json_bool(j, "add_prefix_space", true, what) : scheme != "never";
    return m;
  }
  if (type == "BPEDecoder") {
    auto b = std::make_unique<BpeDec>();
    b->suffix = json_string(j, "suffix", "</w>", what);
    return b;
  }
  if (type == "Sequence") {
    auto seq = std::make_unique<SequenceDec>();
    auto it = j.find("decoders");
    if (it == j.end() || !it->is_array()) fail("{}: Sequence decoder without a \"decoders\" array", what);
    for (auto& d : *it)
      if (auto step = make_decoder(d, what)) seq->steps.push_back(std::move(step));
    return seq;
  }
  fail("{}: unsupported decoder type \"{}\"", what, type);
}

}  // namespace argus::text
