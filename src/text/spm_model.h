// A native reader and encoder for SentencePiece models (tokenizer.model), replacing
// libsentencepiece: Debian's build embeds its own protobuf runtime, which cannot live in one
// process with the libprotobuf that LibTorch loads.
//
// What it covers, with libsentencepiece 0.1.97 as the yardstick:
//  - the ModelProto wire format (pieces, trainer_spec, normalizer_spec), read with a small
//    bounds-checked protobuf reader: truncated or garbage bytes give argus::Error;
//  - normalisation: identity or a precompiled charsmap (the Darts double-array trie that
//    nmt_nfkc models carry), add_dummy_prefix, remove_extra_whitespaces, escape_whitespaces,
//    treat_whitespace_as_suffix, user-defined symbols kept verbatim;
//  - segmentation: BPE (highest-scoring merge first, unused pieces re-segmented), Unigram
//    (the optimised Viterbi of 0.1.97, unk penalty 10), WORD and CHAR; unknown pieces become
//    <0xNN> byte pieces when byte_fallback is on.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace argus::text {

class SpmModel {
 public:
  enum class PieceType : uint8_t { Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Unused = 5, Byte = 6 };
  enum class Algorithm : uint8_t { Unigram = 1, Bpe = 2, Word = 3, Char = 4 };

  struct Piece {
    std::string text;
    float score = 0.0f;
    PieceType type = PieceType::Normal;
  };

  struct NormalizerSpec {
    std::string name;
    std::string precompiled_charsmap;
    bool add_dummy_prefix = true;
    bool remove_extra_whitespaces = true;
    bool escape_whitespaces = true;
  };

  struct TrainerSpec {
    Algorithm model_type = Algorithm::Unigram;
    bool byte_fallback = false;
    bool treat_whitespace_as_suffix = false;
    bool split_digits = false;
    int32_t unk_id = 0, bos_id = 1, eos_id = 2, pad_id = -1;
    std::string unk_piece = "<unk>", bos_piece = "<s>", eos_piece = "</s>", pad_piece = "<pad>";
  };

  SpmModel() = default;
  // The lookup tables point into pieces_, whose storage a move keeps; a copy would not.
  SpmModel(const SpmModel&) = delete;
  SpmModel& operator=(const SpmModel&) = delete;
  SpmModel(SpmModel&&) = default;
  SpmModel& operator=(SpmModel&&) = default;

  // `what` names the source in error messages (usually the file path).
  static SpmModel from_bytes(std::string_view bytes, const std::string& what = "SentencePiece model");
  static SpmModel from_file(const std::string& path);
  // A model from its parts, as formats other than the protobuf carry them (GGUF files
  // list the pieces, scores and types as arrays).
  static SpmModel from_pieces(std::vector<Piece> pieces, const TrainerSpec& trainer, const NormalizerSpec& normalizer,
                              const std::string& what);

  // Normalises and segments `text` exactly as SentencePieceProcessor::Encode does.
  std::vector<int> encode(std::string_view text) const { return encode(text, normalizer_.add_dummy_prefix); }
  // The same with the model's add_dummy_prefix overridden.
  std::vector<int> encode(std::string_view text, bool add_dummy_prefix) const;
  // The normalised text (with "▁" for spaces) that the segmentation sees.
  std::string normalize(std::string_view text, bool add_dummy_prefix) const;

  int size() const { return static_cast<int>(pieces_.size()); }
  const Piece& piece(int id) const { return pieces_.at(static_cast<size_t>(id)); }
  const std::string& id_to_piece(int id) const { return piece(id).text; }
  int piece_to_id(std::string_view piece) const;  // unk_id() when absent, as libsentencepiece
  bool is_type(int id, PieceType t) const { return id >= 0 && id < size() && pieces_[id].type == t; }
  bool is_byte(int id) const { return is_type(id, PieceType::Byte); }
  bool is_control(int id) const { return is_type(id, PieceType::Control); }
  bool is_unknown(int id) const { return is_type(id, PieceType::Unknown); }
  bool is_unused(int id) const { return is_type(id, PieceType::Unused); }

  // As SentencePieceProcessor reports them: found through the trainer spec's piece strings,
  // -1 when the model lacks them.
  int unk_id() const;
  int bos_id() const;
  int eos_id() const;
  int pad_id() const;

  Algorithm algorithm() const { return trainer_.model_type; }
  bool byte_fallback() const { return trainer_.byte_fallback; }
  const NormalizerSpec& normalizer_spec() const { return normalizer_; }
  const TrainerSpec& trainer_spec() const { return trainer_; }

 private:
  using Segment = std::pair<std::string_view, int>;  // piece text (in the normalised string), id

  void init(const std::string& what);
  size_t user_symbol_prefix(std::string_view s) const;  // longest user-defined match, 0 if none
  std::pair<std::string_view, size_t> normalize_prefix(std::string_view s) const;
  void segment(std::string_view normalized, std::vector<Segment>& out) const;
  void segment_bpe(std::string_view normalized, std::vector<Segment>& out) const;
  void segment_unigram(std::string_view normalized, std::vector<Segment>& out) const;

  std::vector<Piece> pieces_;
  TrainerSpec trainer_;
  NormalizerSpec normalizer_;

  std::unordered_map<std::string_view, int> normal_;    // NORMAL, USER_DEFINED, UNUSED
  std::unordered_map<std::string_view, int> reserved_;  // the other types
  std::unordered_map<std::string_view, int> user_;      // USER_DEFINED only
  size_t max_user_len_ = 0, max_normal_len_ = 0;
  int unk_ = -1;
  float min_score_ = 0.0f, max_score_ = 0.0f;

  // Precompiled charsmap, split into the double array and the NUL-terminated replacements.
  std::vector<uint32_t> trie_;
  std::string replacements_;
};

}  // namespace argus::text
