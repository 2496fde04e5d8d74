#include "tasks/chat/chat_model.h"

#include <algorithm>
#include <filesystem>

#include "engine/model_kind.h"
#include "io/checkpoint.h"
#include "io/gguf.h"
#include "models/llava/llava_image.h"
#include "models/llava/llava_load.h"
#include "models/llava_next/llava_next_image.h"
#include "models/llava_next/llava_next_load.h"
#include "nn/lora.h"
#include "tasks/chat/image_tokens.h"
#include "tasks/chat/weight_dtype.h"
#include "util/error.h"

namespace argus::tasks {

namespace {

bool has_tokenizer_files(const std::string& dir) {
  namespace fs = std::filesystem;
  for (const char* f : {"tokenizer.json", "tokenizer.model", "vocab.json"})
    if (fs::exists(fs::path(dir) / f)) return true;
  return false;
}

// The bytes of float32 (and float64) tensors against 16-bit ones, for weight_dtype.
at::ScalarType checkpoint_weight_dtype(const io::Checkpoint& ck, const std::string& dtype) {
  size_t wide = 0, narrow = 0;
  for (const auto& [key, ref] : ck.tensors()) {
    const auto t = ref.entry->dtype;
    if (t == io::DType::F32 || t == io::DType::F64) wide += ref.entry->nbytes();
    if (t == io::DType::F16 || t == io::DType::BF16) narrow += ref.entry->nbytes();
  }
  return weight_dtype(dtype, wide, narrow);
}

}  // namespace

std::unique_ptr<ChatModel> ChatModel::open(const std::string& dir, const std::string& dtype, const std::string& lora) {
  if (io::is_gguf_file(dir)) return open_gguf(dir, dtype, lora);
  auto ck = io::Checkpoint::open(dir);
  engine::ModelKind kind = engine::model_kind(ck);
  const at::ScalarType wd = checkpoint_weight_dtype(ck, dtype);
  std::unique_ptr<ChatModel> m(new ChatModel());
  m->dir_ = dir;
  m->model_type_ = kind.model_type;
  if (kind.family == engine::Family::Llava) {
    m->llava_ = models::llava::load_llava(ck, wd);
    m->processor_ = image::load_image_processor_config(dir);
    m->pad_to_square = m->llava_->cfg.pad_to_square;
  } else if (kind.family == engine::Family::LlavaNext) {
    m->next_ = models::llava_next::load_llava_next(ck, wd);
    m->processor_ = models::llava_next::load_llava_next_processor(dir, m->next_->cfg);
  } else if (kind.family == engine::Family::Llama) {
    models::llama::LlamaLoadOptions lo;
    lo.dtype = wd;
    m->lm_ = models::llama::load_llama(ck, lo);
  } else {
    fail("{}: model_type \"{}\" ({}) does not generate text; use a llama, mistral, qwen2, llava or llava_next "
         "checkpoint",
         dir, kind.model_type, engine::family_name(kind.family));
  }
  if (!lora.empty()) {
    nn::LoraAdapter adapter = nn::read_lora_adapter(lora);
    if (!m->llava_.is_empty())
      nn::apply_lora_adapter(*m->llava_, adapter, models::llava::llava_key_name);
    else if (!m->next_.is_empty())
      nn::apply_lora_adapter(*m->next_, adapter, models::llava_next::llava_next_key_name);
    else
      nn::apply_lora_adapter(*m->lm_, adapter, [](const std::string& k) { return k; });
  }
  m->eos_ids_ = read_eos_ids(ck);
  if (has_tokenizer_files(dir)) m->tok_ = text::load_tokenizer(dir);
  return m;
}

models::llama::LlamaForCausalLMImpl& ChatModel::decoder() const {
  // ptr(): the holders' const accessors hand out const modules; forward() is not const.
  if (!llava_.is_empty()) return *llava_.ptr()->language_model.ptr();
  if (!next_.is_empty()) return *next_.ptr()->language_model.ptr();
  return *lm_.ptr();
}

int64_t ChatModel::image_token_id() const {
  if (!llava_.is_empty()) return llava_->cfg.image_token_index;
  if (!next_.is_empty()) return next_->cfg.llava.image_token_index;
  return -1;
}

int64_t ChatModel::features_per_image() const { return llava_.is_empty() ? 0 : llava_->cfg.features_per_image(); }

int64_t ChatModel::image_tokens(const image::Image& im) const {
  if (!next_.is_empty()) return next_->cfg.layout({im.height, im.width}).tokens;
  return features_per_image();
}

const text::Tokenizer& ChatModel::require_tokenizer(const char* what) const {
  if (!tok_) fail("{}: {} needs a tokenizer, and the checkpoint has none (tokenizer.json / tokenizer.model)", dir_, what);
  return *tok_;
}

at::Tensor ChatModel::encode_image(const image::Image& im) {
  if (!has_vision()) fail("{}: model_type \"{}\" is text-only and takes no images", dir_, model_type_);
  if (next_.is_empty()) {
    at::Tensor pv = models::llava::llava_pixel_values({im}, processor_, pad_to_square);
    return llava_->image_features(pv)[0];
  }
  if (pad_to_square) fail("{}: --pad-square is LLaVA-1.5's; LLaVA-NeXT tiles the image instead", dir_);
  // The token count follows from the size alone: refuse before tiling and encoding.
  const int64_t tokens = image_tokens(im);
  if (tokens > context_length())
    fail("a {}x{} image takes {} image tokens (anyres tiles), more than the model's context of {}", im.width,
         im.height, tokens, context_length());
  at::Tensor pv = models::llava_next::llava_next_pixel_values(im, processor_, next_->cfg);
  return next_->image_features(pv, {im.height, im.width});
}

ChatPrompt ChatModel::build_prompt(const std::vector<int64_t>& ids, const std::vector<at::Tensor>& image_features) {
  if (ids.empty()) fail("the prompt is empty");
  if (!has_vision() && !image_features.empty())
    fail("{}: model_type \"{}\" is text-only and takes no images ({} given)", dir_, model_type_,
         image_features.size());
  int64_t image_token = image_token_id();
  for (int64_t id : ids)
    if ((id < 0 || id >= vocab_size()) && id != image_token)
      fail("token id {} is out of the vocabulary (size {})", id, vocab_size());
  ChatPrompt p;
  if (!has_vision()) {
    p.ids = ids;
  } else {
    int64_t given = static_cast<int64_t>(image_features.size());
    std::vector<int64_t> counts;
    for (const auto& f : image_features) counts.push_back(f.size(0));
    ExpandedPrompt e = next_.is_empty() ? expand_image_tokens(ids, image_token, features_per_image())
                                        : expand_image_tokens_per_image(ids, image_token, counts);
    if (e.images > given)
      fail("the prompt has {} image token(s) (id {}) but only {} image(s) were given", e.images, image_token, given);
    if (e.images < given)
      fail("{} image(s) were given but the prompt has only {} image token(s) (id {})", given, e.images,
           image_token);
    p.ids = std::move(e.ids);
    p.images = e.images;
  }
  int64_t len = static_cast<int64_t>(p.ids.size());
  if (len > context_length()) {
    std::string images;
    if (p.images && features_per_image() > 0)
      images = fmt::format(" (with {} image(s) of {} features)", p.images, features_per_image());
    else if (p.images)
      images = fmt::format(" (with {} image(s), {} image features)", p.images,
                           std::count(p.ids.begin(), p.ids.end(), image_token));
    fail("the prompt is {} tokens{} but the model's context is {}", len, images, context_length());
  }
  if (has_vision()) {
    at::Tensor feats = p.images ? at::cat(image_features, 0) : at::Tensor();
    p.embeds = models::llava::merge_image_features(decoder(), image_token,
                                                   at::tensor(p.ids, at::kLong).view({1, len}), feats);
  }
  return p;
}

at::Tensor ChatModel::prompt_logits(const ChatPrompt& p) {
  at::NoGradGuard no_grad;
  int64_t len = static_cast<int64_t>(p.ids.size());
  at::Tensor logits = p.embeds.defined() ? decoder().forward_embeds(p.embeds)
                                         : decoder().forward(at::tensor(p.ids, at::kLong).view({1, len}));
  return logits[0];
}

std::function<std::shared_ptr<text::constrain::TokenConstraint>()> ChatModel::json_constraint(
    std::shared_ptr<const text::constrain::JsonGrammar> grammar) const {
  const text::Tokenizer& tok = require_tokenizer("constrained decoding");
  std::call_once(trie_once_, [&] {
    trie_ = std::make_shared<const text::constrain::VocabTrie>(text::constrain::vocabulary_bytes(tok));
  });
  auto trie = trie_;
  return [grammar, trie]() -> std::shared_ptr<text::constrain::TokenConstraint> {
    return std::make_shared<text::constrain::JsonTokenConstraint>(grammar, trie);
  };
}

Generation ChatModel::generate(const ChatPrompt& p, const GenerateOptions& opts) {
  int64_t len = static_cast<int64_t>(p.ids.size());
  return tasks::generate(decoder(), at::tensor(p.ids, at::kLong).view({1, len}), at::Tensor(), opts, p.embeds);
}

}  // namespace argus::tasks
