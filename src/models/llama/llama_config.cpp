#include "models/llama/llama_config.h"

#include "io/json_file.h"
#include "util/error.h"

namespace argus::models::llama {

using io::get_or;

std::vector<int64_t> parse_token_ids(const nlohmann::json& j, const char* key) {
  std::vector<int64_t> ids;
  if (!j.is_object()) return ids;
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return ids;
  if (it->is_number_integer()) return {it->get<int64_t>()};
  if (it->is_array()) {
    for (const auto& v : *it) {
      if (!v.is_number_integer()) fail("config key \"{}\" has the wrong type ({})", key, it->dump());
      ids.push_back(v.get<int64_t>());
    }
    return ids;
  }
  fail("config key \"{}\" has the wrong type ({})", key, it->dump());
}

LlamaConfig parse_llama_config(const nlohmann::json& j) {
  LlamaConfig c;
  c.model_type = get_or<std::string>(j, "model_type", c.model_type);
  bool qwen2 = c.model_type == "qwen2";
  bool mistral = c.model_type == "mistral";
  if (c.model_type != "llama" && !qwen2 && !mistral)
    fail("config: model_type \"{}\" is not a Llama-shaped decoder (llama, mistral, qwen2)", c.model_type);
  if (qwen2) {
    c.vocab_size = 151936;
    c.intermediate_size = 22016;
    c.num_key_value_heads = 32;
    c.max_position_embeddings = 32768;
    c.qkv_bias = true;
  }
  if (mistral) {
    c.intermediate_size = 14336;
    c.num_key_value_heads = 8;
    c.max_position_embeddings = 4096 * 32;
    c.rms_norm_eps = 1e-6;
    c.sliding_window = 4096;
  }
  c.vocab_size = get_or<int64_t>(j, "vocab_size", c.vocab_size);
  c.hidden_size = get_or<int64_t>(j, "hidden_size", c.hidden_size);
  c.intermediate_size = get_or<int64_t>(j, "intermediate_size", c.intermediate_size);
  c.num_hidden_layers = get_or<int64_t>(j, "num_hidden_layers", c.num_hidden_layers);
  c.num_attention_heads = get_or<int64_t>(j, "num_attention_heads", c.num_attention_heads);
  // LlamaConfig defaults num_key_value_heads to num_attention_heads; Mistral's is 8, Qwen2's 32.
  c.num_key_value_heads =
      get_or<int64_t>(j, "num_key_value_heads", qwen2 || mistral ? c.num_key_value_heads : c.num_attention_heads);
  c.max_position_embeddings = get_or<int64_t>(j, "max_position_embeddings", c.max_position_embeddings);
  c.rms_norm_eps = get_or<double>(j, "rms_norm_eps", c.rms_norm_eps);
  c.hidden_act = get_or<std::string>(j, "hidden_act", c.hidden_act);
  if (c.num_attention_heads <= 0 || c.hidden_size <= 0)
    fail("config: hidden_size {} and num_attention_heads {} must be positive", c.hidden_size, c.num_attention_heads);
  c.head_dim = get_or<int64_t>(j, "head_dim", c.hidden_size / c.num_attention_heads);
  if (!j.contains("head_dim") || j["head_dim"].is_null()) {
    if (c.hidden_size % c.num_attention_heads != 0)
      fail("config: hidden_size {} is not a multiple of num_attention_heads {}", c.hidden_size, c.num_attention_heads);
  }
  if (c.num_key_value_heads <= 0 || c.num_attention_heads % c.num_key_value_heads != 0)
    fail("config: num_attention_heads {} must be a multiple of num_key_value_heads {}", c.num_attention_heads,
         c.num_key_value_heads);
  if (c.head_dim <= 0 || c.head_dim % 2 != 0) fail("config: head_dim {} must be positive and even", c.head_dim);
  if (c.vocab_size <= 0 || c.intermediate_size <= 0 || c.num_hidden_layers < 0 || c.max_position_embeddings <= 0)
    fail("config: vocab_size {}, intermediate_size {}, max_position_embeddings {} must be positive", c.vocab_size,
         c.intermediate_size, c.max_position_embeddings);
  if (!(c.rms_norm_eps > 0)) fail("config: rms_norm_eps must be positive, got {}", c.rms_norm_eps);

  bool attention_bias = get_or<bool>(j, "attention_bias", false);
  if (!qwen2) c.qkv_bias = c.o_bias = attention_bias;
  c.mlp_bias = get_or<bool>(j, "mlp_bias", false);
  c.tie_word_embeddings = get_or<bool>(j, "tie_word_embeddings", false);

  // Sliding window: Mistral on every layer; Qwen2 only with use_sliding_window,
  // from max_window_layers on; an explicit layer_types list wins.
  c.sliding_window = get_or<int64_t>(j, "sliding_window", mistral ? c.sliding_window : 0);
  if (j.contains("sliding_window") && j["sliding_window"].is_null()) c.sliding_window = 0;
  if (qwen2 && !get_or<bool>(j, "use_sliding_window", false)) c.sliding_window = 0;
  if (c.sliding_window < 0) fail("config: sliding_window must be positive, got {}", c.sliding_window);
  c.sliding_layers.assign(c.num_hidden_layers, false);
  auto lt = j.find("layer_types");
  if (lt != j.end() && !lt->is_null()) {
    if (!lt->is_array() || static_cast<int64_t>(lt->size()) != c.num_hidden_layers)
      fail("config: layer_types must list {} layer types", c.num_hidden_layers);
    for (int64_t i = 0; i < c.num_hidden_layers; ++i) {
      const auto& t = (*lt)[i];
      if (!t.is_string() || (t != "full_attention" && t != "sliding_attention"))
        fail("config: layer_types[{}] = {} is not full_attention or sliding_attention", i, t.dump());
      c.sliding_layers[i] = t == "sliding_attention" && c.sliding_window > 0;
    }
  } else if (c.sliding_window > 0) {
    int64_t first = qwen2 ? get_or<int64_t>(j, "max_window_layers", 28) : 0;
    for (int64_t i = first; i < c.num_hidden_layers; ++i) c.sliding_layers[i] = true;
  }

  c.rope = nn::parse_rope_config(j);
  c.eos_token_ids = parse_token_ids(j, "eos_token_id");
  auto bos = parse_token_ids(j, "bos_token_id");
  if (!bos.empty()) c.bos_token_id = bos[0];
  auto pad = parse_token_ids(j, "pad_token_id");
  if (!pad.empty()) c.pad_token_id = pad[0];
  return c;
}

nlohmann::json to_json(const LlamaConfig& c) {
  if (c.sliding_window > 0 || c.rope.type != "default" || c.qkv_bias || c.o_bias || c.mlp_bias)
    fail("to_json: only plain Llama configs are written (no sliding window, default rope, no biases)");
  nlohmann::json j = {{"model_type", c.model_type},
                      {"architectures", {"LlamaForCausalLM"}},
                      {"vocab_size", c.vocab_size},
                      {"hidden_size", c.hidden_size},
                      {"intermediate_size", c.intermediate_size},
                      {"num_hidden_layers", c.num_hidden_layers},
                      {"num_attention_heads", c.num_attention_heads},
                      {"num_key_value_heads", c.num_key_value_heads},
                      {"head_dim", c.head_dim},
                      {"max_position_embeddings", c.max_position_embeddings},
                      {"rms_norm_eps", c.rms_norm_eps},
                      {"hidden_act", c.hidden_act},
                      {"attention_bias", false},
                      {"mlp_bias", false},
                      {"tie_word_embeddings", c.tie_word_embeddings},
                      {"rope_parameters", {{"rope_type", "default"}, {"rope_theta", c.rope.theta}}}};
  auto ids = [](const std::vector<int64_t>& v) { return v.size() == 1 ? nlohmann::json(v[0]) : nlohmann::json(v); };
  j["eos_token_id"] = c.eos_token_ids.empty() ? nlohmann::json() : ids(c.eos_token_ids);
  j["bos_token_id"] = c.bos_token_id >= 0 ? nlohmann::json(c.bos_token_id) : nlohmann::json();
  j["pad_token_id"] = c.pad_token_id >= 0 ? nlohmann::json(c.pad_token_id) : nlohmann::json();
  return j;
}

}  // namespace argus::models::llama
