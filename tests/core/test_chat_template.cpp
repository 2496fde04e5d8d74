// Each family's real chat template rendered for the same conversation. The expected prompts
// are written out by hand from the template text (see the comment on each); they are what
// transformers' apply_chat_template(..., tokenize=False) gives for these messages.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>

#include <nlohmann/json.hpp>

#include "../common/error_of.h"
#include "text/chat_template.h"
#include "util/error.h"
#include "../common/temp_dir.h"

using argus::text::ChatTemplate;
using nlohmann::json;
using argus::test::error_of;
namespace fs = std::filesystem;

namespace {

const std::string kShared = ARGUS_SHARED_DIR;

// system + user + assistant + user, plain string contents (the text-only LLM templates).
json text_chat() {
  return json::array({{{"role", "system"}, {"content", "You are helpful."}},
                      {{"role", "user"}, {"content", " Hello "}},
                      {{"role", "assistant"}, {"content", "Hi there"}},
                      {{"role", "user"}, {"content", "How are you?"}}});
}

// The same turns in the multimodal content-list form; the first user turn has an image
// listed after its text.
json vision_chat() {
  auto text = [](const char* t) { return json::array({{{"type", "text"}, {"text", t}}}); };
  return json::array(
      {{{"role", "system"}, {"content", text("Be brief.")}},
       {{"role", "user"}, {"content", json::array({{{"type", "text"}, {"text", "What is shown?"}}, {{"type", "image"}}})}},
       {{"role", "assistant"}, {"content", text("A cat.")}},
       {{"role", "user"}, {"content", text("Is it cute?")}}});
}

ChatTemplate builtin(const std::string& name) { return ChatTemplate::for_model("", name); }

ChatTemplate builtin_with_tokens(const std::string& name, const std::string& bos, const std::string& eos) {
  for (const auto& t : ChatTemplate::builtin_names())
    if (t == name) return ChatTemplate::from_source(ChatTemplate::for_model("", name).source(), bos, eos);
  ADD_FAILURE() << "no built-in " << name;
  return ChatTemplate::from_source("");
}

fs::path temp_dir(const std::string& name) {
  return argus::test::fresh_temp_dir("chat_template_" + name);
}

void write(const fs::path& p, const std::string& s) { std::ofstream(p) << s; }

}  // namespace

TEST(ChatTemplate, Llama3) {
  // Each turn: header, "\n\n", content|trim (only the content is trimmed: the filter binds
  // tighter than +), <|eot_id|>; bos_token before the first turn only.
  auto t = builtin_with_tokens("llama3", "<|begin_of_text|>", "<|end_of_text|>");
  const std::string turns =
      "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are helpful.<|eot_id|>"
      "<|start_header_id|>user<|end_header_id|>\n\nHello<|eot_id|>"
      "<|start_header_id|>assistant<|end_header_id|>\n\nHi there<|eot_id|>"
      "<|start_header_id|>user<|end_header_id|>\n\nHow are you?<|eot_id|>";
  EXPECT_EQ(t.render(text_chat(), false), turns);
  EXPECT_EQ(t.render(text_chat(), true), turns + "<|start_header_id|>assistant<|end_header_id|>\n\n");
}

TEST(ChatTemplate, Llama31) {
  // The system message is pulled out and placed after the knowledge-cutoff/date lines; tools
  // is None (transformers passes tools=None), so no "Environment: ipython" line. Every tag
  // has `-`, so the template's own newlines and indentation never reach the prompt.
  auto t = builtin_with_tokens("llama3.1", "<|begin_of_text|>", "<|eot_id|>");
  const std::string turns =
      "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
      "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n"
      "You are helpful.<|eot_id|>"
      "<|start_header_id|>user<|end_header_id|>\n\nHello<|eot_id|>"
      "<|start_header_id|>assistant<|end_header_id|>\n\nHi there<|eot_id|>"
      "<|start_header_id|>user<|end_header_id|>\n\nHow are you?<|eot_id|>";
  EXPECT_EQ(t.render(text_chat(), false), turns);
  EXPECT_EQ(t.render(text_chat(), true), turns + "<|start_header_id|>assistant<|end_header_id|>\n\n");
  // date_string is a template variable a caller may set.
  std::string dated = t.render(text_chat(), false, {{"date_string", "01 Jan 2030"}});
  EXPECT_NE(dated.find("Today Date: 01 Jan 2030\n\n"), std::string::npos) << dated;
}

