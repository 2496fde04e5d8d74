#include "train/llava_trainer.h"

#include <filesystem>
#include <fstream>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/nn/functional/loss.h>

#include "image/processor_config.h"
#include "io/checkpoint.h"
#include "io/json_file.h"
#include "models/clip/clip_config.h"
#include "models/llava/llava_model.h"
#include "nn/load.h"
#include "nn/lora.h"
#include "nn/tensor_io.h"
#include "text/bpe_trainer.h"
#include "text/chat_template.h"
#include "text/tokenizer.h"
#include "train/image_batch.h"
#include "train/init_weights.h"
#include "util/error.h"
#include "util/progress.h"

namespace fs = std::filesystem;

namespace argus::train {
namespace {

const std::vector<std::string> kSpecials = {"<unk>", "<s>", "</s>", "<pad>", "<image>"};
constexpr int64_t kBos = 1, kEos = 2, kPad = 3, kImage = 4;
constexpr int64_t kIgnore = -100;

// One training sequence: ids (the image as features_per_image slots), the targets
// (kIgnore where nothing is predicted) and which image fills the slots.
struct Example {
  std::vector<int64_t> ids, labels;
  int64_t image = -1;
};

class ExampleBuilder {
 public:
  ExampleBuilder(const text::Tokenizer& tok, const text::ChatTemplate& tmpl, int64_t features, int64_t max_len)
      : tok_(tok), tmpl_(tmpl), features_(features), max_len_(max_len) {}

  // The messages rendered turn by turn with the chat template, so training sees exactly
  // the text inference renders; only assistant turns are targets.
  Example chat(const LlavaSample& s) const {
    Example e;
    e.image = s.image;
    if (!s.messages.is_array() || s.messages.empty()) fail("instruction sample without messages");
    std::string done;
    for (size_t k = 1; k <= s.messages.size(); ++k) {
      nlohmann::json prefix(s.messages.begin(), s.messages.begin() + static_cast<std::ptrdiff_t>(k));
      std::string r = tmpl_.render(prefix, false);
      if (r.compare(0, done.size(), done) != 0) fail("the chat template does not render turn by turn");
      auto ids = tok_.encode(r.substr(done.size()), k == 1);
      bool target = s.messages[k - 1].value("role", "") == "assistant";
      append(e, ids, target);
      done = r;
    }
    int64_t slots = std::count(e.ids.begin(), e.ids.end(), kImage);
    if (slots != (s.image >= 0 ? 1 : 0))
      fail("an instruction sample has {} <image> tokens; it needs exactly {}", slots, s.image >= 0 ? 1 : 0);
    expand_image(e);
    truncate(e);
    return e;
  }

  Example text(const std::string& t) const {
    Example e;
    auto ids = tok_.encode(t, true);
    ids.push_back(kEos);
    append(e, ids, true);
    truncate(e);
    return e;
  }

