#include "text/gguf_tokenizer.h"

#include "text/hf_tokenizer.h"
#include "text/spm_tokenizer.h"
#include "util/error.h"

namespace argus::text {

namespace {

using ojson = nlohmann::ordered_json;

// GGUF token types, the same numbering as SentencePiece's piece types.
constexpr int kControl = 3, kUserDefined = 4, kByte = 6;

const ojson& array_of(const io::GgufFile& f, const std::string& key, size_t n) {
  const auto& m = f.metadata();
  auto it = m.find(key);
  if (it == m.end()) fail("{}: metadata \"{}\" is missing", f.path(), key);
  if (!it->is_array()) fail("{}: metadata \"{}\" is not an array", f.path(), key);
  if (n && it->size() != n) fail("{}: metadata \"{}\" has {} entries for {} tokens", f.path(), key, it->size(), n);
  return *it;
}

std::vector<int> token_types(const io::GgufFile& f, size_t n) {
  std::vector<int> types(n, 1);
  if (!f.has_meta("tokenizer.ggml.token_type")) return types;
  const ojson& t = array_of(f, "tokenizer.ggml.token_type", n);
  for (size_t i = 0; i < n; ++i) {
    if (!t[i].is_number_integer() || t[i].get<int64_t>() < 1 || t[i].get<int64_t>() > 6)
      fail("{}: tokenizer.ggml.token_type[{}] = {} is not a token type (1-6)", f.path(), i, t[i].dump());
    types[i] = t[i].get<int>();
  }
  return types;
}

int64_t special_id(const io::GgufFile& f, const char* name, size_t n) {
  const std::string key = std::string("tokenizer.ggml.") + name;
  if (!f.has_meta(key)) return -1;
  const uint64_t id = f.meta_uint(key);
  if (id >= n) fail("{}: {} = {} is outside the {}-token vocabulary", f.path(), key, id, n);
  return static_cast<int64_t>(id);
}

std::optional<bool> flag(const io::GgufFile& f, const std::string& key) {
  auto it = f.metadata().find(key);
  if (it == f.metadata().end()) return std::nullopt;
  if (!it->is_boolean()) fail("{}: metadata \"{}\" is not a bool", f.path(), key);
  return it->get<bool>();
}

std::unique_ptr<Tokenizer> spm_from_gguf(const io::GgufFile& f, const ojson& tokens) {
  const size_t n = tokens.size();
  const ojson& scores = array_of(f, "tokenizer.ggml.scores", n);
  const std::vector<int> types = token_types(f, n);
  std::vector<SpmModel::Piece> pieces(n);
  bool bytes = false;
  for (size_t i = 0; i < n; ++i) {
    if (!tokens[i].is_string() || !scores[i].is_number())
      fail("{}: token {} needs a string and a numeric score", f.path(), i);
    pieces[i].text = tokens[i].get<std::string>();
    pieces[i].score = scores[i].get<float>();
    pieces[i].type = static_cast<SpmModel::PieceType>(types[i]);
    bytes = bytes || types[i] == kByte;
  }
  SpmModel::TrainerSpec trainer;
  trainer.model_type = SpmModel::Algorithm::Bpe;  // llama.cpp's SPM vocabularies are BPE by score
  trainer.byte_fallback = bytes;
  auto piece_of = [&](int64_t id, std::string& piece, int32_t& slot) {
    slot = static_cast<int32_t>(id);
    piece = id >= 0 ? pieces[static_cast<size_t>(id)].text : std::string();
  };
  piece_of(special_id(f, "unknown_token_id", n), trainer.unk_piece, trainer.unk_id);
  piece_of(special_id(f, "bos_token_id", n), trainer.bos_piece, trainer.bos_id);
  piece_of(special_id(f, "eos_token_id", n), trainer.eos_piece, trainer.eos_id);
  piece_of(special_id(f, "padding_token_id", n), trainer.pad_piece, trainer.pad_id);
  SpmModel::NormalizerSpec norm;  // identity, as Llama's tokenizer.model
  norm.add_dummy_prefix = flag(f, "tokenizer.ggml.add_space_prefix").value_or(true);
  norm.remove_extra_whitespaces = flag(f, "tokenizer.ggml.remove_extra_whitespaces").value_or(false);
  TokenizerConfig cfg;
  cfg.add_bos_token = flag(f, "tokenizer.ggml.add_bos_token");
  cfg.add_eos_token = flag(f, "tokenizer.ggml.add_eos_token");
  for (size_t i = 0; i < n; ++i)
    if (types[i] == kUserDefined || types[i] == kControl) {
      AddedToken a;
      a.content = pieces[i].text;
      a.id = static_cast<int64_t>(i);
      a.special = types[i] == kControl;
      cfg.added_tokens.push_back(a);
    }
  return SpmTokenizer::from_model(SpmModel::from_pieces(std::move(pieces), trainer, norm, f.path()), cfg, f.path());
}

// The split pattern of each byte-level pre-tokenizer llama.cpp names (tokenizer.ggml.pre),
// as the models' own tokenizer.json files spell it, and whether they NFC-normalise.
struct BpePre {
  const char* name;
  const char* pattern;  // nullptr: GPT-2's own pattern inside the ByteLevel step
  bool nfc;
};
const BpePre kPres[] = {
    {"default", nullptr, false},
    {"gpt-2", nullptr, false},
    {"llama-bpe",
     R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)",
     false},
    {"qwen2",
     R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)",
     true},
};