TEST(ChatTemplate, Llama31WithToolsPutsThemInTheFirstUserMessage) {
  // tools_in_user_message defaults to true: "Environment: ipython" in the system turn, the
  // tool list as json.dumps(indent=4) at the start of the first user turn.
  auto t = builtin_with_tokens("llama3.1", "<s>", "</s>");
  json tools = json::array({{{"name", "f"}}});
  json chat = json::array({{{"role", "user"}, {"content", "Hi"}}});
  const std::string expected =
      "<s><|start_header_id|>system<|end_header_id|>\n\nEnvironment: ipython\n"
      "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n<|eot_id|>"
      "<|start_header_id|>user<|end_header_id|>\n\n"
      "Given the following functions, please respond with a JSON for a function call "
      "with its proper arguments that best answers the given prompt.\n\n"
      "Respond in the format {\"name\": function name, \"parameters\": dictionary of argument name and its value}."
      "Do not use variables.\n\n"
      "{\n    \"name\": \"f\"\n}\n\nHi<|eot_id|>";
  EXPECT_EQ(t.render(chat, false, {{"tools", tools}}), expected);
}

TEST(ChatTemplate, Mistral) {
  // The system message is folded into the first [INST] with "\n\n"; an assistant turn is
  // " " + content + eos; there is no generation prompt, so both renders are equal.
  auto t = builtin_with_tokens("mistral", "<s>", "</s>");
  json chat = text_chat();
  chat[1]["content"] = "Hello";
  const std::string expected = "<s> [INST] You are helpful.\n\nHello [/INST] Hi there</s> [INST] How are you? [/INST]";
  EXPECT_EQ(t.render(chat, false), expected);
  EXPECT_EQ(t.render(chat, true), expected);
}

TEST(ChatTemplate, MistralRejectsNonAlternatingRolesWithTheTemplatesMessage) {
  auto t = builtin_with_tokens("mistral", "<s>", "</s>");
  json chat = json::array({{{"role", "user"}, {"content", "a"}}, {{"role", "user"}, {"content", "b"}}});
  std::string msg = error_of([&] { t.render(chat, true); });
  EXPECT_NE(msg.find("conversation roles must alternate user/assistant/user/assistant/..."), std::string::npos) << msg;
}

TEST(ChatTemplate, MistralV03) {
  // v0.3: "[INST] " with no leading space and no space before "[/INST]"; the system
  // message joins the first user turn with "\n\n"; assistant " " + content|trim + eos.
  auto t = builtin_with_tokens("mistral-v0.3", "<s>", "</s>");
  json chat = text_chat();
  chat[1]["content"] = "Hello";
  EXPECT_EQ(t.render(chat, true), "<s>[INST] You are helpful.\n\nHello[/INST] Hi there</s>[INST] How are you?[/INST]");
}

TEST(ChatTemplate, MistralV03ToolsAndToolCalls) {
  // Tools go before the last user turn, each as {"type": "function", "function": {...}} with
  // its keys in dict order. (A plain nlohmann::json, as here, holds its keys sorted; ordered
  // input keeps the caller's order: test_chat_template_tools.cpp.)
  auto t = builtin_with_tokens("mistral-v0.3", "<s>", "</s>");
  json tools = json::array({{{"type", "function"},
                             {"function", {{"description", "Get it"}, {"name", "get_weather"}, {"parameters", {{"type", "object"}}}}}}});
  json chat = json::array({{{"role", "user"}, {"content", "Hi"}}});
  EXPECT_EQ(t.render(chat, true, {{"tools", tools}}),
            "<s>[AVAILABLE_TOOLS] [{\"type\": \"function\", \"function\": {\"description\": \"Get it\", "
            "\"name\": \"get_weather\", \"parameters\": {\"type\": \"object\"}}}][/AVAILABLE_TOOLS][INST] Hi[/INST]");
  // A tool call is the function's JSON minus its closing brace, then the id; tool results
  // skip the role alternation check.
  json calls = json::array(
      {{{"role", "user"}, {"content", "Weather?"}},
       {{"role", "assistant"}, {"tool_calls", json::array({{{"id", "abcdefghi"}, {"function", {{"name", "f"}, {"arguments", {{"x", 1}}}}}}})}},
       {{"role", "tool"}, {"tool_call_id", "abcdefghi"}, {"content", "22"}}});
  EXPECT_EQ(t.render(calls, true),
            "<s>[INST] Weather?[/INST][TOOL_CALLS] [{\"arguments\": {\"x\": 1}, \"name\": \"f\", \"id\": \"abcdefghi\"}]</s>"
            "[TOOL_RESULTS] {\"content\": 22, \"call_id\": \"abcdefghi\"}[/TOOL_RESULTS]");
  calls[1]["tool_calls"][0]["id"] = "short";
  std::string msg = error_of([&] { t.render(calls, true); });
  EXPECT_NE(msg.find("Tool call IDs should be alphanumeric strings with length 9!"), std::string::npos) << msg;
}