 private:
  static void append(Example& e, const std::vector<int64_t>& ids, bool target) {
    for (int64_t id : ids) {
      e.ids.push_back(id);
      e.labels.push_back(target ? id : kIgnore);
    }
  }
  void expand_image(Example& e) const {
    auto it = std::find(e.ids.begin(), e.ids.end(), kImage);
    if (it == e.ids.end()) return;
    size_t at = static_cast<size_t>(it - e.ids.begin());
    e.ids.insert(e.ids.begin() + static_cast<std::ptrdiff_t>(at), static_cast<size_t>(features_ - 1), kImage);
    e.labels.insert(e.labels.begin() + static_cast<std::ptrdiff_t>(at), static_cast<size_t>(features_ - 1), kIgnore);
  }
  void truncate(Example& e) const {
    if (static_cast<int64_t>(e.ids.size()) <= max_len_) return;
    e.ids.resize(static_cast<size_t>(max_len_));
    e.labels.resize(static_cast<size_t>(max_len_));
  }
  const text::Tokenizer& tok_;
  const text::ChatTemplate& tmpl_;
  int64_t features_, max_len_;
};

struct Batch {
  at::Tensor ids, labels, mask, images;  // images: indices of the rows' images (rows with one, in order)
};

Batch collate(const std::vector<Example>& all, const std::vector<int64_t>& rows) {
  size_t len = 0;
  for (int64_t r : rows) len = std::max(len, all[static_cast<size_t>(r)].ids.size());
  int64_t b = static_cast<int64_t>(rows.size()), l = static_cast<int64_t>(len);
  Batch out{at::full({b, l}, kPad, at::kLong), at::full({b, l}, kIgnore, at::kLong), at::zeros({b, l}, at::kLong), {}};
  auto ids = out.ids.accessor<int64_t, 2>();
  auto labels = out.labels.accessor<int64_t, 2>();
  auto mask = out.mask.accessor<int64_t, 2>();
  std::vector<int64_t> images;
  for (int64_t i = 0; i < b; ++i) {
    const Example& e = all[static_cast<size_t>(rows[static_cast<size_t>(i)])];
    for (size_t j = 0; j < e.ids.size(); ++j) {
      ids[i][static_cast<int64_t>(j)] = e.ids[j];
      labels[i][static_cast<int64_t>(j)] = e.labels[j];
      mask[i][static_cast<int64_t>(j)] = 1;
    }
    if (e.image >= 0) images.push_back(e.image);
  }
  out.images = at::tensor(images, at::kLong);
  return out;
}

// Next-token cross-entropy over the target positions.
at::Tensor lm_loss(models::llama::LlamaForCausalLMImpl& lm, const at::Tensor& embeds, const Batch& b) {
  at::Tensor logits = lm.forward_embeds(embeds, nullptr, b.mask);
  int64_t v = logits.size(-1);
  namespace F = torch::nn::functional;
  return F::cross_entropy(logits.slice(1, 0, -1).reshape({-1, v}), b.labels.slice(1, 1).reshape({-1}),
                          F::CrossEntropyFuncOptions().ignore_index(kIgnore));
}

// Examples grouped by length, so that a batch pads to similar lengths: one detailed
// description among short answers would otherwise make every row of the batch long.
std::vector<std::vector<int64_t>> length_buckets(const std::vector<Example>& examples) {
  static const size_t limits[] = {96, 160, 256};
  std::vector<std::vector<int64_t>> buckets(4);
  for (size_t i = 0; i < examples.size(); ++i) {
    size_t b = 0;
    while (b < 3 && examples[i].ids.size() > limits[b]) ++b;
    buckets[b].push_back(static_cast<int64_t>(i));
  }
  std::vector<std::vector<int64_t>> nonempty;
  for (auto& b : buckets)
    if (!b.empty()) nonempty.push_back(std::move(b));
  return nonempty;
}

// The rows of global step `step` that this rank trains on: a bucket drawn in proportion to
// its size, then a batch from it without replacement. A function of (seed, step) only.
std::vector<int64_t> batch_rows(uint64_t seed, int64_t step, const std::vector<std::vector<int64_t>>& buckets,
                                int64_t batch, int rank, int world) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed * 1000003ull + static_cast<uint64_t>(step));
  int64_t total = 0;
  for (const auto& b : buckets) total += static_cast<int64_t>(b.size());
  int64_t u = at::randint(total, {1}, gen).item<int64_t>();
  size_t k = 0;
  while (u >= static_cast<int64_t>(buckets[k].size())) u -= static_cast<int64_t>(buckets[k++].size());
  const auto& bucket = buckets[k];
  int64_t n = static_cast<int64_t>(bucket.size());
  int64_t local = std::max<int64_t>(1, std::min(batch, n) / world);
  at::Tensor perm = at::randperm(n, gen);
  std::vector<int64_t> rows;
  for (int64_t i = rank * local; i < (rank + 1) * local; ++i) rows.push_back(bucket[static_cast<size_t>(perm[i % n].item<int64_t>())]);
  return rows;
}

