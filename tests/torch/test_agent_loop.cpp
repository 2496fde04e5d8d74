// The agent loop's control flow, driven by a scripted chat model: calls run and their
// results come back as tool messages, tool errors and unknown tools are fed back for
// the model to read, the step limit and the deadline end a run, and every call is
// recorded. Then the real driver: a model whose template prints no tools is refused by
// name, and `argus agent` runs end to end on a tool-templated fixture.
#include <gtest/gtest.h>

#include <fstream>

#include "cli_runner.h"
#include "image/image.h"
#include "parity.h"
#include "tasks/agent/agent_loop.h"
#include "tasks/agent/model_driver.h"
#include "tasks/chat/generation_settings.h"
#include "tool_model.h"
#include "util/error.h"

using namespace argus;
using namespace argus::tasks::agent;
using json = nlohmann::json;
using ordered = nlohmann::ordered_json;

namespace {

// Replies from a script (the last one repeats); keeps what it was shown.
class ScriptedLlm : public ChatDriver {
 public:
  explicit ScriptedLlm(std::vector<std::string> replies) : replies_(std::move(replies)) {}
  std::string reply(const ordered& messages, const ordered& tools, const std::function<bool()>&) override {
    seen.push_back(messages);
    tools_seen = tools;
    return replies_[std::min(seen.size() - 1, replies_.size() - 1)];
  }
  text::ToolCallSyntax syntax() const override { return text::ToolCallSyntax::Hermes; }
  std::vector<ordered> seen;
  ordered tools_seen;

 private:
  std::vector<std::string> replies_;
};

std::string call(const std::string& name, const std::string& args) {
  return "<tool_call>\n{\"name\": \"" + name + "\", \"arguments\": " + args + "}\n</tool_call>";
}

struct Rig {
  Experts experts{ExpertPaths{}};  // crop needs no model
  ImageStore images;
  ToolContext ctx{images, experts};
  std::vector<const Tool*> tools = offered_tools(experts, {"crop"});
  std::string id = images.add("image", image::make_image(40, 30));
  AgentRun run(ScriptedLlm& llm, AgentOptions opts = {}) {
    return run_agent(llm, tools, ctx, "What is in the corner?", {id}, opts);
  }
};

}  // namespace

TEST(AgentLoop, AnswersWithoutToolsWhenTheModelDoes) {
  Rig s;
  ScriptedLlm llm({"A circle."});
  auto run = s.run(llm);
  EXPECT_EQ(run.finish, "answer");
  EXPECT_EQ(run.answer, "A circle.");
  EXPECT_TRUE(run.steps.empty());
  EXPECT_EQ(run.turns, 1);
  // The model was told the question, the image's id and size, and shown the tools.
  const auto& user = llm.seen[0][1];
  EXPECT_EQ(user["role"], "user");
  EXPECT_NE(user["content"].get<std::string>().find("image_1 (40x30)"), std::string::npos);
  ASSERT_EQ(llm.tools_seen.size(), 1u);
  EXPECT_EQ(llm.tools_seen[0]["function"]["name"], "crop");
}

TEST(AgentLoop, RunsCallsAndFeedsResultsBack) {
  Rig s;
  ScriptedLlm llm({"Let me look. " + call("crop", R"({"image": "image_1", "box": [0, 0, 10, 10]})"), "Nothing."});
  auto run = s.run(llm);
  EXPECT_EQ(run.finish, "answer");
  EXPECT_EQ(run.answer, "Nothing.");
  ASSERT_EQ(run.steps.size(), 1u);
  const auto& step = run.steps[0];
  EXPECT_EQ(step.turn, 1);
  EXPECT_EQ(step.thought, "Let me look.");
  EXPECT_EQ(step.tool, "crop");
  EXPECT_TRUE(step.ok);
  EXPECT_EQ(step.image_id, "crop_1");
  EXPECT_TRUE(s.images.contains("crop_1"));
  EXPECT_GE(step.seconds, 0);
  // Turn 2 saw the assistant's call and the tool's result, answering it by id.
  const auto& m = llm.seen[1];
  ASSERT_EQ(m.size(), 4u);
  EXPECT_EQ(m[2]["role"], "assistant");
  EXPECT_EQ(m[2]["tool_calls"][0]["function"]["name"], "crop");
  EXPECT_EQ(m[2]["tool_calls"][0]["function"]["arguments"]["image"], "image_1");
  EXPECT_EQ(m[3]["role"], "tool");
  EXPECT_EQ(m[3]["tool_call_id"], m[2]["tool_calls"][0]["id"]);
  EXPECT_EQ(m[3]["content"], step.result);
  EXPECT_NE(step.result.find("crop_1: 10x10"), std::string::npos) << step.result;
}

TEST(AgentLoop, FeedsToolErrorsBackForTheModelToRead) {
  Rig s;
  ScriptedLlm llm({call("crop", R"({"image": "image_5", "box": [0, 0, 10, 10]})") +
                       call("zoom", R"({"image": "image_1"})") + call("crop", R"({"image": "image_1"})"),
                   "I could not tell."});
  auto run = s.run(llm);
  EXPECT_EQ(run.finish, "answer");
  ASSERT_EQ(run.steps.size(), 3u);  // one turn, three calls
  for (const auto& st : run.steps) EXPECT_FALSE(st.ok) << st.result;
  EXPECT_NE(run.steps[0].result.find("there is no image \"image_5\""), std::string::npos) << run.steps[0].result;
  EXPECT_NE(run.steps[1].result.find("there is no tool \"zoom\""), std::string::npos) << run.steps[1].result;
  EXPECT_EQ(run.steps[2].result, "crop: box: is required");
  const auto& m = llm.seen[1];
  ASSERT_EQ(m.size(), 6u);
  for (size_t k = 3; k < 6; ++k) EXPECT_EQ(m[k]["content"].get<std::string>().rfind("error: ", 0), 0u) << m[k];
}

