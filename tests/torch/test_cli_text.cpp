// `argus tokenize` and `argus template` end to end: tokenizer.model / tokenizer.json / model
// directory paths against fixtures/tokenizers/expected.json, and chat template rendering.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "cli_runner.h"
#include "../common/temp_dir.h"

using argus::test::run_cli;
namespace fs = std::filesystem;

namespace {

// Torch-free on purpose (no parity.h): these tests only need paths.
std::string fixture(const std::string& rel) { return std::string(ARGUS_SHARED_DIR) + "/fixtures/" + rel; }

const nlohmann::json& expected() {
  static const nlohmann::json j = [] {
    std::ifstream in(fixture("tokenizers/expected.json"));
    return nlohmann::json::parse(in);
  }();
  return j;
}

fs::path write_temp(const std::string& name, const std::string& content) {
  auto p = fs::path(argus::test::process_temp_dir("cli_text")) / name;
  std::ofstream(p) << content;
  return p;
}

}  // namespace

TEST(CliTokenize, SentencePieceModelFileWithoutSpecialsMatchesExpected) {
  // expected.json's spm ids are SentencePiece's own (no BOS), hence --no-special.
  for (const auto& e : expected()["spm"]) {
    const std::string text = e["text"];
    SCOPED_TRACE(text);
    auto r = run_cli({"tokenize", "--model", fixture("tokenizers/spm/tokenizer.model"), "--no-special", "--json", "--", text});
    ASSERT_EQ(r.rc, 0) << r.err;
    EXPECT_EQ(r.json()["ids"], e["ids"]);
    EXPECT_EQ(r.json()["tokens"], e["pieces"]);
  }
}

TEST(CliTokenize, ModelDirectoryAddsBosUnlessNoSpecial) {
  // The llava fixture ships the same SentencePiece model with add_bos_token=true: BOS (<s>, 1)
  // first, then the same ids; --no-special drops it.
  const auto& e = expected()["spm"][1];
  auto r = run_cli({"tokenize", "--model", fixture("llava"), "--json", e["text"].get<std::string>()});
  ASSERT_EQ(r.rc, 0) << r.err;
  auto want = e["ids"];
  want.insert(want.begin(), 1);
  EXPECT_EQ(r.json()["ids"], want);
  EXPECT_EQ(r.json()["tokens"][0], "<s>");
  auto plain = run_cli({"tokenize", "--model", fixture("llava"), "--no-special", "--json", e["text"].get<std::string>()});
  ASSERT_EQ(plain.rc, 0) << plain.err;
  EXPECT_EQ(plain.json()["ids"], e["ids"]);
}

TEST(CliTokenize, TokenizerJsonFileAndDirectoryMatchExpected) {
  // The byte-level BPE adds no special tokens, so the default and --no-special agree.
  for (const auto& e : expected()["bbpe"]) {
    const std::string text = e["text"];
    SCOPED_TRACE(text);
    auto r = run_cli({"tokenize", "--model", fixture("tokenizers/bbpe/tokenizer.json"), "--json", "--", text});
    ASSERT_EQ(r.rc, 0) << r.err;
    EXPECT_EQ(r.json()["ids"], e["ids"]);
    EXPECT_EQ(r.json()["tokens"].size(), e["ids"].size());
  }
  const auto& e = expected()["bbpe"][0];
  auto r = run_cli({"tokenize", "--model", fixture("tokenizers/bbpe"), "--no-special", "--json", e["text"].get<std::string>()});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.json()["ids"], e["ids"]);
}

TEST(CliTokenize, PlainOutputIsIdTabToken) {
  auto r = run_cli({"tokenize", "--model", fixture("tokenizers/spm/tokenizer.model"), "--no-special", "a photo"});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, "264\t\xE2\x96\x81" "a\n296\t\xE2\x96\x81p\n926\th\n808\toto\n");
}

