#include "text/hf_tokenizer.h"

#include <algorithm>

#include "io/json_file.h"
#include "text/bpe_files.h"
#include "text/hf_pattern.h"
#include "text/utf8.h"
#include "util/error.h"
#include "util/mapped_file.h"

namespace argus::text {
namespace {

struct Wrap {
  std::vector<int64_t> prefix, suffix;
};

int64_t special_pair_id(const nlohmann::json& j, const char* key, const std::string& what) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_array() || it->size() != 2 || !(*it)[1].is_number_integer())
    fail("{}: post_processor \"{}\" must be [token, id]", what, key);
  return (*it)[1].get<int64_t>();
}

Wrap parse_post_processor(const nlohmann::json& j, const std::string& what) {
  Wrap w;
  if (j.is_null()) return w;
  if (!j.is_object() || !j.contains("type") || !j["type"].is_string()) fail("{}: post_processor without a \"type\"", what);
  const std::string type = j["type"];
  if (type == "ByteLevel") return w;
  if (type == "RobertaProcessing" || type == "BertProcessing") {
    w.prefix = {special_pair_id(j, "cls", what)};
    w.suffix = {special_pair_id(j, "sep", what)};
    return w;
  }
  if (type == "TemplateProcessing") {
    auto single = j.find("single");
    if (single == j.end() || !single->is_array()) fail("{}: TemplateProcessing without a \"single\" template", what);
    const nlohmann::json specials = j.contains("special_tokens") ? j["special_tokens"] : nlohmann::json::object();
    bool seen_a = false;
    for (auto& item : *single) {
      if (item.contains("Sequence")) {
        if (seen_a) fail("{}: TemplateProcessing \"single\" holds more than one sequence", what);
        seen_a = true;
        continue;
      }
      if (!item.contains("SpecialToken") || !item["SpecialToken"].contains("id"))
        fail("{}: TemplateProcessing item {} is neither Sequence nor SpecialToken", what, item.dump());
      std::string name = item["SpecialToken"]["id"].get<std::string>();
      auto sp = specials.find(name);
      if (sp == specials.end() || !sp->contains("ids") || !(*sp)["ids"].is_array())
        fail("{}: TemplateProcessing special token \"{}\" has no ids", what, name);
      for (auto& id : (*sp)["ids"]) {
        if (!id.is_number_integer()) fail("{}: TemplateProcessing special token \"{}\" has a non-integer id", what, name);
        (seen_a ? w.suffix : w.prefix).push_back(id.get<int64_t>());
      }
    }
    return w;
  }
  if (type == "Sequence") {
    auto it = j.find("processors");
    if (it == j.end() || !it->is_array()) fail("{}: Sequence post_processor without a \"processors\" array", what);
    for (auto& p : *it) {
      Wrap inner = parse_post_processor(p, what);
      w.prefix.insert(w.prefix.begin(), inner.prefix.begin(), inner.prefix.end());
      w.suffix.insert(w.suffix.end(), inner.suffix.begin(), inner.suffix.end());
    }
    return w;
  }
  fail("{}: unsupported post_processor type \"{}\"", what, type);
}

}  // namespace

std::unique_ptr<HfTokenizer> HfTokenizer::from_file(const std::string& path, const TokenizerConfig& cfg) {
  return from_json(io::read_json(path), cfg, path);
}

