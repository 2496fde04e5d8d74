// LLaVA-NeXT end to end, as a user runs it: `generate`, `ask`, `chat`, `inspect` and
// the OpenAI chat route on the llava_next fixture. The fixture ships no tokenizer, so
// the chat tests use a copy of it with the llava fixture's (the same 1000-piece
// SentencePiece model, <image> = 1000, which is the llava_next fixture's image token).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "../common/temp_dir.h"
#include "cli_runner.h"
#include "image/decode.h"
#include "io/json_file.h"
#include "llm_helpers.h"
#include "parity.h"
#include "server_fixture.h"
#include "tasks/chat/chat_completion.h"
#include "tasks/chat/generation_settings.h"

using namespace argus;
using argus::test::run_cli;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::string truck() { return test::asset("images/truck.jpg"); }

std::string join_ids(const std::vector<int64_t>& ids) {
  std::string s;
  for (size_t i = 0; i < ids.size(); ++i) s += (i ? "," : "") + std::to_string(ids[i]);
  return s;
}

// The llava_next fixture with the llava fixture's tokenizer (and its llava-1.5 chat
// template); `max_positions` > 0 shrinks the decoder's context.
std::string chat_dir(const std::string& name, int max_positions = 0) {
  fs::path d = test::fresh_temp_dir("llava_next_" + name);
  for (const auto& e : fs::directory_iterator(test::fixture("llava_next")))
    if (e.path().filename() != "io.safetensors") fs::copy_file(e.path(), d / e.path().filename());
  for (const char* f : {"tokenizer.model", "tokenizer_config.json"})
    fs::copy_file(fs::path(test::fixture("llava")) / f, d / f);
  if (max_positions > 0) {
    json cfg = io::read_json((d / "config.json").string());
    cfg["text_config"]["max_position_embeddings"] = max_positions;
    fs::permissions(d / "config.json", fs::perms::owner_write, fs::perm_options::add);
    std::ofstream(d / "config.json", std::ios::trunc) << cfg.dump(1);
  }
  return d.string();
}

// `argus generate` on the prompt that `text` tokenizes to, with the truck image.
std::string generate_text(const std::string& dir, const std::string& text, int max_tokens) {
  auto t = run_cli({"tokenize", "--model", dir, "--json", text});
  EXPECT_EQ(t.rc, 0) << t.err;
  auto g = run_cli({"generate", "--model", dir, "--image", truck(), "--prompt-ids",
                    join_ids(t.json()["ids"].get<std::vector<int64_t>>()), "--max-tokens", std::to_string(max_tokens),
                    "--greedy", "--json"});
  EXPECT_EQ(g.rc, 0) << g.err;
  return g.json()["text"].get<std::string>();
}

}  // namespace

TEST(CliLlavaNext, GenerateFromOneImageTokenGivesTheFixturesPromptAndGreedyIds) {
  auto ref = test::reference("llava_next");
  std::vector<int64_t> ids = test::row_ids(ref["input_ids"], 0), collapsed;
  for (size_t i = 0; i < ids.size(); ++i)
    if (ids[i] != 1000 || i == 0 || ids[i - 1] != 1000) collapsed.push_back(ids[i]);
  auto r = run_cli({"generate", "--model", test::fixture("llava_next"), "--image", truck(), "--prompt-ids",
                    join_ids(collapsed), "--max-tokens", "12", "--greedy", "--json"});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.json()["prompt_ids"].get<std::vector<int64_t>>(), ids);
  EXPECT_EQ(r.json()["ids"].get<std::vector<int64_t>>(), test::row_ids(ref["greedy_ids"], 0));
}

TEST(CliLlavaNext, InspectNamesTheFamily) {
  auto r = run_cli({"inspect", "--model", test::fixture("llava_next"), "--json"});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.json()["family"], "LLaVA-NeXT");
  EXPECT_EQ(r.json()["model_type"], "llava_next");
  EXPECT_EQ(r.json()["architecture"], "LlavaNextForConditionalGeneration");
  EXPECT_EQ(r.json()["config"]["vision_config.image_size"], 336);
}

