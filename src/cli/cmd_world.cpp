// `argus world generate | train | eval`: the procedurally generated world, the training
// recipes run on it and its benchmarks.
#include <filesystem>
#include <set>

#include "cli/commands.h"
#include "eval/world_eval.h"
#include "image/decode.h"
#include "io/json_file.h"
#include "train/clip_trainer.h"
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

// The training images and captions of a generated world, and the words its texts use.
train::CaptionedImages load_captioned(const std::string& data_dir, int64_t max_images) {
  auto split = argus::world::load_split((fs::path(data_dir) / "train").string());
  std::map<int64_t, std::vector<std::string>> caps;
  for (const auto& c : split.captions) caps[c.image_id].push_back(c.caption);
  train::CaptionedImages d;
  Progress progress("loading images", static_cast<int64_t>(split.images.size()));
  for (const auto& im : split.images) {
    if (max_images > 0 && static_cast<int64_t>(d.images.size()) >= max_images) break;
    d.images.push_back(image::load_image(split.image_path(im)));
    d.captions.push_back(caps[im.id]);
    progress.step();
  }
  progress.finish();
  return d;
}

std::vector<std::string> world_vocabulary(const std::string& data_dir) {
  auto meta = io::read_json((fs::path(data_dir) / "world.json").string());
  if (!meta.contains("vocabulary") || !meta["vocabulary"].is_array())
    fail("{}/world.json has no \"vocabulary\" list", data_dir);
  std::vector<std::string> words = meta["vocabulary"].get<std::vector<std::string>>();
  // The evaluation prompts' words, in case a small world never used them.
  for (const char* w : {"a", "an", "picture", "image", "drawing", "of"}) words.push_back(w);
  return words;
}

struct TrainFlags {
  std::string data, out = "models/world", only = "clip";
  int64_t steps = 0, batch = 0, save_every = 100, max_images = 0;
  double lr = 0;
  uint64_t seed = 0;
  int nproc = 1;
};

void add_world_train(CLI::App* world) {
  auto* cmd = world->add_subcommand("train", "Train the default models on a generated world (from scratch)");
  auto o = std::make_shared<TrainFlags>();
  cmd->add_option("--data", o->data, "a generated world (argus world generate)")->required();
  cmd->add_option("--out", o->out, "models directory (default models/world)");
  cmd->add_option("--only", o->only, "which models: clip");
  cmd->add_option("--steps", o->steps, "optimisation steps (default: the recipe's)");
  cmd->add_option("--batch", o->batch, "global batch size (default: the recipe's)");
  cmd->add_option("--lr", o->lr, "peak learning rate (default: the recipe's)");
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
    if (o->only != "clip") fail("--only {}: the recipes available are: clip", o->only);
    train::ClipRecipe r;
    r.arch = train::small_clip_config();
    r.seed = o->seed;
    r.batch_size = o->batch > 0 ? o->batch : 128;
    r.train.steps = o->steps > 0 ? o->steps : 1500;
    r.train.warmup_steps = std::min<int64_t>(100, r.train.steps / 10);
    r.train.lr = o->lr > 0 ? o->lr : 1e-3;
    r.train.weight_decay = 0.1;
    r.train.save_every = o->save_every;
    r.train.what = "training clip";
    std::string out = (fs::path(o->out) / "clip").string();
    auto data = load_captioned(o->data, o->max_images);
    auto result = train::train_clip(data, world_vocabulary(o->data), r, out, dist);
    if (!dist || dist->rank() == 0)
      print_json({{"model", out},
                  {"steps", r.train.steps},
                  {"resumed_from", result.start_step},
                  {"final_loss", result.losses.empty() ? nlohmann::json() : nlohmann::json(result.losses.back())},
                  {"rank_checksums", result.rank_checksums}});
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
