// `argus world generate | train | eval`: the procedurally generated world, the training
// recipes run on it and its benchmarks.
#include <filesystem>
#include <set>

#include "cli/commands.h"
#include "eval/world_eval.h"
#include "image/decode.h"
#include "io/json_file.h"
#include "models/open_clip/open_clip_load.h"
#include "train/clip_trainer.h"
#include "train/world_data.h"
#include "train/launch.h"
#include "util/error.h"
#include "util/progress.h"
#include "world/generate.h"
#include "world/load.h"

namespace fs = std::filesystem;

namespace argus::cli {
namespace {

void add_world_generate(CLI::App* world) {
  auto* cmd = world->add_subcommand("generate", "Write a generated dataset: images, COCO masks, captions, "
                                                "referring expressions, VQA, POPE and LLaVA instruction data");
  auto o = std::make_shared<argus::world::GenerateOptions>();
  cmd->add_option("--out", o->out_dir, "output directory")->required();
  cmd->add_option("--n", o->n_train, "training images")->check(CLI::Range(int64_t{1}, int64_t{10000000}));
  cmd->add_option("--n-eval", o->n_eval, "images in each evaluation split (default max(50, n/10))");
  cmd->add_option("--seed", o->seed, "random seed (the output is a function of it)");
  cmd->callback([o] {
    std::map<std::string, std::unique_ptr<Progress>> bars;
    o->progress = [&bars](const std::string& split, int64_t done, int64_t total) {
      auto& bar = bars[split];
      if (!bar) bar = std::make_unique<Progress>("generating " + split, total);
      bar->step(1);
      if (done == total) bar->finish();
    };
    auto r = argus::world::generate(*o);
    nlohmann::json images(r.images);
    print_json({{"out", o->out_dir}, {"images", images}, {"objects", r.objects}, {"vocabulary", r.vocabulary_size}});
  });
}

struct TrainFlags {
  std::string data, out = "models/world", only = "all", tower = "vit";
  int64_t steps = 0, lm_steps = 0, align_steps = 0, batch = 0, save_every = 100, max_images = 0, lora = 0;
  double lr = 0, token_labels = 0;
  bool hard_negatives = false;
  uint64_t seed = 0;
  int nproc = 1;
};

// A single-stage recipe's optimisation settings: the flags where given, else its defaults.
train::TrainOptions train_options(const TrainFlags& f, int64_t steps, double lr, double weight_decay, const char* what) {
  train::TrainOptions t;
  t.steps = f.steps > 0 ? f.steps : steps;
  t.warmup_steps = std::min<int64_t>(100, t.steps / 10);
  t.lr = f.lr > 0 ? f.lr : lr;
  t.weight_decay = weight_decay;
  t.save_every = f.save_every;
  t.what = what;
  return t;
}

void add_world_train(CLI::App* world) {
  auto* cmd = world->add_subcommand("train", "Train the default models on a generated world (from scratch)");
  auto o = std::make_shared<TrainFlags>();
  cmd->add_option("--data", o->data, "a generated world (argus world generate)")->required();
  cmd->add_option("--out", o->out, "models directory (default models/world)");
  cmd->add_option("--only", o->only, "which recipe: clip, llava, sam, owl or all (default: all, in that order)");
  cmd->add_option("--steps", o->steps, "optimisation steps (default: the recipe's)");
  cmd->add_option("--lm-steps", o->lm_steps, "LLaVA's language-model pre-training steps (default steps/5)");
  cmd->add_option("--align-steps", o->align_steps, "LLaVA's stage-1 alignment steps (default steps/10)");
  cmd->add_option("--batch", o->batch, "global batch size (default: the recipe's)");
  cmd->add_option("--lora", o->lora, "LLaVA stage 2 with rank-R LoRA adapters on the LLM instead of tuning it in full "
                                     "(writes llava/lora, the PEFT adapter, and llava/lora-base, its base)")
      ->check(CLI::Range(int64_t{0}, int64_t{4096}));
  cmd->add_option("--lr", o->lr, "peak learning rate (default: the recipe's)");
  cmd->add_option("--token-labels", o->token_labels,
                  "CLIP: weight of the token-labelling loss, each image patch naming the shape under it "
                  "(default 0: plain contrastive CLIP)")
      ->check(CLI::Range(0.0, 100.0));
  cmd->add_option("--tower", o->tower,
                  "CLIP's image tower: vit (default; saved as a transformers CLIPModel) or resnet (the CLIP paper's "
                  "ModifiedResNet, saved in open_clip's layout)");
  cmd->add_flag("--hard-negatives", o->hard_negatives,
                "CLIP: contrast each image also with its captions' shape-swapped negatives");
  cmd->add_option("--seed", o->seed, "initialisation and data-order seed");
  cmd->add_option("--save-every", o->save_every, "steps between resumable checkpoints");
  cmd->add_option("--max-images", o->max_images, "use only the first N training images");
  cmd->add_option("--nproc", o->nproc, "data-parallel worker processes on this machine (Gloo); several "
                                       "machines: set RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT instead");
  cmd->callback([o] {
    if (o->nproc < 1) fail("--nproc {} must be at least 1", o->nproc);
    if (o->nproc > 1 && !train::launched_as_worker()) {
      int code = train::launch_local(o->nproc, command_line());
      if (code != 0) fail("a training worker failed (exit status {})", code);
      return;
    }
    auto dist = train::Distributed::from_env();
    bool all = o->only == "all";
    if (!all && o->only != "clip" && o->only != "llava" && o->only != "sam" && o->only != "owl")
      fail("--only {}: the recipes are clip, llava (needs clip), sam, owl (needs clip) or all, in that order", o->only);
    auto report = [&](const std::string& model, const train::TrainResult& r, int64_t steps) {
      if (!dist || dist->rank() == 0)
        print_json({{"model", model},
                    {"steps", steps},
                    {"resumed_from", r.start_step},
                    {"final_loss", r.losses.empty() ? nlohmann::json() : nlohmann::json(r.losses.back())},
                    {"rank_checksums", r.rank_checksums}});
    };
    auto vocabulary = train::world_vocabulary(o->data);
    std::string clip_out = (fs::path(o->out) / "clip").string();
    if (o->tower != "vit" && o->tower != "resnet") fail("--tower {}: the CLIP image towers are vit and resnet", o->tower);
    auto require_clip = [&](const char* what) {
      if (fs::exists(fs::path(clip_out) / models::open_clip::kConfigFile))
        fail("{}: {} is built on the ViT world CLIP, and this one has the ResNet tower (LLaVA and OWL on it are not "
             "implemented yet); train the ViT CLIP for them (--tower vit) in another --out",
             clip_out, what);
      if (!fs::exists(fs::path(clip_out) / "model.safetensors"))
        fail("{}: {} is built on the world CLIP; train it first (--only clip)", clip_out, what);
    };
    if (all || o->only == "clip") {
      train::ClipRecipe r;
      r.tower = o->tower == "resnet" ? train::ClipTower::ResNet : train::ClipTower::Vit;
      r.arch = train::small_clip_config();
      r.resnet_arch = train::small_resnet_clip_config();
      r.seed = o->seed;
      r.batch_size = o->batch > 0 ? o->batch : 96;
      r.train = train_options(*o, 2000, 1e-3, 0.1, "training clip");
      r.token_label_weight = o->token_labels;
      r.hard_negatives = o->hard_negatives;
      auto result = train::train_clip(train::world_clip_data(o->data, o->max_images, {r.token_label_weight > 0, r.hard_negatives, o->seed}), vocabulary, r, clip_out, dist);
      report(clip_out, result, r.train.steps);
    }
    if (all || o->only == "llava") {
      require_clip("LLaVA's vision tower");
      train::LlavaRecipe r;
      r.text = train::small_llama_config();
      r.seed = o->seed;
      // The world CLIP's contrastive training leaves its tower shape-blind (measured: the
      // text embeddings of "a red circle" and "a red square" coincide), so stage 2 tunes it.
      r.tune_vision = true;
      r.lora_rank = o->lora;
      int64_t steps = o->steps > 0 ? o->steps : 1500;
      auto set = [&](train::TrainOptions& t, int64_t n, double lr) {
        t.steps = n;
        t.warmup_steps = std::min<int64_t>(50, n / 10);
        t.lr = o->lr > 0 ? o->lr : lr;
        t.weight_decay = 0.0;
        t.save_every = o->save_every;
      };
      // LLaVA's proportions: most of the budget on instruction tuning.
      set(r.lm, o->lm_steps > 0 ? o->lm_steps : std::max<int64_t>(1, steps / 5), 2e-3);
      set(r.align, o->align_steps > 0 ? o->align_steps : std::max<int64_t>(1, steps / 10), 2e-3);
      set(r.instruct, steps, 1e-3);
      if (o->batch > 0) r.lm_batch = r.align_batch = r.instruct_batch = o->batch;
      std::string out = (fs::path(o->out) / "llava").string();
      auto result = train::train_llava(train::world_llava_data(o->data, o->max_images), vocabulary, clip_out, r, out, dist);
      report(out, result, steps);
    }
    if (all || o->only == "sam") {
      train::SamRecipe r;
      r.arch = train::small_sam_config();
      r.seed = o->seed;
      r.batch_size = o->batch > 0 ? o->batch : 32;
      r.train = train_options(*o, 1500, 8e-4, 0.1, "training sam");
      std::string out = (fs::path(o->out) / "sam").string();
      auto result = train::train_sam(train::world_sam_data(o->data, o->max_images), r, out, dist);
      report(out, result, r.train.steps);
    }
    if (all || o->only == "owl") {
      require_clip("the OWL detector");
      train::OwlRecipe r;
      r.seed = o->seed;
      r.batch_size = o->batch > 0 ? o->batch : 32;
      r.train = train_options(*o, 3000, 5e-4, 0.05, "training owl");
      std::string out = (fs::path(o->out) / "owl").string();
      auto result = train::train_owl(train::world_owl_data(o->data, o->max_images), clip_out, r, out, dist);
      report(out, result, r.train.steps);
    }
  });
}

void add_world_eval(CLI::App* world) {
  auto* cmd = world->add_subcommand("eval", "Measure the trained models on the held-out and open-set splits");
  auto o = std::make_shared<eval::WorldEvalOptions>();
  auto json = std::make_shared<bool>(false);
  cmd->add_option("--models", o->models_dir, "models directory (as written by world train)")->required();
  cmd->add_option("--data", o->data_dir, "a generated world")->required();
  cmd->add_option("--max-images", o->max_images, "evaluate only the first N images of each split");
  cmd->add_flag("--json", *json, "print JSON");
  cmd->callback([o, json] {
    auto r = eval::evaluate_world(*o);
    if (*json) return print_json(r);
    for (const auto& [split, m] : r["splits"].items()) {
      std::printf("%s\n", split.c_str());
      for (const auto& [k, v] : m.items())
        if (v.is_number()) std::printf("  %-22s %.3f\n", k.c_str(), v.get<double>());
        else if (v.is_null()) std::printf("  %-22s -\n", k.c_str());
    }
  });
}

}  // namespace

void add_world(CLI::App& app) {
  auto* world = app.add_subcommand("world", "The generated world: make data, train models, evaluate them");
  world->require_subcommand(1);
  add_world_generate(world);
  add_world_train(world);
  add_world_eval(world);
}

}  // namespace argus::cli