TEST(CliLlavaNext, AskAndChatAnswerAsGenerateDoesOnTheTemplatedPrompt) {
  const std::string dir = chat_dir("ask");
  const std::string q = "What is in the picture?";
  // The family's built-in template (llava-hf/llava-v1.6-mistral-7b-hf's).
  auto a = run_cli(
      {"ask", "--model", dir, "--chat-template", "llava-next", "--image", truck(), "--max-tokens", "12", q});
  ASSERT_EQ(a.rc, 0) << a.err;
  std::string want = generate_text(dir, "[INST] <image>\n" + q + " [/INST]", 12);
  EXPECT_FALSE(want.empty());
  EXPECT_EQ(a.out, want + "\n");

  // chat, piped, with the checkpoint's own (llava-1.5) template.
  std::string input = "/image " + truck() + "\n" + q + "\n/quit\n";
  auto c = test::run_cli_input({"chat", "--model", dir, "--max-tokens", "8"}, &input);
  ASSERT_EQ(c.rc, 0) << c.err;
  EXPECT_EQ(c.out, generate_text(dir, "USER: <image>\n" + q + " ASSISTANT:", 8) + "\n");
}

TEST(CliLlavaNext, BadInputsAreCleanErrors) {
  const std::string small = chat_dir("small", 2000);
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"ask", "--model", small, "--image", truck(), "hi"}, "takes 2144 image tokens"},
      {{"generate", "--model", test::fixture("llava_next"), "--image", truck(), "--pad-square", "--prompt-ids",
        "1,1000,5"},
       "--pad-square"},
      {{"generate", "--model", test::fixture("llava_next"), "--image", truck(), "--prompt-ids", "1,1000,5,1000"},
       "the prompt has 2 image token(s) (id 1000) but only 1 image(s) were given"},
  };
  for (const auto& [args, needle] : cases) {
    test::CliResult r = run_cli(args);
    EXPECT_CLEAN_ERROR(r, needle);
  }
}

TEST(ServerLlavaNext, ChatCompletionWithAnImageIsTheLibrarysAnswer) {
  server::ServerOptions o;
  o.port = 0;
  const std::string dir = chat_dir("serve"), small = chat_dir("serve_small", 2000);
  o.models = {{"next", dir}, {"next-small", small}};
  o.image_root = test::asset("images");
  o.max_tokens = 64;
  test::TestServer srv(o);
  auto c = srv.client();

  auto models = c.Get("/v1/models");
  ASSERT_TRUE(models);
  for (const auto& m : json::parse(models->body)["data"]) EXPECT_EQ(m["argus"]["role"], "chat") << m.dump();

  const std::string q = "What is in the picture?";
  auto body = [&](const std::string& model) {
    json content = {{{"type", "image_url"}, {"image_url", {{"url", "truck.jpg"}}}}, {{"type", "text"}, {"text", q}}};
    return json{{"model", model},
                {"temperature", 0},
                {"max_tokens", 8},
                {"messages", {{{"role", "user"}, {"content", content}}}}};
  };
  auto r = c.Post("/v1/chat/completions", body("next").dump(), "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  json reply = json::parse(r->body);

  auto model = tasks::ChatModel::open(dir);
  auto tmpl = text::ChatTemplate::for_model(dir);
  json messages = {{{"role", "user"}, {"content", {{{"type", "image"}}, {{"type", "text"}, {"text", q}}}}}};
  tasks::GenerationSettings s;
  s.max_tokens = 8;
  auto expect = tasks::complete_chat(*model, tmpl, messages, {model->encode_image(image::load_image(truck()))},
                                     tasks::generate_options(s, *model), {});
  EXPECT_EQ(reply["choices"][0]["message"]["content"], expect.text);
  EXPECT_EQ(reply["usage"]["prompt_tokens"], expect.prompt_tokens);
  EXPECT_GT(expect.prompt_tokens, 2144);

  // An image whose tiles alone overflow the context: a client error naming why.
  auto bad = c.Post("/v1/chat/completions", body("next-small").dump(), "application/json");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400) << bad->body;
  EXPECT_NE(json::parse(bad->body)["error"]["message"].get<std::string>().find("2144 image tokens"), std::string::npos)
      << bad->body;
}
