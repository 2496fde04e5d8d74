// The agent (MM-REACT): an LLM that answers a question about images by calling the
// vision tools. Each turn the model sees the conversation and the tools; the calls it
// makes are run and their results appended as tool messages; the loop ends at a turn
// without calls (its text is the answer), at the step limit or at the deadline. Every
// call is recorded: the model's text before it, the call, the result, the seconds.
#pragma once
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tasks/agent/tool_table.h"
#include "text/tool_calls.h"

namespace argus::tasks::agent {

// What the loop needs of a chat model, so the control flow can be tested with a
// scripted stand-in (model_driver.h is the real one).
class ChatDriver {
 public:
  virtual ~ChatDriver() = default;
  // The assistant's next turn, raw (calls in the template's syntax). `interrupted` is
  // polled while generating; when it returns true the text so far is returned.
  virtual std::string reply(const nlohmann::ordered_json& messages, const nlohmann::ordered_json& tools,
                            const std::function<bool()>& interrupted) = 0;
  virtual text::ToolCallSyntax syntax() const = 0;
};

struct AgentStep {
  int turn = 0;              // the model turn (1-based) that made the call
  std::string thought;       // the turn's text besides its calls
  std::string tool;
  nlohmann::json arguments;  // as the model wrote them (null when they were not JSON)
  bool ok = false;
  std::string result;        // the text the model was given back (the error, when !ok)
  nlohmann::json data;       // the tool's structured result (ok only)
  std::string image_id;      // the image the tool made, if any
  double seconds = 0;        // running the tool
};

struct AgentRun {
  std::vector<AgentStep> steps;
  std::string answer;          // the final turn's text ("" unless finish == "answer")
  std::string finish;          // "answer", "max_steps" or "deadline"
  int turns = 0;
  double seconds = 0;
};

struct AgentOptions {
  int max_steps = 8;      // model turns; a run whose last turn still calls tools ends "max_steps"
  double deadline_s = 0;  // wall-clock limit of the whole run; 0: none
};

constexpr int kMaxAgentSteps = 64;

// 1 <= max_steps <= kMaxAgentSteps, deadline >= 0 (errors name the CLI flags).
void check_agent_options(const AgentOptions& opts);

// The system prompt: what the images are called and how to work with the tools.
std::string agent_system_prompt();

// `image_ids` are the images the question is about (already in ctx.images).
// `on_step` is told of each call as soon as it has run; `on_turn_text` of each turn's
// text (the final answer included). Bad options are an argus::Error.
AgentRun run_agent(ChatDriver& llm, const std::vector<const Tool*>& tools, ToolContext& ctx,
                   const std::string& question, const std::vector<std::string>& image_ids, const AgentOptions& opts,
                   const std::function<void(const AgentStep&)>& on_step = {});

// The trace --trace writes: {"question","answer","finish","turns","seconds","steps":[...]}.
nlohmann::json to_json(const AgentRun& run, const std::string& question);

}  // namespace argus::tasks::agent
