// LLaVA's recipe (Liu et al. 2023) from scratch on a CPU: a small Llama is first
// pre-trained on the world's text, then stage 1 trains only the projector on image
// captions (feature alignment, tower and LLM frozen) and stage 2 trains projector + LLM
// on instruction data (conversations, detailed descriptions, reasoning, short answers).
// The vision tower is a trained CLIP's. Every stage checkpoints and resumes; the result is
// a llava-hf layout directory with tokenizer and chat template, which `argus ask/chat/serve`
// load like a downloaded LLaVA.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "image/image.h"
#include "models/llama/llama_config.h"
#include "train/train_loop.h"

namespace argus::train {

// LLaVA-1.5's instruction for short-answer questions (VQAv2, POPE); evaluation asks the same.
constexpr const char* kShortAnswerPrompt = "answer the question using a single word or phrase.";

struct LlavaSample {
  int64_t image = -1;       // index into LlavaData::images; -1 for text-only samples
  nlohmann::json messages;  // chat messages; the image is an {"type":"image"} part of the first user turn
};

struct LlavaData {
  std::vector<image::Image> images;
  std::vector<std::string> texts;     // language-model pre-training
  std::vector<LlavaSample> captions;  // stage 1
  std::vector<LlavaSample> instruct;  // stage 2
};

struct LlavaRecipe {
  models::llama::LlamaConfig text;  // vocabulary and special ids are set from the tokenizer
  TrainOptions lm, align, instruct;
  int64_t lm_batch = 32, align_batch = 32, instruct_batch = 16;
  uint64_t seed = 0;
  // Stage 2 also tunes the vision tower (as LLaVA-NeXT / OneVision do), for towers whose
  // contrastive training left out what the instructions ask about.
  bool tune_vision = false;
  // > 0: stage 2 trains rank-r LoRA adapters on the LLM's linear layers (and the projector
  // in full) instead of the whole LLM, as LLaVA-1.5's LoRA recipe does.
  int64_t lora_rank = 0;
  double lora_alpha = 16;
};

// With LoRA, beside the merged model in out_dir: the PEFT adapter, and the model it applies to.
constexpr const char* kLoraDir = "lora";
constexpr const char* kLoraBaseDir = "lora-base";

// A small Llama for the generated world (about 2M parameters).
models::llama::LlamaConfig small_llama_config();

// The chat template the trained model ships (LLaVA-1.5's USER/ASSISTANT format):
// "USER: <image>\n{text} ASSISTANT: {answer}</s>USER: ..."
std::string llava_chat_template();

// Trains the three stages and writes the model to `out_dir` (rank 0; with LoRA also
// out_dir/lora and out_dir/lora-base). `clip_dir` is a CLIP
// checkpoint directory whose vision tower (and image processor) LLaVA uses, frozen.
TrainResult train_llava(const LlavaData& data, const std::vector<std::string>& vocabulary, const std::string& clip_dir,
                        LlavaRecipe recipe, const std::string& out_dir, const std::shared_ptr<Distributed>& dist);

}  // namespace argus::train
