#include "text/hf_normalizer.h"

#include <vector>

#include "text/hf_pattern.h"
#include "text/unicode.h"
#include "text/utf8.h"
#include "util/error.h"

namespace argus::text {
namespace {

struct UnicodeForm : Normalizer {
  NormalForm form;
  explicit UnicodeForm(NormalForm f) : form(f) {}
  std::string normalize(std::string_view s) const override { return normalize_unicode(s, form); }
};

struct Lowercase : Normalizer {
  std::string normalize(std::string_view s) const override { return lowercase(s); }
};

struct StripAccents : Normalizer {
  std::string normalize(std::string_view s) const override { return strip_accents(s); }
};

struct Replace : Normalizer {
  std::unique_ptr<Regex> pattern;
  std::string content;
  std::string normalize(std::string_view s) const override { return pattern->replace_all(s, content); }
};

struct Prepend : Normalizer {
  std::string prefix;
  std::string normalize(std::string_view s) const override {
    return s.empty() ? std::string() : prefix + std::string(s);
  }
};

struct Strip : Normalizer {
  bool left, right;
  std::string normalize(std::string_view s) const override {
    size_t b = 0, e = s.size();
    if (left)
      while (b < e) {
        size_t i = b;
        if (!is_unicode_whitespace(next_codepoint(s, i))) break;
        b = i;
      }
    if (right)
      while (e > b) {
        size_t p = e - 1;
        while (p > b && (static_cast<unsigned char>(s[p]) & 0xC0) == 0x80) --p;
        size_t i = p;
        if (!is_unicode_whitespace(next_codepoint(s, i))) break;
        e = p;
      }
    return std::string(s.substr(b, e - b));
  }
};

struct Sequence : Normalizer {
  std::vector<std::unique_ptr<Normalizer>> steps;
  std::string normalize(std::string_view s) const override {
    std::string cur(s);
    for (auto& n : steps) cur = n->normalize(cur);
    return cur;
  }
};

}  // namespace

std::unique_ptr<Normalizer> make_normalizer(const nlohmann::json& j, const std::string& what) {
  if (j.is_null()) return nullptr;
  if (!j.is_object() || !j.contains("type") || !j["type"].is_string()) fail("{}: normalizer without a \"type\"", what);
  const std::string type = j["type"];
  if (type == "NFC") return std::make_unique<UnicodeForm>(NormalForm::NFC);
  if (type == "NFD") return std::make_unique<UnicodeForm>(NormalForm::NFD);
  if (type == "NFKC") return std::make_unique<UnicodeForm>(NormalForm::NFKC);
  if (type == "NFKD") return std::make_unique<UnicodeForm>(NormalForm::NFKD);
  if (type == "Lowercase") return std::make_unique<Lowercase>();
  if (type == "StripAccents") return std::make_unique<StripAccents>();
  if (type == "Replace") {
    auto r = std::make_unique<Replace>();
    if (!j.contains("pattern")) fail("{}: Replace normalizer without \"pattern\"", what);
    r->pattern = make_pattern(j["pattern"], what + " (Replace normalizer)");
    r->content = json_string(j, "content", "", what);
    return r;
  }
  if (type == "Prepend") {
    auto p = std::make_unique<Prepend>();
    p->prefix = json_string(j, "prepend", "", what);
    return p;
  }
  if (type == "Strip") {
    auto s = std::make_unique<Strip>();
    s->left = json_bool(j, "strip_left", true, what);
    s->right = json_bool(j, "strip_right", true, what);
    return s;
  }
  if (type == "Sequence") {
    auto seq = std::make_unique<Sequence>();
    auto it = j.find("normalizers");
    if (it == j.end() || !it->is_array()) fail("{}: Sequence normalizer without a \"normalizers\" array", what);
    for (auto& n : *it)
      if (auto step = make_normalizer(n, what)) seq->steps.push_back(std::move(step));
    return seq;
  }
  fail("{}: unsupported normalizer type \"{}\"", what, type);
}

}  // namespace argus::text