void set_trainable(torch::nn::Module& m, bool on) {
  for (auto& p : m.parameters()) p.set_requires_grad(on);
}

std::map<std::string, at::Tensor> hf_state_dict(models::llava::LlavaForConditionalGenerationImpl& m) {
  std::map<std::string, at::Tensor> out;
  for (const auto& kv : m.named_parameters()) {
    std::string k = kv.key();
    // llava-hf nests the CLIPVisionModel: vision_tower.vision_model.*
    if (k.rfind("vision_tower.", 0) == 0) k = "vision_tower.vision_model." + k.substr(13);
    out[k] = kv.value().detach();
  }
  return out;
}

nlohmann::json tokenizer_config() {
  return {{"bos_token", "<s>"},         {"eos_token", "</s>"},
          {"pad_token", "<pad>"},       {"unk_token", "<unk>"},
          {"add_bos_token", true},      {"add_eos_token", false},
          {"model_max_length", 1024},   {"chat_template", llava_chat_template()},
          {"tokenizer_class", "PreTrainedTokenizerFast"}};
}

void write_tokenizer(const nlohmann::json& tokenizer_json, const std::string& dir) {
  std::ofstream(dir + "/tokenizer.json") << tokenizer_json.dump();
  std::ofstream(dir + "/tokenizer_config.json") << tokenizer_config().dump(2);
}

}  // namespace

models::llama::LlamaConfig small_llama_config() {
  models::llama::LlamaConfig c;
  c.hidden_size = 192;
  c.intermediate_size = 512;
  c.num_hidden_layers = 4;
  c.num_attention_heads = 4;
  c.num_key_value_heads = 4;
  c.head_dim = 48;
  c.max_position_embeddings = 512;
  c.rms_norm_eps = 1e-5;
  return c;
}

std::string llava_chat_template() {
  return "{% for message in messages %}"
         "{% if message['role'] == 'user' %}USER: "
         "{% if message['content'] is string %}{{ message['content'] }}{% else %}"
         "{% for c in message['content'] %}{% if c['type'] == 'image' %}{{ '<image>\\n' }}{% endif %}{% endfor %}"
         "{% for c in message['content'] %}{% if c['type'] == 'text' %}{{ c['text'] }}{% endif %}{% endfor %}"
         "{% endif %} ASSISTANT:"
         "{% elif message['role'] == 'assistant' %}"
         "{% if message['content'] is string %} {{ message['content'] }}{% else %}"
         "{% for c in message['content'] %}{% if c['type'] == 'text' %} {{ c['text'] }}{% endif %}{% endfor %}"
         "{% endif %}</s>"
         "{% endif %}{% endfor %}";
}

