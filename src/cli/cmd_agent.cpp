// `argus agent`: an LLM answers a question about images by calling argus's vision
// tools (MM-REACT); each call and its result is printed as it happens, then the answer.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "cli/chat_args.h"
#include "cli/commands.h"
#include "cli/default_models.h"
#include "cli/expert_args.h"
#include "image/decode.h"
#include "image/encode_png.h"
#include "tasks/agent/agent_loop.h"
#include "tasks/agent/model_driver.h"
#include "tasks/chat/chat_limits.h"
#include "util/error.h"

namespace argus::cli {

namespace fs = std::filesystem;

namespace {

void print_step(const tasks::agent::AgentStep& s) {
  if (!s.thought.empty()) std::printf("%s\n", s.thought.c_str());
  std::printf("[%d] %s %s\n    %s %s (%.2f s)\n", s.turn, s.tool.c_str(), s.arguments.dump().c_str(),
              s.ok ? "->" : "error:", s.result.c_str(), s.seconds);
  std::fflush(stdout);
}

// Every image the tools made (not the inputs), as DIR/<id>.png.
void write_made_images(const std::string& dir, const tasks::agent::ImageStore& images, size_t n_inputs) {
  fs::create_directories(dir);
  const auto ids = images.ids();
  for (size_t i = n_inputs; i < ids.size(); ++i)
    image::encode_png(images.get(ids[i]), (fs::path(dir) / (ids[i] + ".png")).string());
}

}  // namespace

void add_agent(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "agent",
      "An LLM answers a question about images by calling the vision tools (detect, segment, classify, crop, ask...).\n"
      "The LLM reads only the tools' results; its chat template must print tools (qwen2.5, hermes3-tools, llama3.1...).");
  struct Opts {
    ChatArgs chat;
    ExpertFlags experts;
    std::string question, trace, out;
    int max_steps = 8;
    double deadline = 0;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  add_chat_flags(cmd, o->chat, "image the question is about: image_1, image_2, ... in order (repeatable)");
  add_expert_flags(cmd, o->experts, false);
  cmd->add_option("question", o->question, "the question")->required();
  cmd->add_option("--max-steps", o->max_steps, "most model turns (each may call tools)")->capture_default_str();
  cmd->add_option("--deadline", o->deadline, "stop after this many seconds (0: no limit)");
  cmd->add_option("--trace", o->trace, "write every step (thought, call, result, seconds) as JSON to this file");
  cmd->add_option("--out", o->out, "write the images the tools made (overlays, crops, masks) to this directory");
  cmd->add_flag("--json", o->json, "print the trace as JSON instead of the steps");
  cmd->callback([o] {
    if (!o->chat.gen.json_schema_file.empty()) fail("agent: --json-schema is not supported (the agent's turns are tool calls)");
    if (o->chat.pad_square) fail("agent: --pad-square is not supported (the LLM does not see the images)");
    tasks::check_image_count(o->chat.images.size());
    tasks::check_stop_strings(o->chat.gen.stop);
    tasks::agent::AgentOptions opts{o->max_steps, o->deadline};
    tasks::agent::check_agent_options(opts);

    tasks::agent::Experts experts(expert_paths(o->experts));
    auto tools = tasks::agent::offered_tools(experts, o->experts.tools);
    // The question's images are given on the command line; the LLM names them by id.
    tools.erase(std::remove_if(tools.begin(), tools.end(), [](const auto* t) { return t->name == "load_image"; }),
                tools.end());
    tasks::agent::ImageStore images;
    std::vector<std::string> ids;
    for (const auto& path : o->chat.images) ids.push_back(images.add("image", image::load_image(path)));

    const std::string dir = model_or_default(o->chat.model, "planner");
    auto model = tasks::ChatModel::open(dir, o->chat.gen.dtype, o->chat.lora);
    tasks::agent::ModelDriver llm(*model, text::ChatTemplate::for_model(dir, o->chat.chat_template),
                                  tasks::generate_options(o->chat.gen, *model), o->chat.model.empty() ? dir : o->chat.model);
    llm.stop = o->chat.gen.stop;
    tasks::agent::ToolContext ctx{images, experts};
    auto run = tasks::agent::run_agent(llm, tools, ctx, o->question, ids, opts,
                                       [o](const tasks::agent::AgentStep& s) {
                                         if (!o->json) print_step(s);
                                       });
    const auto trace = tasks::agent::to_json(run, o->question);
    if (!o->trace.empty()) {
      std::ofstream f(o->trace, std::ios::binary | std::ios::trunc);
      if (!(f << trace.dump(2) << '\n')) fail("cannot write {}", o->trace);
    }
    if (!o->out.empty()) write_made_images(o->out, images, ids.size());
    if (o->json) return print_json(trace);
    if (run.finish == "answer") {
      std::printf("answer: %s\n", run.answer.c_str());
    } else {
      std::printf("no answer: %s\n", run.finish == "deadline" ? "the deadline passed"
                                                                : "the step limit was reached");
    }
  });
}

}  // namespace argus::cli
