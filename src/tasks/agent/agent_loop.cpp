#include "tasks/agent/agent_loop.h"

#include <fmt/format.h>

#include "util/error.h"

namespace argus::tasks::agent {

namespace {

using ordered = nlohmann::ordered_json;
using Clock = std::chrono::steady_clock;

double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

std::string image_list(const ImageStore& images, const std::vector<std::string>& ids) {
  std::string s;
  for (const auto& id : ids) {
    const auto& im = images.get(id);
    s += fmt::format("{}{} ({}x{})", s.empty() ? "" : ", ", id, im.width, im.height);
  }
  return s;
}

}  // namespace

std::string agent_system_prompt() {
  return "You answer questions about images by calling vision tools. You cannot see the images: call the tools "
         "and read their results. Images are named by ids (image_1, crop_2, mask_3); tools that make an image "
         "return its id. Boxes are [x0, y0, x1, y1] in pixels. When you know the answer, reply with it alone, "
         "briefly, without calling a tool.";
}

void check_agent_options(const AgentOptions& opts) {
  if (opts.max_steps < 1 || opts.max_steps > kMaxAgentSteps)
    fail("--max-steps must be between 1 and {}, got {}", kMaxAgentSteps, opts.max_steps);
  if (!(opts.deadline_s >= 0)) fail("--deadline must be >= 0 seconds (0: none), got {}", opts.deadline_s);
}

AgentRun run_agent(ChatDriver& llm, const std::vector<const Tool*>& tools, ToolContext& ctx,
                   const std::string& question, const std::vector<std::string>& image_ids, const AgentOptions& opts,
                   const std::function<void(const AgentStep&)>& on_step) {
  check_agent_options(opts);
  if (question.empty()) fail("the question is empty");
  const auto t0 = Clock::now();
  auto past_deadline = [&] { return opts.deadline_s > 0 && since(t0) >= opts.deadline_s; };

  ordered messages = ordered::array();
  messages.push_back({{"role", "system"}, {"content", agent_system_prompt()}});
  std::string user = question;
  if (!image_ids.empty()) user += "\n\nImages: " + image_list(ctx.images, image_ids);
  messages.push_back({{"role", "user"}, {"content", user}});
  const ordered specs = function_specs(tools);

  AgentRun run;
  int call_count = 0;
  while (true) {
    if (past_deadline()) {
      run.finish = "deadline";
      break;
    }
    if (run.turns == opts.max_steps) {
      run.finish = "max_steps";
      break;
    }
    std::string raw = llm.reply(messages, specs, past_deadline);
    ++run.turns;
    if (past_deadline()) {
      run.finish = "deadline";
      break;
    }
    auto parsed = text::parse_tool_calls(raw, llm.syntax());
    if (parsed.tool_calls.empty()) {
      run.answer = parsed.content;
      run.finish = "answer";
      break;
    }
    ordered assistant = {{"role", "assistant"}, {"content", parsed.content}};
    ordered calls = ordered::array();
    std::vector<std::string> ids;
    for (const auto& c : parsed.tool_calls) {
      ids.push_back(fmt::format("call_{}", ++call_count));
      ordered args = ordered::parse(c.arguments, nullptr, false);
      calls.push_back({{"id", ids.back()}, {"type", "function"},
                       {"function", {{"name", c.name}, {"arguments", args.is_discarded() ? ordered::object() : args}}}});
    }
    assistant["tool_calls"] = calls;
    messages.push_back(assistant);
    for (size_t k = 0; k < parsed.tool_calls.size(); ++k) {
      const auto& c = parsed.tool_calls[k];
      AgentStep step;
      step.turn = run.turns;
      step.thought = k == 0 ? parsed.content : "";
      step.tool = c.name;
      nlohmann::json args = nlohmann::json::parse(c.arguments, nullptr, false);
      step.arguments = args.is_discarded() ? nlohmann::json() : args;
      const auto s0 = Clock::now();
      if (past_deadline()) {
        step.result = "not run: the deadline has passed";
      } else if (args.is_discarded()) {
        step.result = c.name + ": the arguments are not valid JSON";
      } else {
        ToolOutcome o = call_tool(tools, c.name, args, ctx);
        step.ok = o.ok;
        step.result = o.ok ? o.result.text : o.error;
        if (o.ok) {
          step.data = o.result.data;
          step.image_id = o.result.image_id;
        }
      }
      step.seconds = since(s0);
      messages.push_back({{"role", "tool"}, {"tool_call_id", ids[k]}, {"name", c.name},
                          {"content", step.ok ? step.result : "error: " + step.result}});
      if (on_step) on_step(step);
      run.steps.push_back(std::move(step));
    }
  }
  run.seconds = since(t0);
  return run;
}

nlohmann::json to_json(const AgentRun& run, const std::string& question) {
  nlohmann::json steps = nlohmann::json::array();
  for (const auto& s : run.steps) {
    nlohmann::json j = {{"turn", s.turn}, {"thought", s.thought}, {"tool", s.tool}, {"arguments", s.arguments},
                        {"ok", s.ok}, {"result", s.result}, {"seconds", s.seconds}};
    if (s.ok) j["data"] = s.data;
    if (!s.image_id.empty()) j["image"] = s.image_id;
    steps.push_back(j);
  }
  return {{"question", question}, {"answer", run.answer}, {"finish", run.finish},
          {"turns", run.turns}, {"seconds", run.seconds}, {"steps", steps}};
}

}  // namespace argus::tasks::agent