TEST(ChatTemplate, ChatMLAndQwen2) {
  // <|im_start|>role\ncontent<|im_end|>\n per message; the generation prompt opens an
  // assistant turn. Qwen2 adds its default system turn only when the chat has none.
  json chat = text_chat();
  chat[1]["content"] = "Hello";
  const std::string turns =
      "<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>user\nHello<|im_end|>\n"
      "<|im_start|>assistant\nHi there<|im_end|>\n<|im_start|>user\nHow are you?<|im_end|>\n";
  EXPECT_EQ(builtin("chatml").render(chat, false), turns);
  EXPECT_EQ(builtin("chatml").render(chat, true), turns + "<|im_start|>assistant\n");
  EXPECT_EQ(builtin("qwen2").render(chat, true), turns + "<|im_start|>assistant\n");
  json no_system(chat.begin() + 1, chat.end());
  EXPECT_EQ(builtin("qwen2").render(no_system, false),
            "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n" + turns.substr(turns.find("<|im_start|>user")));
}

TEST(ChatTemplate, LlavaFromTheFixtureCheckpoint) {
  // The llava fixture's tokenizer_config.json template: "ROLE: " except for system, then the
  // message's images as "<image>\n" (before its text, whatever the order in the list), then
  // each text + " "; the generation prompt is "ASSISTANT:".
  auto t = ChatTemplate::for_model(kShared + "/fixtures/llava");
  const std::string turns = "Be brief. USER: <image>\nWhat is shown? ASSISTANT: A cat. USER: Is it cute? ";
  EXPECT_EQ(t.render(vision_chat(), false), turns);
  EXPECT_EQ(t.render(vision_chat(), true), turns + "ASSISTANT:");
  // Text-only turns in list form.
  json text_only = json::array({{{"role", "user"}, {"content", json::array({{{"type", "text"}, {"text", "Hi"}}})}}});
  EXPECT_EQ(t.render(text_only, true), "USER: Hi ASSISTANT:");
  // The built-in "llava" is the same template.
  EXPECT_EQ(builtin("llava").render(vision_chat(), true), turns + "ASSISTANT:");
  // A plain-string content has no {"type": ...} items, so this template prints none of it:
  // transformers does the same. Callers must pass content lists to LLaVA templates.
  json plain = json::array({{{"role", "user"}, {"content", "Hi"}}});
  EXPECT_EQ(t.render(plain, true), "USER: ASSISTANT:");
}

TEST(ChatTemplate, LlavaNext) {
  // [INST] images then texts [/INST]; assistant turns " " + text + "</s> "; system in <<SYS>>.
  auto t = builtin("llava-next");
  const std::string expected =
      "<<SYS>>\nBe brief.\n<</SYS>>\n\n[INST] <image>\nWhat is shown? [/INST] A cat.</s> [INST] Is it cute? [/INST]";
  EXPECT_EQ(t.render(vision_chat(), false), expected);
  EXPECT_EQ(t.render(vision_chat(), true), expected);
}

TEST(ChatTemplate, Blip2AsksQuestionAnswerTurnsAndRefusesASystemPrompt) {
  auto t = builtin("blip2");
  json chat = vision_chat();
  chat.erase(0);
  // The image is not the template's: BLIP-2 puts its query slots before the prompt.
  EXPECT_EQ(t.render(chat, true), "Question: What is shown? Answer: A cat. Question: Is it cute? Answer:");
  json plain = json::array({{{"role", "user"}, {"content", "Where is this?"}}});
  EXPECT_EQ(t.render(plain, true), "Question: Where is this? Answer:");
  try {
    t.render(vision_chat(), true);
    ADD_FAILURE() << "a system prompt was rendered";
  } catch (const argus::Error& e) {
    EXPECT_NE(std::string(e.what()).find("user and assistant turns only"), std::string::npos) << e.what();
  }
}

