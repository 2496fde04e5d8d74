// Tool calls read back from model output, per family convention: several calls per turn,
// arguments kept as the model wrote them, and near-misses left as text.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "text/chat_template.h"
#include "text/tool_calls.h"

using namespace argus::text;

namespace {

std::string read(const std::string& name) {
  std::ifstream in(std::string(ARGUS_TEST_DATA) + "/chat_templates/" + name, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string builtin_source(const std::string& name) { return ChatTemplate::for_model("", name).source(); }

}  // namespace

TEST(ToolCalls, SyntaxIsReadOffTheTemplate) {
  EXPECT_EQ(tool_call_syntax_of(read("qwen2.5-instruct.jinja")), ToolCallSyntax::Hermes);
  EXPECT_EQ(tool_call_syntax_of(read("hermes-3-tool-use.jinja")), ToolCallSyntax::Hermes);
  EXPECT_EQ(tool_call_syntax_of(builtin_source("llama3.1")), ToolCallSyntax::Llama3);
  EXPECT_EQ(tool_call_syntax_of(builtin_source("mistral-v0.3")), ToolCallSyntax::Mistral);
  // Templates that print no calls.
  for (const char* name : {"llava", "llama3", "mistral", "chatml", "qwen2"})
    EXPECT_EQ(tool_call_syntax_of(builtin_source(name)), ToolCallSyntax::None) << name;
}

TEST(ToolCalls, HermesBlocksSeveralPerTurn) {
  auto r = parse_tool_calls(
      "Let me check.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", \"unit\": \"c\"}}\n"
      "</tool_call>\n<tool_call>\n{\"name\": \"get_time\", \"arguments\": {\"zone\": \"CET\"}}\n</tool_call>",
      ToolCallSyntax::Hermes);
  ASSERT_EQ(r.tool_calls.size(), 2u);
  EXPECT_EQ(r.tool_calls[0].name, "get_weather");
  // Keys in the model's order ("city" before "unit" either way; "zone" alone).
  EXPECT_EQ(r.tool_calls[0].arguments, "{\"city\":\"Paris\",\"unit\":\"c\"}");
  EXPECT_EQ(r.tool_calls[1].name, "get_time");
  EXPECT_EQ(r.tool_calls[1].arguments, "{\"zone\":\"CET\"}");
  EXPECT_EQ(r.content, "Let me check.");
  // Key order is the model's, not sorted.
  auto o = parse_tool_calls("<tool_call>{\"name\": \"f\", \"arguments\": {\"z\": 1, \"a\": 2}}</tool_call>",
                            ToolCallSyntax::Hermes);
  ASSERT_EQ(o.tool_calls.size(), 1u);
  EXPECT_EQ(o.tool_calls[0].arguments, "{\"z\":1,\"a\":2}");
  // The answer may end right after the JSON (eos, length) without the closing tag.
  auto open = parse_tool_calls("<tool_call>\n{\"name\": \"f\", \"arguments\": {}}\n", ToolCallSyntax::Hermes);
  ASSERT_EQ(open.tool_calls.size(), 1u);
  EXPECT_EQ(open.tool_calls[0].arguments, "{}");
}

TEST(ToolCalls, HermesNearMissesStayText) {
  for (const std::string text : {
           "<tool_call>{\"name\": \"f\", \"arguments\": {\"x\": 1}</tool_call>",  // unbalanced
           "<tool_call>{\"arguments\": {}}</tool_call>",                          // no name
           "<tool_call>{\"name\": \"f\", \"arguments\": [1]}</tool_call>",         // arguments not an object
           "<tool_call>not json</tool_call>",
           "I would call {\"name\": \"f\", \"arguments\": {}} here",              // no tags
       }) {
    auto r = parse_tool_calls(text, ToolCallSyntax::Hermes);
    EXPECT_TRUE(r.tool_calls.empty()) << text;
    EXPECT_EQ(r.content, text);
  }
  // One good block and one broken one: the broken one stays in the text.
  auto r = parse_tool_calls("<tool_call>{\"name\": \"f\", \"arguments\": {}}</tool_call> <tool_call>{oops}</tool_call>",
                            ToolCallSyntax::Hermes);
  ASSERT_EQ(r.tool_calls.size(), 1u);
  EXPECT_EQ(r.content, "<tool_call>{oops}</tool_call>");
}

TEST(ToolCalls, Llama3JsonWithOrWithoutPythonTag) {
  auto r = parse_tool_calls("{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\"}}", ToolCallSyntax::Llama3);
  ASSERT_EQ(r.tool_calls.size(), 1u);
  EXPECT_EQ(r.tool_calls[0].name, "get_weather");
  EXPECT_EQ(r.tool_calls[0].arguments, "{\"city\":\"Paris\"}");
  EXPECT_EQ(r.content, "");
  auto tagged = parse_tool_calls("<|python_tag|>{\"name\": \"f\", \"parameters\": {}}; {\"name\": \"g\", \"parameters\": {\"a\": \"x;y\"}}",
                                 ToolCallSyntax::Llama3);
  // The ';' inside "x;y" breaks that split: the whole answer stays text rather than
  // becoming a wrong call.
  EXPECT_TRUE(tagged.tool_calls.empty());
  auto two = parse_tool_calls("<|python_tag|>{\"name\": \"f\", \"parameters\": {}}; {\"name\": \"g\", \"parameters\": {\"a\": 1}}",
                              ToolCallSyntax::Llama3);
  ASSERT_EQ(two.tool_calls.size(), 2u);
  EXPECT_EQ(two.tool_calls[1].name, "g");
  EXPECT_EQ(two.tool_calls[1].arguments, "{\"a\":1}");
  // Prose, or JSON that is not a call, is text.
  for (const std::string text : {"The weather is fine.", "{\"answer\": 42}", "Sure: {\"name\": \"f\", \"parameters\": {}}",
                                 "brave_search.call(query=\"x\")"}) {
    auto t = parse_tool_calls(text, ToolCallSyntax::Llama3);
    EXPECT_TRUE(t.tool_calls.empty()) << text;
    EXPECT_EQ(t.content, text);
  }
}

TEST(ToolCalls, Llama3BuiltInToolsAreAPythonCallAfterThePythonTag) {
  // As Llama 3.1's template prints a past call to a built-in tool.
  auto r = parse_tool_calls("<|python_tag|>brave_search.call(query=\"weather in Paris\")", ToolCallSyntax::Llama3);
  ASSERT_EQ(r.tool_calls.size(), 1u);
  EXPECT_EQ(r.tool_calls[0].name, "brave_search");
  EXPECT_EQ(r.tool_calls[0].arguments, "{\"query\":\"weather in Paris\"}");
  EXPECT_EQ(r.content, "");
  // Python literals become JSON, keywords keep the model's order, a trailing comma is Python.
  auto lit = parse_tool_calls(
      "<|python_tag|> wolfram_alpha.call( query='it\\'s \\\"x\\\"\\n', n=3, x=-2.5e3, exact=True, unit=None, )",
      ToolCallSyntax::Llama3);
  ASSERT_EQ(lit.tool_calls.size(), 1u) << lit.content;
  EXPECT_EQ(lit.tool_calls[0].name, "wolfram_alpha");
  EXPECT_EQ(lit.tool_calls[0].arguments,
            "{\"query\":\"it's \\\"x\\\"\\n\",\"n\":3,\"x\":-2500.0,\"exact\":true,\"unit\":null}");
  auto none = parse_tool_calls("<|python_tag|>code_interpreter.call()", ToolCallSyntax::Llama3);
  ASSERT_EQ(none.tool_calls.size(), 1u);
  EXPECT_EQ(none.tool_calls[0].arguments, "{}");
  // Not the call shape: raw code, positional or repeated arguments, expressions, an
  // unterminated string, text after the call. Each stays text, unchanged.
  for (const std::string& text : std::vector<std::string>{"<|python_tag|>print(1 + 1)", "<|python_tag|>brave_search.call(\"x\")", "<|python_tag|>f.call(a=1, a=2)",
        "<|python_tag|>f.call(a=1 + 2)", "<|python_tag|>f.call(a=\"open)", "<|python_tag|>f.call(a=1) and more",
        "<|python_tag|>f.call(a=0x10)", "<|python_tag|>f.run(a=1)", "<|python_tag|>f.call(a=1",
        "<|python_tag|>f.call(q=\"x\xc7[\")"}) {  // not UTF-8 (found by fuzz_tool_calls)
    auto t = parse_tool_calls(text, ToolCallSyntax::Llama3);
    EXPECT_TRUE(t.tool_calls.empty()) << text;
    EXPECT_EQ(t.content, text);
  }
}

TEST(ToolCalls, MistralToolCallsList) {
  auto r = parse_tool_calls(
      "[TOOL_CALLS] [{\"name\": \"f\", \"arguments\": {\"b\": 2, \"a\": 1}}, {\"name\": \"g\", \"arguments\": {}}]",
      ToolCallSyntax::Mistral);
  ASSERT_EQ(r.tool_calls.size(), 2u);
  EXPECT_EQ(r.tool_calls[0].arguments, "{\"b\":2,\"a\":1}");
  EXPECT_EQ(r.tool_calls[1].name, "g");
  EXPECT_EQ(r.content, "");
  for (const std::string text : {"[TOOL_CALLS] [{\"name\": \"f\", \"arguments\": {}", "[TOOL_CALLS] []",
                                 "[TOOL_CALLS] [{\"name\": \"f\"}, {\"arguments\": {}}]", "no calls here"}) {
    auto t = parse_tool_calls(text, ToolCallSyntax::Mistral);
    EXPECT_TRUE(t.tool_calls.empty()) << text;
    EXPECT_EQ(t.content, text);
  }
}

TEST(ToolCalls, NoSyntaxMeansText) {
  auto r = parse_tool_calls("<tool_call>{\"name\": \"f\", \"arguments\": {}}</tool_call>", ToolCallSyntax::None);
  EXPECT_TRUE(r.tool_calls.empty());
}