TEST(AgentLoop, StopsAtTheStepLimit) {
  Rig s;
  ScriptedLlm llm({call("crop", R"({"image": "image_1", "box": [0, 0, 4, 4]})")});  // never answers
  AgentOptions o;
  o.max_steps = 3;
  auto run = s.run(llm, o);
  EXPECT_EQ(run.finish, "max_steps");
  EXPECT_EQ(run.turns, 3);
  EXPECT_EQ(run.steps.size(), 3u);
  EXPECT_TRUE(run.answer.empty());
  o.max_steps = 0;
  EXPECT_THROW(s.run(llm, o), Error);
  o.max_steps = kMaxAgentSteps + 1;
  EXPECT_THROW(s.run(llm, o), Error);
}

TEST(AgentLoop, StopsAtTheDeadline) {
  Rig s;
  ScriptedLlm llm({"never asked"});
  AgentOptions o;
  o.deadline_s = 1e-9;  // passed before the first turn
  auto run = s.run(llm, o);
  EXPECT_EQ(run.finish, "deadline");
  EXPECT_TRUE(llm.seen.empty());
}

TEST(AgentLoop, RecordsArgumentsThatAreNotJson) {
  Rig s;
  // Hermes calls whose arguments do not parse stay text (text/tool_calls.h), so the
  // turn is the answer: the model is never credited with a call it did not make.
  ScriptedLlm llm({"<tool_call>\n{\"name\": \"crop\", \"arguments\": {oops}\n</tool_call>"});
  auto run = s.run(llm);
  EXPECT_EQ(run.finish, "answer");
  EXPECT_TRUE(run.steps.empty());
}

TEST(AgentLoop, TraceHasEveryStep) {
  Rig s;
  ScriptedLlm llm({call("crop", R"({"image": "image_1", "box": [0, 0, 10, 10]})"), "Done."});
  auto run = s.run(llm);
  json t = to_json(run, "q");
  EXPECT_EQ(t["answer"], "Done.");
  EXPECT_EQ(t["finish"], "answer");
  ASSERT_EQ(t["steps"].size(), 1u);
  EXPECT_EQ(t["steps"][0]["tool"], "crop");
  EXPECT_EQ(t["steps"][0]["image"], "crop_1");
  EXPECT_EQ(t["steps"][0]["arguments"]["box"], json({0, 0, 10, 10}));
}

TEST(AgentDriver, RefusesAModelWhoseTemplatePrintsNoTools) {
  auto model = tasks::ChatModel::open(test::fixture("llava"));
  auto tmpl = text::ChatTemplate::for_model(test::fixture("llava"));
  try {
    ModelDriver d(*model, tmpl, {}, "llava-fixture");
    FAIL() << "a template without tools was accepted";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("llava-fixture"), std::string::npos) << m;
    EXPECT_NE(m.find("cannot call tools"), std::string::npos) << m;
  }
}

TEST(AgentDriver, RealModelRendersToolsAndRuns) {
  auto model = tasks::ChatModel::open(test::tool_model_dir());
  tasks::GenerationSettings g;
  g.max_tokens = 6;
  ModelDriver d(*model, text::ChatTemplate::for_model(test::tool_model_dir()), tasks::generate_options(g, *model), "t");
  EXPECT_EQ(d.syntax(), text::ToolCallSyntax::Hermes);
  Rig s;
  AgentOptions o;
  o.max_steps = 2;
  auto run = run_agent(d, s.tools, s.ctx, "What is there?", {s.id}, o);
  // The fixture's weights are random: whatever it says ends the run one way or the other.
  EXPECT_TRUE(run.finish == "answer" || run.finish == "max_steps") << run.finish;
  EXPECT_GE(run.turns, 1);
}

TEST(AgentCli, RunsAndWritesItsTrace) {
  const std::string dir = test::fresh_temp_dir("agent_cli");
  const std::string trace = dir + "/trace.json";
  auto r = test::run_cli({"agent", "--model", test::tool_model_dir(), "--image", test::asset("images/dog.jpg"),
                          "--tools", "crop", "--max-steps", "2", "--max-tokens", "6", "--trace", trace,
                          "--out", dir + "/made", "What is in the picture?"});
  ASSERT_EQ(r.rc, 0) << r.err;
  auto t = json::parse(std::ifstream(trace));
  EXPECT_EQ(t["question"], "What is in the picture?");
  EXPECT_TRUE(t["finish"] == "answer" || t["finish"] == "max_steps") << t;
  EXPECT_NE(r.out.find(t["finish"] == "answer" ? "answer:" : "no answer"), std::string::npos) << r.out;
}

TEST(AgentCli, RefusesBadRequestsByName) {
  auto no_tools = test::run_cli({"agent", "--model", test::fixture("llava"), "--image",
                                 test::asset("images/dog.jpg"), "What?"});
  EXPECT_NE(no_tools.rc, 0);
  EXPECT_NE(no_tools.err.find("cannot call tools"), std::string::npos) << no_tools.err;
  auto steps = test::run_cli({"agent", "--model", test::tool_model_dir(), "--max-steps", "0", "What?"});
  EXPECT_NE(steps.rc, 0);
  EXPECT_NE(steps.err.find("--max-steps"), std::string::npos) << steps.err;
  auto tool = test::run_cli({"agent", "--model", test::tool_model_dir(), "--tools", "teleport", "What?"});
  EXPECT_NE(tool.rc, 0);
  EXPECT_NE(tool.err.find("no tool \"teleport\""), std::string::npos) << tool.err;
}
