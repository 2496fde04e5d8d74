#include "models/blip2/blip2_config.h"

#include <initializer_list>
#include <utility>

#include "io/json_file.h"
#include "nn/activation.h"
#include "util/error.h"

namespace argus::models::blip2 {

using io::get_or;

namespace {

// An activation argus has no kernel for is refused while parsing, naming its key.
void require_activation(const std::string& name, const std::string& key) {
  try {
    nn::activation(name);
  } catch (const Error&) {
    fail("{} \"{}\" is not supported", key, name);
  }
}

const nlohmann::json& section(const nlohmann::json& j, const char* key) {
  static const nlohmann::json empty = nlohmann::json::object();
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return empty;
  if (!it->is_object()) fail("blip-2 config: {} must be an object", key);
  return *it;
}

using Field = std::pair<int64_t, const char*>;

void require_positive(std::initializer_list<Field> fields, const std::string& where) {
  for (const auto& [v, key] : fields)
    if (v <= 0) fail("{}.{} must be positive, got {}", where, key, v);
}

void require_divisible(int64_t hidden, int64_t heads, const std::string& where) {
  if (hidden % heads != 0)
    fail("{}: hidden_size {} is not a multiple of num_attention_heads {}", where, hidden, heads);
}

Blip2VisionConfig parse_vision(const nlohmann::json& j) {
  const std::string type = get_or<std::string>(j, "model_type", "blip_2_vision_model");
  if (type != "blip_2_vision_model")
    fail("blip-2 config: vision_config.model_type \"{}\" is not supported (argus has blip_2_vision_model)", type);
  Blip2VisionConfig c;
  c.hidden_size = get_or<int64_t>(j, "hidden_size", c.hidden_size);
  c.intermediate_size = get_or<int64_t>(j, "intermediate_size", c.intermediate_size);
  c.num_attention_heads = get_or<int64_t>(j, "num_attention_heads", c.num_attention_heads);
  c.num_hidden_layers = get_or<int64_t>(j, "num_hidden_layers", c.num_hidden_layers);
  c.image_size = get_or<int64_t>(j, "image_size", c.image_size);
  c.patch_size = get_or<int64_t>(j, "patch_size", c.patch_size);
  c.layer_norm_eps = get_or<double>(j, "layer_norm_eps", c.layer_norm_eps);
  c.hidden_act = get_or<std::string>(j, "hidden_act", c.hidden_act);
  c.qkv_bias = get_or<bool>(j, "qkv_bias", c.qkv_bias);
  require_positive({{c.hidden_size, "hidden_size"},
                    {c.intermediate_size, "intermediate_size"},
                    {c.num_attention_heads, "num_attention_heads"},
                    {c.num_hidden_layers, "num_hidden_layers"},
                    {c.image_size, "image_size"},
                    {c.patch_size, "patch_size"}},
                   "blip-2 config: vision_config");
  require_divisible(c.hidden_size, c.num_attention_heads, "blip-2 config: vision_config");
  require_activation(c.hidden_act, "blip-2 config: vision_config.hidden_act");
  if (c.image_size % c.patch_size != 0)
    fail("blip-2 config: vision_config.image_size {} is not a multiple of patch_size {}", c.image_size, c.patch_size);
  return c;
}

Blip2QFormerConfig parse_qformer(const nlohmann::json& j, int64_t vision_hidden) {
  Blip2QFormerConfig c;
  c.hidden_size = get_or<int64_t>(j, "hidden_size", c.hidden_size);
  c.intermediate_size = get_or<int64_t>(j, "intermediate_size", c.intermediate_size);
  c.num_attention_heads = get_or<int64_t>(j, "num_attention_heads", c.num_attention_heads);
  c.num_hidden_layers = get_or<int64_t>(j, "num_hidden_layers", c.num_hidden_layers);
  c.cross_attention_frequency = get_or<int64_t>(j, "cross_attention_frequency", c.cross_attention_frequency);
  c.encoder_hidden_size = get_or<int64_t>(j, "encoder_hidden_size", c.encoder_hidden_size);
  c.layer_norm_eps = get_or<double>(j, "layer_norm_eps", c.layer_norm_eps);
  c.hidden_act = get_or<std::string>(j, "hidden_act", c.hidden_act);
  require_positive({{c.hidden_size, "hidden_size"},
                    {c.intermediate_size, "intermediate_size"},
                    {c.num_attention_heads, "num_attention_heads"},
                    {c.num_hidden_layers, "num_hidden_layers"},
                    {c.cross_attention_frequency, "cross_attention_frequency"}},
                   "blip-2 config: qformer_config");
  require_divisible(c.hidden_size, c.num_attention_heads, "blip-2 config: qformer_config");
  require_activation(c.hidden_act, "blip-2 config: qformer_config.hidden_act");
  const std::string pos = get_or<std::string>(j, "position_embedding_type", "absolute");
  if (pos != "absolute")
    fail("blip-2 config: qformer_config.position_embedding_type \"{}\" is not supported (only \"absolute\")", pos);
  // The queries cross-attend to the vision tower's output, whatever this says.
  if (c.encoder_hidden_size != vision_hidden)
    fail("blip-2 config: qformer_config.encoder_hidden_size {} is not vision_config.hidden_size {}",
         c.encoder_hidden_size, vision_hidden);
  return c;
}

}  // namespace

OptConfig parse_opt_config(const nlohmann::json& j, const std::string& where) {
  OptConfig c;
  c.vocab_size = get_or<int64_t>(j, "vocab_size", c.vocab_size);
  c.hidden_size = get_or<int64_t>(j, "hidden_size", c.hidden_size);
  c.ffn_dim = get_or<int64_t>(j, "ffn_dim", c.ffn_dim);
  c.num_attention_heads = get_or<int64_t>(j, "num_attention_heads", c.num_attention_heads);
  c.num_hidden_layers = get_or<int64_t>(j, "num_hidden_layers", c.num_hidden_layers);
  c.max_position_embeddings = get_or<int64_t>(j, "max_position_embeddings", c.max_position_embeddings);
  c.word_embed_proj_dim = get_or<int64_t>(j, "word_embed_proj_dim", c.hidden_size);
  c.pad_token_id = get_or<int64_t>(j, "pad_token_id", c.pad_token_id);
  c.bos_token_id = get_or<int64_t>(j, "bos_token_id", c.bos_token_id);
  c.do_layer_norm_before = get_or<bool>(j, "do_layer_norm_before", c.do_layer_norm_before);
  c.remove_final_layer_norm = get_or<bool>(j, "_remove_final_layer_norm", c.remove_final_layer_norm);
  c.activation_function = get_or<std::string>(j, "activation_function", c.activation_function);
  require_positive({{c.vocab_size, "vocab_size"},
                    {c.hidden_size, "hidden_size"},
                    {c.ffn_dim, "ffn_dim"},
                    {c.num_attention_heads, "num_attention_heads"},
                    {c.num_hidden_layers, "num_hidden_layers"},
                    {c.max_position_embeddings, "max_position_embeddings"},
                    {c.word_embed_proj_dim, "word_embed_proj_dim"}},
                   where);
  require_divisible(c.hidden_size, c.num_attention_heads, where);
  require_activation(c.activation_function, where + ".activation_function");
  if (!get_or<bool>(j, "enable_bias", true))
    fail("{}: enable_bias false is not supported (argus' OPT layers have biases)", where);
  if (!get_or<bool>(j, "layer_norm_elementwise_affine", true))
    fail("{}: layer_norm_elementwise_affine false is not supported", where);
  if (!get_or<bool>(j, "tie_word_embeddings", true))
    fail("{}: tie_word_embeddings false is not supported (OPT's lm_head is its embedding matrix)", where);
  return c;
}

Blip2Config parse_blip2_config(const nlohmann::json& j) {
  if (!j.is_object()) fail("blip-2 config: expected a JSON object");
  Blip2Config c;
  c.vision = parse_vision(section(j, "vision_config"));
  c.qformer = parse_qformer(section(j, "qformer_config"), c.vision.hidden_size);
  if (get_or<bool>(section(j, "qformer_config"), "use_qformer_text_input", false))
    fail("blip-2 config: qformer_config.use_qformer_text_input true is not supported (InstructBLIP-style text "
         "queries; argus runs the learned queries alone)");

  const nlohmann::json& tc = section(j, "text_config");
  const std::string type = get_or<std::string>(tc, "model_type", "opt");
  // transformers' Blip2 runs a decoder-only LM or a seq2seq one (Flan-T5); argus has OPT.
  if (type != "opt")
    fail("blip-2 config: text_config.model_type \"{}\" is not supported (argus runs BLIP-2 with an opt decoder)",
         type);
  if (!get_or<bool>(j, "use_decoder_only_language_model", true))
    fail("blip-2 config: use_decoder_only_language_model false is not supported (an encoder-decoder LM)");
  c.text = parse_opt_config(tc, "blip-2 config: text_config");
  // language_projection writes hidden_size features into slots of the embeddings'
  // width: transformers' BLIP-2 cannot run a decoder whose two widths differ either.
  if (c.text.word_embed_proj_dim != c.text.hidden_size)
    fail("blip-2 config: text_config.word_embed_proj_dim {} differs from hidden_size {} (BLIP-2 puts the "
         "projected queries among the token embeddings)",
         c.text.word_embed_proj_dim, c.text.hidden_size);

  c.num_query_tokens = get_or<int64_t>(j, "num_query_tokens", c.num_query_tokens);
  require_positive({{c.num_query_tokens, "num_query_tokens"}}, "blip-2 config");
  c.image_token_index = get_or<int64_t>(j, "image_token_index", get_or<int64_t>(j, "image_token_id", -1));
  if (c.image_token_index < -1 || c.image_token_index >= c.text.vocab_size)
    fail("blip-2 config: image_token_index {} is outside text_config.vocab_size {}", c.image_token_index,
         c.text.vocab_size);
  return c;
}

}  // namespace argus::models::blip2