std::unique_ptr<HfTokenizer> HfTokenizer::from_json(const nlohmann::json& j, const TokenizerConfig& cfg,
                                                    const std::string& what) {
  if (!j.is_object()) fail("{}: expected a JSON object", what);
  auto mit = j.find("model");
  if (mit == j.end() || !mit->is_object()) fail("{}: no \"model\" object", what);
  const auto& m = *mit;
  std::string type = json_string(m, "type", m.contains("merges") ? "BPE" : "", what);
  if (type != "BPE") fail("{}: unsupported tokenizer.json model type \"{}\" (only BPE is implemented)", what, type);
  if (!m.contains("vocab")) fail("{}: BPE model without \"vocab\"", what);

  std::unique_ptr<HfTokenizer> t(new HfTokenizer);
  BpeOptions opt;
  opt.unk_token = json_string(m, "unk_token", "", what);
  opt.continuing_subword_prefix = json_string(m, "continuing_subword_prefix", "", what);
  opt.end_of_word_suffix = json_string(m, "end_of_word_suffix", "", what);
  opt.fuse_unk = json_bool(m, "fuse_unk", false, what);
  opt.byte_fallback = json_bool(m, "byte_fallback", false, what);
  opt.ignore_merges = json_bool(m, "ignore_merges", false, what);
  t->model_ = std::make_unique<BpeModel>(parse_vocab_json(m["vocab"], what),
                                         parse_merges_json(m.contains("merges") ? m["merges"] : nlohmann::json::array(), what),
                                         opt, what);
  auto section = [&](const char* key) { return j.contains(key) ? j[key] : nlohmann::json(); };
  t->normalizer_ = make_normalizer(section("normalizer"), what);
  t->pre_tokenizer_ = make_pre_tokenizer(section("pre_tokenizer"), what);
  t->decoder_ = make_decoder(section("decoder"), what);
  Wrap w = parse_post_processor(section("post_processor"), what);

  std::vector<AddedToken> added;
  if (auto it = j.find("added_tokens"); it != j.end() && !it->is_null()) {
    if (!it->is_array()) fail("{}: \"added_tokens\" must be an array", what);
    for (auto& a : *it) {
      if (!a.is_object() || !a.contains("id") || !a["id"].is_number_integer() || a["id"].get<int64_t>() < 0)
        fail("{}: added token without a non-negative integer \"id\"", what);
      added.push_back(parse_added_token(a, a["id"].get<int64_t>(), what));
    }
  }
  added.insert(added.end(), cfg.added_tokens.begin(), cfg.added_tokens.end());
  for (auto& a : added) {
    t->added_[a.id] = a;
    t->added_ids_[a.content] = a.id;
    (a.normalized ? t->normalized_matcher_ : t->raw_matcher_).add(a);
  }

  auto resolve = [&](const std::string& tok, const char* role) -> int64_t {
    if (tok.empty()) return -1;
    int64_t id = t->token_to_id(tok);
    if (id < 0) fail("{}: {} token \"{}\" is neither in the vocabulary nor an added token", what, role, tok);
    return id;
  };
  t->bos_ = cfg.bos_token.empty() ? (w.prefix.empty() ? -1 : w.prefix.front()) : resolve(cfg.bos_token, "BOS");
  t->eos_ = cfg.eos_token.empty() ? (w.suffix.empty() ? -1 : w.suffix.back()) : resolve(cfg.eos_token, "EOS");
  // A pad token missing from the vocabulary would be appended by the reference; there is
  // nothing to pad with here, so leave it unset.
  t->pad_ = cfg.pad_token.empty() ? -1 : t->token_to_id(cfg.pad_token);
  // Explicit add_bos/add_eos flags rebuild the template, as the reference's Llama-family
  // tokenizers do (update_post_processor).
  if (cfg.add_bos_token.has_value() || cfg.add_eos_token.has_value()) {
    w.prefix.clear();
    w.suffix.clear();
    if (cfg.add_bos_token.value_or(false) && t->bos_ >= 0) w.prefix.push_back(t->bos_);
    if (cfg.add_eos_token.value_or(false) && t->eos_ >= 0) w.suffix.push_back(t->eos_);
  }
  t->prefix_ = std::move(w.prefix);
  t->suffix_ = std::move(w.suffix);
  return t;
}

