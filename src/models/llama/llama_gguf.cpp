#include "models/llama/llama_gguf.h"

#include <regex>

#include "models/llama/llama_config.h"
#include "nn/load.h"
#include "util/error.h"

namespace argus::models::llama {

namespace {

// GGUF block tensor suffix -> transformers' name under model.layers.N.
const std::map<std::string, std::string>& layer_names() {
  static const std::map<std::string, std::string> m = {
      {"attn_norm.weight", "input_layernorm.weight"},
      {"ffn_norm.weight", "post_attention_layernorm.weight"},
      {"attn_q.weight", "self_attn.q_proj.weight"},
      {"attn_k.weight", "self_attn.k_proj.weight"},
      {"attn_v.weight", "self_attn.v_proj.weight"},
      {"attn_output.weight", "self_attn.o_proj.weight"},
      {"attn_q.bias", "self_attn.q_proj.bias"},
      {"attn_k.bias", "self_attn.k_proj.bias"},
      {"attn_v.bias", "self_attn.v_proj.bias"},
      {"attn_output.bias", "self_attn.o_proj.bias"},
      {"ffn_gate.weight", "mlp.gate_proj.weight"},
      {"ffn_up.weight", "mlp.up_proj.weight"},
      {"ffn_down.weight", "mlp.down_proj.weight"},
  };
  return m;
}

std::string hf_name(const std::string& gguf) {
  if (gguf == "token_embd.weight") return "model.embed_tokens.weight";
  if (gguf == "output_norm.weight") return "model.norm.weight";
  if (gguf == "output.weight") return "lm_head.weight";
  static const std::regex block(R"(blk\.(\d+)\.(.+))");
  std::smatch m;
  if (std::regex_match(gguf, m, block)) {
    auto it = layer_names().find(m[2].str());
    if (it != layer_names().end()) return "model.layers." + m[1].str() + "." + it->second;
  }
  return "";
}

// The whole tensor as float32 in PyTorch's row-major shape.
at::Tensor decode(const io::GgufTensor& t) {
  at::Tensor out = at::empty(t.shape(), at::kFloat);
  io::dequantize(t.type, t.data, t.numel(), out.data_ptr<float>());
  return out;
}

// llama.cpp's converter reorders each head's rows of q/k from transformers' layout
// (first half of the rotary pairs, then the second half) to adjacent pairs, for its
// rotary kernel: row h*d + 2i + s holds transformers' row h*d + s*d/2 + i. Undo it.
at::Tensor unpermute_heads(const at::Tensor& w, int64_t heads) {
  const int64_t rows = w.size(0);
  if (rows % (2 * heads) != 0) fail("GGUF: q/k tensor of {} rows does not split into {} heads", rows, heads);
  std::vector<int64_t> split{heads, rows / heads / 2, 2};
  for (int64_t d = 1; d < w.dim(); ++d) split.push_back(w.size(d));
  return w.reshape(split).transpose(1, 2).reshape(w.sizes()).contiguous();
}

}  // namespace

nlohmann::json gguf_llama_config(const io::GgufFile& f) {
  const std::string arch = f.meta_string("general.architecture");
  if (arch != "llama" && arch != "qwen2")
    fail("{}: GGUF architecture \"{}\" is not one argus reads as a decoder (llama, qwen2)", f.path(), arch);
  auto key = [&](const char* k) { return arch + "." + k; };
  nlohmann::json c;
  c["model_type"] = arch;
  c["hidden_size"] = f.meta_uint(key("embedding_length"));
  c["intermediate_size"] = f.meta_uint(key("feed_forward_length"));
  c["num_hidden_layers"] = f.meta_uint(key("block_count"));
  c["num_attention_heads"] = f.meta_uint(key("attention.head_count"));
  c["num_key_value_heads"] = f.has_meta(key("attention.head_count_kv")) ? f.meta_uint(key("attention.head_count_kv"))
                                                                         : f.meta_uint(key("attention.head_count"));
  c["max_position_embeddings"] = f.meta_uint(key("context_length"));
  c["rms_norm_eps"] = f.meta_number(key("attention.layer_norm_rms_epsilon"));
  const uint64_t heads = f.meta_uint(key("attention.head_count"));
  const uint64_t head_dim = f.has_meta(key("attention.key_length")) ? f.meta_uint(key("attention.key_length"))
                                                                     : c["hidden_size"].get<uint64_t>() / std::max<uint64_t>(heads, 1);
  c["head_dim"] = head_dim;
  if (f.has_meta(key("attention.value_length")) && f.meta_uint(key("attention.value_length")) != head_dim)
    fail("{}: {} differs from the key length; argus's attention needs them equal", f.path(), key("attention.value_length"));
  if (f.has_meta(key("rope.dimension_count")) && f.meta_uint(key("rope.dimension_count")) != head_dim)
    fail("{}: {} = {} rotates part of each head (partial rotary), which argus does not implement", f.path(),
         key("rope.dimension_count"), f.meta_uint(key("rope.dimension_count")));
  nlohmann::json rope = {{"rope_theta", f.has_meta(key("rope.freq_base")) ? f.meta_number(key("rope.freq_base")) : 10000.0},
                         {"rope_type", "default"}};
  if (f.has_meta(key("rope.scaling.type"))) {
    const std::string type = f.meta_string(key("rope.scaling.type"));
    if (type == "linear") {
      rope["rope_type"] = "linear";
      rope["factor"] = f.meta_number(key("rope.scaling.factor"));
    } else if (type != "none") {
      fail("{}: {} \"{}\" is not supported (none, linear)", f.path(), key("rope.scaling.type"), type);
    }
  }
  if (f.find("rope_freqs.weight"))
    fail("{}: tensor \"rope_freqs.weight\" (Llama 3.1-style frequency scaling from GGUF) is not supported yet",
         f.path());
  c["rope_parameters"] = rope;
  if (f.has_meta(key("attention.sliding_window"))) {
    c["model_type"] = "mistral";  // the Llama-shaped decoder whose config carries a window
    c["sliding_window"] = f.meta_uint(key("attention.sliding_window"));
  }
  const io::GgufTensor& embed = f.at("token_embd.weight");
  c["vocab_size"] = f.has_meta(key("vocab_size")) ? f.meta_uint(key("vocab_size")) : static_cast<uint64_t>(embed.ne[1]);
  c["tie_word_embeddings"] = f.find("output.weight") == nullptr;
  if (arch == "llama") c["attention_bias"] = f.find("blk.0.attn_q.bias") != nullptr;
  for (const char* id : {"bos_token_id", "eos_token_id", "padding_token_id"}) {
    const std::string k = std::string("tokenizer.ggml.") + id;
    if (f.has_meta(k)) c[id == std::string("padding_token_id") ? "pad_token_id" : id] = f.meta_uint(k);
  }
  return c;
}

std::map<std::string, at::Tensor> gguf_llama_tensors(const io::GgufFile& f, const LlamaConfig& c,
                                                     at::ScalarType dtype) {
  const bool permuted = f.meta_string("general.architecture") == "llama";
  std::map<std::string, at::Tensor> out;
  for (const io::GgufTensor& t : f.tensors()) {
    const std::string name = hf_name(t.name);
    if (name.empty()) fail("{}: tensor \"{}\" has no place in a {} decoder", f.path(), t.name, c.model_type);
    at::Tensor w = decode(t);
    if (permuted && name.find("self_attn.q_proj.") != std::string::npos) w = unpermute_heads(w, c.num_attention_heads);
    if (permuted && name.find("self_attn.k_proj.") != std::string::npos) w = unpermute_heads(w, c.num_key_value_heads);
    out.emplace(name, dtype == at::kFloat ? w : w.to(dtype));
  }
  return out;
}

LlamaForCausalLM load_llama_gguf(const io::GgufFile& f, const LlamaLoadOptions& opts) {
  if (opts.dtype != at::kFloat && opts.dtype != at::kBFloat16)
    fail("llama: dtype of a GGUF decoder must be float32 or bfloat16");
  LlamaConfig cfg;
  try {
    cfg = parse_llama_config(gguf_llama_config(f));
  } catch (const Error& e) {
    fail("{}: {}", f.path(), e.what());
  }
  return build_llama(cfg, opts, [&](LlamaForCausalLMImpl& m) {
    try {
      nn::load_weights(m, gguf_llama_tensors(f, cfg, opts.dtype));
    } catch (const Error& e) {
      fail("{}: {}", f.path(), e.what());
    }
  });
}

}  // namespace argus::models::llama