std::unique_ptr<Tokenizer> bpe_from_gguf(const io::GgufFile& f, const ojson& tokens) {
  const size_t n = tokens.size();
  const std::string pre_name = f.has_meta("tokenizer.ggml.pre") ? f.meta_string("tokenizer.ggml.pre") : "default";
  const BpePre* pre = nullptr;
  for (const auto& p : kPres)
    if (pre_name == p.name) pre = &p;
  if (!pre) {
    std::string known;
    for (const auto& p : kPres) known += std::string(known.empty() ? "" : ", ") + p.name;
    fail("{}: tokenizer.ggml.pre \"{}\" is not a pre-tokenizer argus knows ({})", f.path(), pre_name, known);
  }
  const std::vector<int> types = token_types(f, n);
  nlohmann::json vocab = nlohmann::json::object(), added = nlohmann::json::array();
  for (size_t i = 0; i < n; ++i) {
    if (!tokens[i].is_string()) fail("{}: token {} is not a string", f.path(), i);
    vocab[tokens[i].get<std::string>()] = i;
    if (types[i] == kControl || types[i] == kUserDefined)
      added.push_back({{"id", i}, {"content", tokens[i].get<std::string>()}, {"special", types[i] == kControl}, {"single_word", false},
                       {"lstrip", false}, {"rstrip", false}, {"normalized", false}});
  }
  nlohmann::json merges = nlohmann::json::array();
  for (const auto& m : array_of(f, "tokenizer.ggml.merges", 0)) {
    const std::string s = m.is_string() ? m.get<std::string>() : std::string();
    const size_t sp = s.find(' ', 1);
    if (sp == std::string::npos) fail("{}: merge {} is not two tokens separated by a space", f.path(), m.dump());
    merges.push_back({s.substr(0, sp), s.substr(sp + 1)});
  }
  nlohmann::json bytelevel = {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true},
                              {"use_regex", pre->pattern == nullptr}};
  nlohmann::json j;
  j["added_tokens"] = added;
  j["normalizer"] = pre->nfc ? nlohmann::json{{"type", "NFC"}} : nlohmann::json();
  j["pre_tokenizer"] =
      pre->pattern ? nlohmann::json{{"type", "Sequence"},
                                    {"pretokenizers",
                                     {{{"type", "Split"}, {"pattern", {{"Regex", pre->pattern}}}, {"behavior", "Isolated"},
                                       {"invert", false}},
                                      bytelevel}}}
                   : bytelevel;
  j["decoder"] = {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", true}, {"use_regex", true}};
  j["model"] = {{"type", "BPE"}, {"vocab", vocab}, {"merges", merges}, {"byte_fallback", false}};
  j["post_processor"] = nullptr;
  const int64_t bos = special_id(f, "bos_token_id", n);
  if (bos >= 0 && flag(f, "tokenizer.ggml.add_bos_token").value_or(false)) {
    const std::string b = tokens[static_cast<size_t>(bos)];
    j["post_processor"] = {
        {"type", "TemplateProcessing"},
        {"single", {{{"SpecialToken", {{"id", b}, {"type_id", 0}}}}, {{"Sequence", {{"id", "A"}, {"type_id", 0}}}}}},
        {"pair", nlohmann::json::array()},
        {"special_tokens", {{b, {{"id", b}, {"ids", {bos}}, {"tokens", {b}}}}}}};
  }
  TokenizerConfig cfg;
  auto name_of = [&](const char* key, std::string& out) {
    const int64_t id = special_id(f, key, n);
    if (id >= 0) out = tokens[static_cast<size_t>(id)].get<std::string>();
  };
  name_of("bos_token_id", cfg.bos_token);
  name_of("eos_token_id", cfg.eos_token);
  name_of("padding_token_id", cfg.pad_token);
  return HfTokenizer::from_json(j, cfg, f.path());
}

}  // namespace

std::unique_ptr<Tokenizer> gguf_tokenizer(const io::GgufFile& f) {
  const std::string model = f.meta_string("tokenizer.ggml.model");
  const ojson& tokens = array_of(f, "tokenizer.ggml.tokens", 0);
  if (tokens.empty()) fail("{}: tokenizer.ggml.tokens is empty", f.path());
  if (model == "llama") return spm_from_gguf(f, tokens);
  if (model == "gpt2") return bpe_from_gguf(f, tokens);
  fail("{}: tokenizer.ggml.model \"{}\" is not a vocabulary argus reads (llama, gpt2)", f.path(), model);
}

}  // namespace argus::text