TEST(ChatTemplate, ModelTemplateLookupOrder) {
  auto dir = temp_dir("lookup");
  write(dir / "tokenizer_config.json",
        R"({"bos_token": "<B>", "eos_token": {"content": "<E>"}, "chat_template": "cfg {{ bos_token }}{{ eos_token }}"})");
  json chat = json::array({{{"role", "user"}, {"content", "x"}}});
  EXPECT_EQ(ChatTemplate::for_model(dir.string()).render(chat, false), "cfg <B><E>");
  // A tokenizer file path means its directory.
  write(dir / "tokenizer.json", "{}");
  EXPECT_EQ(ChatTemplate::for_model((dir / "tokenizer.json").string()).render(chat, false), "cfg <B><E>");
  // chat_template.jinja wins over tokenizer_config.json.
  write(dir / "chat_template.jinja", "jinja {{ messages[0].content }}\n");
  EXPECT_EQ(ChatTemplate::for_model(dir.string()).render(chat, false), "jinja x");
  // An override: a built-in name (with the model's bos/eos) or a file.
  EXPECT_EQ(ChatTemplate::for_model(dir.string(), "mistral").render(chat, false), "<B> [INST] x [/INST]");
  write(dir / "mine.jinja", "mine");
  EXPECT_EQ(ChatTemplate::for_model(dir.string(), (dir / "mine.jinja").string()).render(chat, false), "mine");
}

TEST(ChatTemplate, NamedTemplateListUsesDefault) {
  auto dir = temp_dir("named");
  write(dir / "tokenizer_config.json",
        R"({"chat_template": [{"name": "tool_use", "template": "T"}, {"name": "default", "template": "D"}]})");
  EXPECT_EQ(ChatTemplate::for_model(dir.string()).render(json::array(), false), "D");
  write(dir / "tokenizer_config.json", R"({"chat_template": [{"name": "tool_use", "template": "T"}]})");
  std::string msg = error_of([&] { ChatTemplate::for_model(dir.string()); });
  EXPECT_NE(msg.find("no \"default\" entry (it has: tool_use)"), std::string::npos) << msg;
}

TEST(ChatTemplate, ErrorsSayWhatToDo) {
  auto dir = temp_dir("none");
  write(dir / "tokenizer_config.json", R"({"bos_token": "<s>"})");
  std::string msg = error_of([&] { ChatTemplate::for_model(dir.string()); });
  EXPECT_NE(msg.find("pass --chat-template"), std::string::npos) << msg;
  msg = error_of([] { ChatTemplate::for_model("/nonexistent/model"); });
  EXPECT_NE(msg.find("/nonexistent/model: no such model directory"), std::string::npos) << msg;
  msg = error_of([&] { ChatTemplate::for_model(dir.string(), "no-such-template"); });
  EXPECT_NE(msg.find("neither a built-in (llava, "), std::string::npos) << msg;
  msg = error_of([] { ChatTemplate::from_source("{% for m in messages %}"); });
  EXPECT_NE(msg.find("line 1"), std::string::npos) << msg;
  msg = error_of([] { ChatTemplate::from_source("x").render(json::object(), true); });
  EXPECT_NE(msg.find("must be a JSON list"), std::string::npos) << msg;
  msg = error_of([] { ChatTemplate::from_source("x").render(json::array(), true, {{"messages", 1}}); });
  EXPECT_NE(msg.find("set by render() itself"), std::string::npos) << msg;
}

TEST(ChatTemplate, BuiltinsAllParseAndRender) {
  auto names = ChatTemplate::builtin_names();
  EXPECT_GE(names.size(), 8u);
  for (const auto& n : names) {
    SCOPED_TRACE(n);
    // Content lists for the vision templates, strings for the rest.
    bool vision = n.rfind("llava", 0) == 0;
    json chat = vision ? vision_chat() : text_chat();
    if (!vision) chat[1]["content"] = "Hello";
    // BLIP-2 was trained without a system prompt; its template refuses one (tested below).
    if (n == "blip2") chat.erase(0);
    // Hermes' tool_use template iterates `tools` unconditionally (Jinja fails on None, as
    // transformers does): it is only ever rendered with tools.
    json vars = n == "hermes3-tools" ? json{{"tools", json::array()}} : json::object();
    EXPECT_FALSE(builtin(n).render(chat, true, vars).empty());
  }
}