TEST(CliTokenize, MissingModelIsOneClearLine) {
  auto r = run_cli({"tokenize", "--model", "/nonexistent/tokenizer.model", "x"});
  EXPECT_CLEAN_ERROR(r, "/nonexistent");
}

TEST(CliTemplate, RendersTheModelsTemplate) {
  // The llava fixture's template (see test_chat_template.cpp for the derivation).
  auto messages = write_temp("llava_messages.json", R"([
    {"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "What is shown?"}]},
    {"role": "assistant", "content": [{"type": "text", "text": "A cat."}]},
    {"role": "user", "content": [{"type": "text", "text": "Is it cute?"}]}])");
  auto r = run_cli({"template", "--model", fixture("llava"), "--messages", messages.string()});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, "USER: <image>\nWhat is shown? ASSISTANT: A cat. USER: Is it cute? ASSISTANT:");
  auto no_gen = run_cli({"template", "--model", fixture("llava"), "--messages", messages.string(), "--no-generation-prompt"});
  ASSERT_EQ(no_gen.rc, 0) << no_gen.err;
  EXPECT_EQ(no_gen.out, "USER: <image>\nWhat is shown? ASSISTANT: A cat. USER: Is it cute? ");
  auto js = run_cli({"template", "--model", fixture("llava"), "--messages", messages.string(), "--json"});
  ASSERT_EQ(js.rc, 0) << js.err;
  EXPECT_EQ(js.json()["prompt"], r.out);
}

TEST(CliTemplate, BuiltinOverrideAndExtraVariables) {
  // An object file: "messages" plus template variables. chatml needs no model directory.
  auto input = write_temp("chatml_input.json", R"({"messages": [{"role": "user", "content": "Hi"}]})");
  auto r = run_cli({"template", "--chat-template", "chatml", "--messages", input.string()});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
  auto dated = write_temp("llama_input.json",
                          R"({"messages": [{"role": "user", "content": "Hi"}], "date_string": "02 Feb 2031"})");
  auto l = run_cli({"template", "--model", fixture("llava"), "--chat-template", "llama3.1", "--messages", dated.string()});
  ASSERT_EQ(l.rc, 0) << l.err;
  // bos_token comes from the model's tokenizer_config.json (<s>), the date from the file.
  EXPECT_EQ(l.out.rfind("<s><|start_header_id|>system<|end_header_id|>\n\n", 0), 0u) << l.out;
  EXPECT_NE(l.out.find("Today Date: 02 Feb 2031\n\n"), std::string::npos) << l.out;
  auto list = run_cli({"template", "--list"});
  ASSERT_EQ(list.rc, 0) << list.err;
  EXPECT_NE(list.out.find("llama3\n"), std::string::npos) << list.out;
}

TEST(CliTemplate, ErrorsAreOneClearLine) {
  auto messages = write_temp("two_users.json", R"([{"role": "user", "content": "a"}, {"role": "user", "content": "b"}])");
  // The template's own raise_exception message reaches the user.
  auto raised = run_cli({"template", "--chat-template", "mistral", "--messages", messages.string()});
  EXPECT_CLEAN_ERROR(raised, "conversation roles must alternate");
  auto unknown = run_cli({"template", "--chat-template", "nope", "--messages", messages.string()});
  EXPECT_CLEAN_ERROR(unknown, "neither a built-in");
  auto none = run_cli({"template", "--model", fixture("clip"), "--messages", messages.string()});
  EXPECT_CLEAN_ERROR(none, "pass --chat-template");
  auto bad = write_temp("bad.jinja", "{% for m in messages %}{{ m.content | frobnicate }}{% endfor %}");
  auto unsupported = run_cli({"template", "--chat-template", bad.string(), "--messages", messages.string()});
  EXPECT_CLEAN_ERROR(unsupported, "unsupported filter 'frobnicate'");
  auto missing = run_cli({"template", "--chat-template", "chatml", "--messages", "/nonexistent.json"});
  EXPECT_CLEAN_ERROR(missing, "/nonexistent.json");
}