std::unique_ptr<HfTokenizer> HfTokenizer::from_vocab_merges(const std::string& vocab_json, const std::string& merges_txt,
                                                            const TokenizerConfig& cfg) {
  std::string text = read_file(merges_txt);
  require_utf8(text, merges_txt.c_str());
  nlohmann::json merges = nlohmann::json::array();
  for (auto& [a, b] : parse_merges_txt(text, merges_txt)) merges.push_back({a, b});
  nlohmann::json j = {
      {"model", {{"type", "BPE"}, {"vocab", io::read_json(vocab_json)}, {"merges", std::move(merges)}}},
      {"pre_tokenizer", {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", true}}},
      {"decoder", {{"type", "ByteLevel"}}},
  };
  return from_json(j, cfg, vocab_json);
}

void HfTokenizer::encode_segment(std::string_view text, bool at_start, std::vector<int64_t>& out) const {
  std::string s = normalizer_ ? normalizer_->normalize(text) : std::string(text);
  for (auto& sub : normalized_matcher_.split(s)) {
    if (sub.id >= 0) {
      out.push_back(sub.id);
      continue;
    }
    std::vector<PreToken> pieces{{s.substr(sub.begin, sub.end - sub.begin), at_start && sub.begin == 0}};
    if (pre_tokenizer_) pre_tokenizer_->apply(pieces);
    for (auto& p : pieces) model_->encode_word(p.text, out);
  }
}

std::vector<int64_t> HfTokenizer::encode(const std::string& text, bool add_special) const {
  require_utf8(text);
  std::vector<int64_t> ids;
  if (add_special) ids = prefix_;
  for (auto& seg : raw_matcher_.split(text)) {
    if (seg.id >= 0)
      ids.push_back(seg.id);
    else
      encode_segment(std::string_view(text).substr(seg.begin, seg.end - seg.begin), seg.begin == 0, ids);
  }
  if (add_special) ids.insert(ids.end(), suffix_.begin(), suffix_.end());
  return ids;
}

const std::string* HfTokenizer::token_of(int64_t id) const {
  auto it = added_.find(id);
  if (it != added_.end()) return &it->second.content;
  return model_->id_to_token(id);
}

std::string HfTokenizer::decode_impl(const std::vector<int64_t>& ids, bool skip_special, bool raw) const {
  std::vector<std::string> toks;
  toks.reserve(ids.size());
  for (int64_t id : ids) {
    const std::string* t = token_of(id);
    if (!t || (skip_special && is_special(id))) continue;
    toks.push_back(*t);
  }
  std::string out;
  if (decoder_) {
    decoder_->decode_chain(toks, raw);
    for (auto& t : toks) out += t;
  } else {
    for (size_t i = 0; i < toks.size(); ++i) out += (i ? " " : "") + toks[i];
  }
  return out;
}

std::string HfTokenizer::decode(const std::vector<int64_t>& ids, bool skip_special) const {
  return to_valid_utf8(decode_impl(ids, skip_special, false));
}

std::string HfTokenizer::decode_bytes(const std::vector<int64_t>& ids, bool skip_special) const {
  return decode_impl(ids, skip_special, true);
}

std::vector<std::string> HfTokenizer::tokens(const std::vector<int64_t>& ids) const {
  std::vector<std::string> out;
  out.reserve(ids.size());
  for (int64_t id : ids) {
    const std::string* t = token_of(id);
    if (!t) fail("token id {} is not in the vocabulary (size {})", id, vocab_size());
    out.push_back(*t);
  }
  return out;
}

int64_t HfTokenizer::vocab_size() const {
  int64_t n = model_->id_limit();
  for (auto& [id, t] : added_) n = std::max(n, id + 1);
  return n;
}

int64_t HfTokenizer::token_to_id(const std::string& token) const {
  auto it = added_ids_.find(token);
  return it != added_ids_.end() ? it->second : model_->token_to_id(token);
}

bool HfTokenizer::is_special(int64_t id) const {
  if (id >= 0 && (id == bos_ || id == eos_ || id == pad_)) return true;
  auto it = added_.find(id);
  return it != added_.end() && it->second.special;
}

}  // namespace argus::text
