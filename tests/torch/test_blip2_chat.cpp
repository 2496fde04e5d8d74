// BLIP-2 end to end, as a user runs it: `generate`, `ask`, `chat`, `inspect` and the
// OpenAI chat route on the blip2 fixture. The fixture ships no tokenizer, so the
// chat tests use a copy of it with the llava fixture's (a 1000-piece SentencePiece
// model with <image> = 1000: the blip2 fixture's vocabulary and image token).
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

std::string waterview() { return test::asset("images/waterview.jpg"); }

std::string join_ids(const std::vector<int64_t>& ids) {
  std::string s;
  for (size_t i = 0; i < ids.size(); ++i) s += (i ? "," : "") + std::to_string(ids[i]);
  return s;
}

// The blip2 fixture with the llava fixture's tokenizer (and its llava-1.5 chat template).
std::string chat_dir(const std::string& name, const std::function<void(json&)>& edit = {}) {
  fs::path d = test::fresh_temp_dir("blip2_" + name);
  for (const auto& e : fs::directory_iterator(test::fixture("blip2")))
    if (e.path().filename() != "io.safetensors") fs::copy_file(e.path(), d / e.path().filename());
  for (const char* f : {"tokenizer.model", "tokenizer_config.json"})
    fs::copy_file(fs::path(test::fixture("llava")) / f, d / f);
  if (edit) {
    json cfg = io::read_json((d / "config.json").string());
    edit(cfg);
    fs::permissions(d / "config.json", fs::perms::owner_write, fs::perm_options::add);
    std::ofstream(d / "config.json", std::ios::trunc) << cfg.dump(1);
  }
  return d.string();
}

// `argus generate` on the prompt that `text` tokenizes to, with the image.
std::string generate_text(const std::string& dir, const std::string& text, int max_tokens) {
  auto t = run_cli({"tokenize", "--model", dir, "--json", text});
  EXPECT_EQ(t.rc, 0) << t.err;
  auto g = run_cli({"generate", "--model", dir, "--image", waterview(), "--prompt-ids",
                    join_ids(t.json()["ids"].get<std::vector<int64_t>>()), "--max-tokens", std::to_string(max_tokens),
                    "--greedy", "--json"});
  EXPECT_EQ(g.rc, 0) << g.err;
  return g.json()["text"].get<std::string>();
}

}  // namespace

TEST(CliBlip2, GenerateFromTheTextIdsPutsTheQueriesFirstAndGivesTheGreedyIds) {
  // The fixture's prompt is 8 query slots, then BOS and the text; given the text alone
  // (or with one image token anywhere), argus puts the slots first as BLIP-2's processor
  // does. argus' own pixels of waterview.jpg are within a step of the reference's, and
  // the greedy ids still agree.
  auto ref = test::reference("blip2");
  std::vector<int64_t> ids = test::row_ids(ref["input_ids"], 0);
  std::vector<int64_t> text(ids.begin() + 8, ids.end()), one = text;
  one.insert(one.begin() + 1, 1000);
  for (const auto& prompt : {text, one, ids}) {
    auto r = run_cli({"generate", "--model", test::fixture("blip2"), "--image", waterview(), "--prompt-ids",
                      join_ids(prompt), "--max-tokens", "12", "--greedy", "--json"});
    ASSERT_EQ(r.rc, 0) << r.err;
    EXPECT_EQ(r.json()["prompt_ids"].get<std::vector<int64_t>>(), ids);
    EXPECT_EQ(r.json()["ids"].get<std::vector<int64_t>>(), test::row_ids(ref["greedy_ids"], 0));
  }
}

TEST(CliBlip2, InspectNamesTheFamily) {
  auto r = run_cli({"inspect", "--model", test::fixture("blip2"), "--json"});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.json()["family"], "BLIP-2");
  EXPECT_EQ(r.json()["model_type"], "blip-2");
  EXPECT_EQ(r.json()["architecture"], "Blip2ForConditionalGeneration");
}

