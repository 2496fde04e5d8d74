// The real tool-calling chat templates (Qwen2.5, Hermes 3, Llama 3.1, Mistral v0.3) rendered
// for one conversation with a tool, a call and its result, against the prompts written out
// by hand from each template's logic (tests/data/chat_templates/README.md says how).
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "text/chat_template.h"

using argus::text::ChatTemplate;
using ordered = nlohmann::ordered_json;

namespace {

const std::string kData = std::string(ARGUS_TEST_DATA) + "/chat_templates/";

std::string read(const std::string& name) {
  std::ifstream in(kData + name, std::ios::binary);
  EXPECT_TRUE(in) << "missing test data " << name;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Parsed in order: Python keeps dict keys as written, and the prompts print them.
ordered conversation() { return ordered::parse(read("weather_conversation.json")); }

std::string render(const ChatTemplate& t) {
  auto c = conversation();
  return t.render(c["messages"], true, ordered{{"tools", c["tools"]}});
}

ChatTemplate from_file(const std::string& name, const std::string& bos = "", const std::string& eos = "") {
  return ChatTemplate::from_source(read(name), bos, eos);
}

ChatTemplate builtin(const std::string& name, const std::string& bos, const std::string& eos) {
  return ChatTemplate::from_source(ChatTemplate::for_model("", name).source(), bos, eos);
}

}  // namespace

TEST(ChatTemplateTools, Qwen25) {
  EXPECT_EQ(render(from_file("qwen2.5-instruct.jinja", "", "<|im_end|>")), read("qwen2.5-instruct.expected.txt"));
}

TEST(ChatTemplateTools, Hermes3ToolUse) {
  EXPECT_EQ(render(from_file("hermes-3-tool-use.jinja", "<|begin_of_text|>", "<|im_end|>")),
            read("hermes-3-tool-use.expected.txt"));
}

TEST(ChatTemplateTools, Llama31BuiltinIsTheRealTemplate) {
  EXPECT_EQ(render(builtin("llama3.1", "<|begin_of_text|>", "<|eot_id|>")), read("llama3.1.expected.txt"));
}

TEST(ChatTemplateTools, MistralV03BuiltinIsTheRealTemplate) {
  EXPECT_EQ(render(builtin("mistral-v0.3", "<s>", "</s>")), read("mistral-v0.3.expected.txt"));
}

TEST(ChatTemplateTools, BuiltinToolTemplatesAreTheStoredOnes) {
  EXPECT_EQ(ChatTemplate::for_model("", "qwen2.5").source(), read("qwen2.5-instruct.jinja"));
  EXPECT_EQ(ChatTemplate::for_model("", "hermes3-tools").source(), read("hermes-3-tool-use.jinja"));
}

TEST(ChatTemplateTools, SchemaKeysKeepTheCallersOrder) {
  // "type" before "properties", "location" before "unit": sorted keys would swap the first.
  std::string prompt = render(from_file("qwen2.5-instruct.jinja"));
  EXPECT_NE(prompt.find("{\"type\": \"object\", \"properties\": {\"location\""), std::string::npos) << prompt;
}
