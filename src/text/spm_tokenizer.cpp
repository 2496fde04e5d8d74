#include "text/spm_tokenizer.h"

#include <algorithm>
#include <filesystem>

#include "text/utf8.h"
#include "util/error.h"

namespace argus::text {
namespace {

constexpr const char* kMeta = "\xE2\x96\x81";  // U+2581, SentencePiece's space

int byte_of_piece(const std::string& p) {
  if (p.size() != 6 || p.compare(0, 3, "<0x") != 0 || p[5] != '>') return -1;
  try {
    return std::stoi(p.substr(3, 2), nullptr, 16);
  } catch (const std::exception&) {
    return -1;
  }
}

}  // namespace

SpmTokenizer::SpmTokenizer() = default;
SpmTokenizer::~SpmTokenizer() = default;

std::unique_ptr<SpmTokenizer> SpmTokenizer::from_file(const std::string& path, const TokenizerConfig& cfg) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) fail("cannot open {}: no such file", path);
  return from_model(SpmModel::from_file(path), cfg, path);  // "<path>: not a SentencePiece model (...)"
}

std::unique_ptr<SpmTokenizer> SpmTokenizer::from_model(SpmModel model, const TokenizerConfig& cfg,
                                                       const std::string& path) {
  std::unique_ptr<SpmTokenizer> t(new SpmTokenizer);
  t->path_ = path;
  t->sp_ = std::make_unique<SpmModel>(std::move(model));
  const SpmModel& sp = *t->sp_;
  auto resolve = [&](const std::string& tok, int def, const char* role) -> int64_t {
    if (tok.empty()) return def;
    for (auto& a : cfg.added_tokens)
      if (a.content == tok) return a.id;
    int id = sp.piece_to_id(tok);
    if (id == sp.unk_id() && tok != sp.id_to_piece(id)) fail("{}: {} token \"{}\" is not in the model", path, role, tok);
    return id;
  };
  t->unk_ = sp.unk_id();
  t->bos_ = resolve(cfg.bos_token, sp.bos_id(), "BOS");
  t->eos_ = resolve(cfg.eos_token, sp.eos_id(), "EOS");
  t->pad_ = sp.pad_id();
  if (!cfg.pad_token.empty()) {  // a pad token the model lacks stays unset rather than failing
    int id = sp.piece_to_id(cfg.pad_token);
    if (id != sp.unk_id() || cfg.pad_token == sp.id_to_piece(id)) t->pad_ = id;
    for (auto& a : cfg.added_tokens)
      if (a.content == cfg.pad_token) t->pad_ = a.id;
  }
  if (!cfg.unk_token.empty()) t->unk_ = resolve(cfg.unk_token, sp.unk_id(), "unk");
  t->add_bos_ = cfg.add_bos_token.value_or(true);
  t->add_eos_ = cfg.add_eos_token.value_or(false);
  t->legacy_ = cfg.legacy.value_or(true);

  // The reference treats the BOS/EOS/unk strings as special added tokens too.
  for (int64_t id : {t->bos_, t->eos_, t->unk_})
    if (id >= 0 && id < sp.size()) {
      AddedToken a;
      a.content = sp.id_to_piece(static_cast<int>(id));
      a.id = id;
      t->matcher_.add(a);
      t->added_[id] = a;
    }
  for (auto& a : cfg.added_tokens) {
    t->matcher_.add(a);
    t->added_[a.id] = a;
  }

  // Whether the text gets a dummy "▁" prefix: the model's normaliser spec says so (ask the model),
  // unless tokenizer_config.json's add_prefix_space overrides it.
  auto pieces = sp.encode("a");
  const bool model_prefix = !pieces.empty() && sp.id_to_piece(pieces[0]).compare(0, 3, kMeta) == 0;
  t->dummy_prefix_ = cfg.add_prefix_space.value_or(model_prefix);
  return t;
}

