// ChatModel from a llama.cpp GGUF file: the decoder through models/llama/llama_gguf, the
// tokenizer from the file's tokenizer.ggml.* metadata, end-of-sequence from its ids.
#include "io/gguf.h"
#include "models/llama/llama_config.h"
#include "models/llama/llama_gguf.h"
#include "tasks/chat/chat_model.h"
#include "tasks/chat/weight_dtype.h"
#include "text/gguf_tokenizer.h"
#include "util/error.h"

namespace argus::tasks {

namespace {

// The bytes of float32 tensors against 16-bit and quantised ones, for weight_dtype.
at::ScalarType gguf_weight_dtype(const io::GgufFile& f, const std::string& dtype) {
  size_t wide = 0, narrow = 0;
  for (const auto& t : f.tensors()) (t.type == io::GgmlType::F32 ? wide : narrow) += t.nbytes;
  return weight_dtype(dtype, wide, narrow);
}

}  // namespace

std::unique_ptr<ChatModel> ChatModel::open_gguf(const std::string& path, const std::string& dtype,
                                                const std::string& lora) {
  if (!lora.empty()) fail("{}: LoRA adapters on GGUF models are not supported; merge the adapter first", path);
  auto f = io::GgufFile::open(path);
  std::unique_ptr<ChatModel> m(new ChatModel());
  m->dir_ = path;
  models::llama::LlamaLoadOptions lo;
  lo.dtype = gguf_weight_dtype(*f, dtype);
  m->lm_ = models::llama::load_llama_gguf(*f, lo);
  m->model_type_ = m->lm_->cfg.model_type;
  m->eos_ids_ = m->lm_->cfg.eos_token_ids;
  if (f->has_meta("tokenizer.ggml.model")) m->tok_ = text::gguf_tokenizer(*f);
  return m;
}

}  // namespace argus::tasks
