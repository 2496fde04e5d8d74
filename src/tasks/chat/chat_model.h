// A generative checkpoint behind one interface: a Llama-shaped decoder alone
// (llama, mistral, qwen2), LLaVA (vision tower + projector + decoder), LLaVA-NeXT
// (the same with anyres tiling) or BLIP-2 (ViT + Q-Former + OPT decoder), with its
// tokenizer, image processor and end-of-sequence ids. generate/ask/chat drive this.
#pragma once
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <ATen/ATen.h>

#include "image/image.h"
#include "image/processor_config.h"
#include "models/blip2/blip2_model.h"
#include "models/llama/llama_model.h"
#include "models/llava/llava_model.h"
#include "models/llava_next/llava_next_model.h"
#include "tasks/generate/generate.h"
#include "text/constrain/json_schema_grammar.h"
#include "text/constrain/vocab_trie.h"
#include "text/tokenizer.h"

namespace argus::tasks {

// A prompt ready for the decoder: ids with every image slot expanded, and the
// embeddings with image features in place (undefined for text-only prompts).
struct ChatPrompt {
  std::vector<int64_t> ids;
  at::Tensor embeds;
  int64_t images = 0;
};

class ChatModel {
 public:
  // Errors for checkpoints that are not generative (CLIP, SAM, ...) name the model_type.
  // `dtype` keeps the decoder's weights in "float32" (reference parity), "bfloat16"
  // (half the memory), or "auto": bfloat16 when the checkpoint is stored in 16 bits
  // (float16 becomes bfloat16: CPUs have no fast float16 matmul), else float32. So a
  // 16-bit checkpoint needs about its own size in memory, not twice that.
  // `lora`: a PEFT LoRA adapter directory (nn/lora.h) folded into the weights at load,
  // so it costs nothing per token.
  // `dir` may also be a llama.cpp .gguf file (llama / qwen2 architectures, with the
  // tokenizer its metadata carries): see chat_model_gguf.cpp.
  static std::unique_ptr<ChatModel> open(const std::string& dir, const std::string& dtype = "auto",
                                         const std::string& lora = "");

  const std::string& dir() const { return dir_; }
  const std::string& model_type() const { return model_type_; }
  bool has_vision() const { return !llava_.is_empty() || !next_.is_empty() || !blip2_.is_empty(); }
  int64_t image_token_id() const;  // -1 when text-only
  // LLaVA's (BLIP-2's queries') fixed count; 0 when text-only, or when it depends on the
  // image (LLaVA-NeXT).
  int64_t features_per_image() const;
  // The image-token slots `im` takes in a prompt (LLaVA-NeXT: by its size), from its
  // size alone; 0 when text-only.
  int64_t image_tokens(const image::Image& im) const;
  int64_t vocab_size() const;
  int64_t context_length() const;
  int64_t pad_token_id() const;
  const std::vector<int64_t>& eos_ids() const { return eos_ids_; }
  // Null when the checkpoint ships no tokenizer (the plain LLM fixtures).
  const text::Tokenizer* tokenizer() const { return tok_.get(); }
  const text::Tokenizer& require_tokenizer(const char* what) const;

  // LLaVA's expand2square before the processor: config image_aspect_ratio "pad", or forced.
  bool pad_to_square = false;

  // One decoded image -> its projected features [image_tokens(im), hidden]. An image
  // whose tokens alone exceed the context is an argus::Error before anything is computed.
  at::Tensor encode_image(const image::Image& im);

  // `ids` may hold each image as one image-token id or as many as it has features
  // (BLIP-2: one image, whose queries go first, before the BOS, as its processor puts them);
  // `image_features` are the images' features in prompt order. Every mismatch (ids
  // outside the vocabulary, more image tokens than images or fewer, images for a
  // text-only model, a prompt longer than the context) is an argus::Error.
  ChatPrompt build_prompt(const std::vector<int64_t>& ids, const std::vector<at::Tensor>& image_features);

  // The prompt's logits [L, vocab] (float32).
  at::Tensor prompt_logits(const ChatPrompt& p);
  Generation generate(const ChatPrompt& p, const GenerateOptions& opts);

  // The Llama-shaped decoder; argus::Error for BLIP-2 (OPT), which generates through
  // nn::CausalLm.
  models::llama::LlamaForCausalLMImpl& decoder() const;

  // Constrained decoding to a JSON grammar on this model's vocabulary (the vocabulary's
  // byte trie is built on first use and kept). Needs a tokenizer.
  std::function<std::shared_ptr<text::constrain::TokenConstraint>()> json_constraint(
      std::shared_ptr<const text::constrain::JsonGrammar> grammar) const;

 private:
  ChatModel() = default;
  static std::unique_ptr<ChatModel> open_gguf(const std::string& path, const std::string& dtype,
                                              const std::string& lora);
  std::string dir_, model_type_;
  models::llama::LlamaForCausalLM lm_{nullptr};
  models::llava::LlavaForConditionalGeneration llava_{nullptr};
  models::llava_next::LlavaNextForConditionalGeneration next_{nullptr};
  models::blip2::Blip2ForConditionalGeneration blip2_{nullptr};
  std::unique_ptr<text::Tokenizer> tok_;
  image::ImageProcessorConfig processor_;
  std::vector<int64_t> eos_ids_;
  mutable std::once_flag trie_once_;
  mutable std::shared_ptr<const text::constrain::VocabTrie> trie_;
};

}  // namespace argus::tasks