TrainResult train_llava(const LlavaData& data, const std::vector<std::string>& vocabulary, const std::string& clip_dir,
                        LlavaRecipe recipe, const std::string& out_dir, const std::shared_ptr<Distributed>& dist) {
  int world = dist ? dist->world_size() : 1, rank = dist ? dist->rank() : 0;
  fs::create_directories(out_dir);
  for (const auto& s : data.captions)
    if (s.image < 0 || s.image >= static_cast<int64_t>(data.images.size())) fail("a caption sample has no image");
  for (const auto& s : data.instruct)
    if (s.image >= static_cast<int64_t>(data.images.size())) fail("an instruction sample names a missing image");

  // Tokenizer: the world's words (and the prompt's) as whole tokens, LLaVA's specials.
  std::vector<std::string> words = vocabulary;
  for (const char* w : {"USER", "ASSISTANT", "answer", "the", "question", "using", "a", "single", "word", "or",
                        "phrase", "describe", "image", "briefly", ".", ":"})
    words.push_back(w);
  nlohmann::json tokenizer_json = text::byte_level_tokenizer_json(words, kSpecials);
  std::string tok_dir = out_dir + "/.tokenizer.rank" + std::to_string(rank);
  fs::create_directories(tok_dir);
  write_tokenizer(tokenizer_json, tok_dir);
  auto tok = text::load_tokenizer(tok_dir);
  auto tmpl = text::ChatTemplate::for_model(tok_dir);
  fs::remove_all(tok_dir);

  // The model: CLIP's vision tower (frozen), a new projector and Llama.
  auto clip_ck = io::Checkpoint::open(clip_dir);
  nlohmann::json clip_config = io::read_json(clip_dir + "/config.json");
  models::llava::LlavaConfig cfg;
  cfg.vision = models::clip::parse_config(clip_config).vision;
  cfg.text = recipe.text;
  cfg.text.vocab_size = tok->vocab_size();
  cfg.text.bos_token_id = kBos;
  cfg.text.eos_token_ids = {kEos};
  cfg.text.pad_token_id = kPad;
  cfg.text_config = models::llama::to_json(cfg.text);
  cfg.image_token_index = kImage;
  at::manual_seed(recipe.seed);
  models::llava::LlavaForConditionalGeneration model(cfg);
  init_weights(*model->multi_modal_projector, 1);
  init_weights(*model->language_model, cfg.text.num_hidden_layers);
  nn::LoadOptions lo;
  lo.prefix = "vision_model.";
  nn::load_weights(*model->vision_tower, clip_ck, lo);

  // The tower's features, computed once while it is frozen; its inputs are kept only
  // when stage 2 tunes it.
  nlohmann::json processor = io::read_json(clip_dir + "/preprocessor_config.json");
  at::Tensor pixels = data.images.empty() ? at::Tensor() : preprocess_images(data.images, processor), tower;
  if (pixels.defined()) {
    at::NoGradGuard ng;
    std::vector<at::Tensor> parts;
    std::unique_ptr<Progress> progress;
    if (rank == 0) progress = std::make_unique<Progress>("encoding images", pixels.size(0));
    for (int64_t i = 0; i < pixels.size(0); i += 64) {
      parts.push_back(model->tower_features(pixels.slice(0, i, i + 64)));
      if (progress) progress->step(parts.back().size(0));
    }
    if (progress) progress->finish();
    tower = at::cat(parts);
    if (!recipe.tune_vision) pixels = at::Tensor();
  }

  ExampleBuilder builder(*tok, tmpl, cfg.features_per_image(), cfg.text.max_position_embeddings);
  std::vector<Example> texts, captions, instruct;
  for (const auto& t : data.texts) texts.push_back(builder.text(t));
  for (const auto& s : data.captions) captions.push_back(builder.chat(s));
  for (const auto& s : data.instruct) instruct.push_back(builder.chat(s));
  auto& lm = *model->language_model;
  bool tower_trains = false;
  auto embed = [&](const Batch& b) {
    at::Tensor e = lm.model->embed(b.ids);
    if (b.images.numel() == 0) return e;
    at::Tensor t = tower_trains ? model->tower_features(pixels.index_select(0, b.images)) : tower.index_select(0, b.images);
    at::Tensor feats = model->multi_modal_projector(t);
    return e.masked_scatter((b.ids == kImage).unsqueeze(-1), feats);
  };
  auto stage = [&](const char* name, torch::nn::Module& module, const std::vector<Example>& examples, int64_t batch,
                   TrainOptions opts, uint64_t seed_offset, const nlohmann::json& extra_arch) {
    if (examples.empty()) fail("LLaVA stage {}: no training samples", name);
    if (batch % world != 0) fail("the batch size {} must divide by the {} processes", batch, world);
    if (opts.checkpoint_dir.empty()) opts.checkpoint_dir = out_dir + "/checkpoint-" + name;
    opts.what = std::string("llava ") + name;
    nlohmann::json arch = {{"stage", name}, {"llava", models::llava::to_json(cfg)}};
    arch.update(extra_arch);
    TrainLoop loop(module, arch, opts, dist);
    auto buckets = length_buckets(examples);
    return loop.run(
        [&](int64_t step) {
          Batch b = collate(examples, batch_rows(recipe.seed + seed_offset, step, buckets, batch, rank, world));
          return StepOutput{lm_loss(lm, embed(b), b), b.ids.size(0)};
        },
        GradReduction::Mean);
  };

  // Language-model pre-training on the world's text.
  set_trainable(*model, false);
  set_trainable(lm, true);
  stage("lm", lm, texts, recipe.lm_batch, recipe.lm, 1, nlohmann::json::object());
  // Stage 1: feature alignment, the projector alone.
  set_trainable(lm, false);
  set_trainable(*model->multi_modal_projector, true);
  stage("align", *model, captions, recipe.align_batch, recipe.align, 2, nlohmann::json::object());
  auto write_model = [&](const std::string& dir, const nlohmann::json& recipe_record) {
    fs::create_directories(dir);
    nn::save_safetensors(dir + "/model.safetensors", hf_state_dict(*model));
    std::ofstream(dir + "/config.json") << models::llava::to_json(cfg).dump(2);
    std::ofstream(dir + "/generation_config.json")
        << nlohmann::json({{"bos_token_id", kBos}, {"eos_token_id", kEos}, {"pad_token_id", kPad}}).dump(2);
    std::ofstream(dir + "/preprocessor_config.json") << processor.dump(2);
    write_tokenizer(tokenizer_json, dir);
    std::ofstream(dir + "/argus_recipe.json") << recipe_record.dump(2);
  };
  nlohmann::json record = {{"recipe", "llava (lm pre-training, stage 1 alignment, stage 2 instruction tuning)"},
                           {"seed", recipe.seed},
                           {"processes", world},
                           {"vision_tower", clip_dir},
                           {"tune_vision", recipe.tune_vision},
                           {"lora_rank", recipe.lora_rank},
                           {"steps", {{"lm", recipe.lm.steps}, {"align", recipe.align.steps}, {"instruct", recipe.instruct.steps}}},
                           {"samples", {{"texts", texts.size()}, {"captions", captions.size()}, {"instruct", instruct.size()}}}};

  // Stage 2: visual instruction tuning, projector + LLM (+ the tower when asked); with
  // LoRA the LLM stays frozen and low-rank adapters on its linear layers train instead.
  nn::LoraConfig lora;
  if (recipe.lora_rank > 0) {
    if (rank == 0) write_model(out_dir + "/" + kLoraBaseDir, record);  // what the adapter applies to
    lora.r = recipe.lora_rank;
    lora.alpha = recipe.lora_alpha;
    lora.target_modules = {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"};
    lora.modules_to_save = {"multi_modal_projector"};
    if (recipe.tune_vision) lora.modules_to_save.push_back("vision_tower");
    lora.base_model = out_dir + "/" + kLoraBaseDir;
    nn::attach_lora(*model, lora, "language_model.");
    for (auto& p : nn::lora_parameters(*model)) p.set_requires_grad(true);
  } else {
    set_trainable(lm, true);
  }
  if (recipe.tune_vision) {
    set_trainable(*model->vision_tower, true);
    tower_trains = true;
  }
  TrainResult result = stage("instruct", *model, instruct, recipe.instruct_batch, recipe.instruct, 3,
                              {{"tune_vision", recipe.tune_vision}, {"lora_rank", recipe.lora_rank}});
  set_trainable(*model, false);

  if (rank == 0) {
    record["rank_checksums"] = result.rank_checksums;
    if (recipe.lora_rank > 0) {
      nn::save_lora_adapter(*model, lora, out_dir + "/" + kLoraDir);
      nn::merge_lora(*model);  // the main directory holds the merged model, ready to serve
    }
    write_model(out_dir, record);
  }
  if (dist) dist->barrier();
  return result;
}

}  // namespace argus::train