TEST(CliBlip2, AskAndChatAnswerAsGenerateDoesOnTheTemplatedPrompt) {
  const std::string dir = chat_dir("ask");
  const std::string q = "Where is this?";
  auto a = run_cli({"ask", "--model", dir, "--chat-template", "blip2", "--image", waterview(), "--max-tokens", "12", q});
  ASSERT_EQ(a.rc, 0) << a.err;
  std::string want = generate_text(dir, "Question: " + q + " Answer:", 12);
  EXPECT_FALSE(want.empty());
  EXPECT_EQ(a.out, want + "\n");

  // chat, piped, with the checkpoint's own (llava-1.5) template: its <image> moves first.
  std::string input = "/image " + waterview() + "\n" + q + "\n/quit\n";
  auto c = test::run_cli_input({"chat", "--model", dir, "--max-tokens", "8"}, &input);
  ASSERT_EQ(c.rc, 0) << c.err;
  EXPECT_EQ(c.out, generate_text(dir, "USER: <image>\n" + q + " ASSISTANT:", 8) + "\n");
}

TEST(CliBlip2, BadInputsAreCleanErrors) {
  const std::string dir = chat_dir("bad");
  const std::string old = chat_dir("old", [](json& c) { c.erase("image_token_index"); });
  const std::string t5 = chat_dir("t5", [](json& c) { c["text_config"]["model_type"] = "t5"; });
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"ask", "--model", dir, "--image", waterview(), "--image", waterview(), "hi"},
       "BLIP-2 takes one image per conversation, 2 were given"},
      {{"generate", "--model", test::fixture("blip2"), "--image", waterview(), "--prompt-ids", "2,1000,5,1000"},
       "BLIP-2's image takes 1 or 8"},
      {{"generate", "--model", test::fixture("blip2"), "--prompt-ids", "2,1000,5"}, "no image was given"},
      {{"generate", "--model", test::fixture("blip2"), "--image", waterview(), "--pad-square", "--prompt-ids", "2,5"},
       "--pad-square"},
      {{"ask", "--model", old, "--image", waterview(), "hi"}, "no image_token_index"},
      {{"ask", "--model", t5, "--image", waterview(), "hi"}, "text_config.model_type \"t5\""},
  };
  for (const auto& [args, needle] : cases) {
    test::CliResult r = run_cli(args);
    EXPECT_CLEAN_ERROR(r, needle);
  }
}

TEST(ServerBlip2, ChatCompletionWithAnImageIsTheLibrarysAnswer) {
  server::ServerOptions o;
  o.port = 0;
  const std::string dir = chat_dir("serve");
  o.models = {{"blip2", dir}};
  o.image_root = test::asset("images");
  o.max_tokens = 64;
  test::TestServer srv(o);
  auto c = srv.client();

  auto models = c.Get("/v1/models");
  ASSERT_TRUE(models);
  for (const auto& m : json::parse(models->body)["data"]) EXPECT_EQ(m["argus"]["role"], "chat") << m.dump();

  const std::string q = "Where is this?";
  auto body = [&](int images) {
    json content = json::array();
    for (int i = 0; i < images; ++i)
      content.push_back({{"type", "image_url"}, {"image_url", {{"url", "waterview.jpg"}}}});
    content.push_back({{"type", "text"}, {"text", q}});
    return json{{"model", "blip2"},
                {"temperature", 0},
                {"max_tokens", 8},
                {"messages", {{{"role", "user"}, {"content", content}}}}};
  };
  auto r = c.Post("/v1/chat/completions", body(1).dump(), "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  json reply = json::parse(r->body);

  auto model = tasks::ChatModel::open(dir);
  auto tmpl = text::ChatTemplate::for_model(dir);
  json messages = {{{"role", "user"}, {"content", {{{"type", "image"}}, {{"type", "text"}, {"text", q}}}}}};
  tasks::GenerationSettings s;
  s.max_tokens = 8;
  auto expect = tasks::complete_chat(*model, tmpl, messages, {model->encode_image(image::load_image(waterview()))},
                                     tasks::generate_options(s, *model), {});
  EXPECT_EQ(reply["choices"][0]["message"]["content"], expect.text);
  EXPECT_EQ(reply["usage"]["prompt_tokens"], expect.prompt_tokens);

  // Two images: BLIP-2 reads one; a client error naming why.
  auto bad = c.Post("/v1/chat/completions", body(2).dump(), "application/json");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400) << bad->body;
  EXPECT_NE(json::parse(bad->body)["error"]["message"].get<std::string>().find("one image per conversation"),
            std::string::npos)
      << bad->body;
}
