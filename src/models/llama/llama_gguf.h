// The Llama-shaped decoders from llama.cpp's GGUF files: the `llama` architecture
// (Llama, Mistral and most Llama-likes) and `qwen2`. The metadata becomes the
// config.json transformers would have written, so one parser and one model serve both
// formats; tensors are renamed to transformers' keys, and the Q/K rows of `llama` files,
// which llama.cpp's converter interleaves for its rotary kernel, are put back in
// transformers' half-split order. Weights are decoded to the load dtype (quantised
// blocks are dequantised; computing on them directly is later work).
#pragma once
#include <map>
#include <string>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include "io/gguf.h"
#include "models/llama/llama_model.h"

namespace argus::models::llama {

// config.json equivalent of the file's metadata. Variants the model does not implement
// (partial rotary, rope scaling, llama3 rope frequencies) are errors naming the key.
nlohmann::json gguf_llama_config(const io::GgufFile& f);

// transformers-named tensors decoded to `dtype`; a GGUF tensor that maps to no module is
// an error naming it.
std::map<std::string, at::Tensor> gguf_llama_tensors(const io::GgufFile& f, const LlamaConfig& c,
                                                     at::ScalarType dtype);

LlamaForCausalLM load_llama_gguf(const io::GgufFile& f, const LlamaLoadOptions& opts = {});

}  // namespace argus::models::llama