void SpmTokenizer::encode_segment(std::string_view text, bool at_start, std::vector<int64_t>& out) const {
  // Legacy: every segment between added tokens gets the "▁" prefix. Non-legacy: only the start of
  // the text does (the reference's Metaspace prepend_scheme "first").
  const bool prefix = dummy_prefix_ && (legacy_ || at_start);
  for (int id : sp_->encode(text, prefix)) out.push_back(id);
}

std::vector<int64_t> SpmTokenizer::encode(const std::string& text, bool add_special) const {
  require_utf8(text);
  std::vector<int64_t> ids;
  if (add_special && add_bos_ && bos_ >= 0) ids.push_back(bos_);
  for (auto& seg : matcher_.split(text)) {
    if (seg.id >= 0)
      ids.push_back(seg.id);
    else
      encode_segment(std::string_view(text).substr(seg.begin, seg.end - seg.begin), seg.begin == 0, ids);
  }
  if (add_special && add_eos_ && eos_ >= 0) ids.push_back(eos_);
  return ids;
}

std::string SpmTokenizer::decode_impl(const std::vector<int64_t>& ids, bool skip_special, bool raw) const {
  std::string out, run;
  auto flush = [&] {
    if (run.empty()) return;
    if (raw || is_valid_utf8(run)) {
      out += run;
    } else {
      for (size_t k = 0; k < run.size(); ++k) out += "\xEF\xBF\xBD";  // one per byte, as the reference
    }
    run.clear();
  };
  const int64_t n = sp_->size();
  for (int64_t id : ids) {
    if (skip_special && is_special(id)) continue;
    std::string piece;
    if (auto it = added_.find(id); it != added_.end()) {
      piece = it->second.content;
    } else if (id >= 0 && id < n) {
      piece = sp_->id_to_piece(static_cast<int>(id));
      if (sp_->is_byte(static_cast<int>(id))) {
        int b = byte_of_piece(piece);
        if (b >= 0) {
          run += static_cast<char>(b);
          continue;
        }
      }
    } else {
      continue;  // unknown id: skipped, as the reference does
    }
    flush();
    for (size_t pos = 0;;) {
      size_t hit = piece.find(kMeta, pos);
      out.append(piece, pos, hit == std::string::npos ? std::string::npos : hit - pos);
      if (hit == std::string::npos) break;
      out += ' ';
      pos = hit + 3;
    }
  }
  flush();
  if (dummy_prefix_ && !out.empty() && out[0] == ' ') out.erase(0, 1);
  return out;
}

std::string SpmTokenizer::decode(const std::vector<int64_t>& ids, bool skip_special) const {
  return to_valid_utf8(decode_impl(ids, skip_special, false));
}

std::string SpmTokenizer::decode_bytes(const std::vector<int64_t>& ids, bool skip_special) const {
  return decode_impl(ids, skip_special, true);
}

std::vector<std::string> SpmTokenizer::tokens(const std::vector<int64_t>& ids) const {
  std::vector<std::string> out;
  out.reserve(ids.size());
  for (int64_t id : ids) {
    if (auto it = added_.find(id); it != added_.end()) {
      out.push_back(it->second.content);
    } else if (id >= 0 && id < sp_->size()) {
      out.push_back(sp_->id_to_piece(static_cast<int>(id)));
    } else {
      fail("token id {} is not in the SentencePiece model (size {})", id, vocab_size());
    }
  }
  return out;
}

int64_t SpmTokenizer::vocab_size() const {
  int64_t v = sp_->size();
  for (auto& [id, t] : added_) v = std::max(v, id + 1);
  return v;
}

int64_t SpmTokenizer::token_to_id(const std::string& token) const {
  for (auto& [id, t] : added_)
    if (t.content == token) return id;
  int id = sp_->piece_to_id(token);
  if (id == sp_->unk_id() && token != sp_->id_to_piece(id)) return -1;
  return id;
}

bool SpmTokenizer::is_special(int64_t id) const {
  if (id < 0) return false;
  if (auto it = added_.find(id); it != added_.end()) return it->second.special;
  if (id == bos_ || id == eos_ || id == pad_ || id == unk_) return true;
  return id < sp_->size() && sp_->is_control(static_cast<int>(id));
}

}  // namespace argus::text
