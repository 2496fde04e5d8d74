// End-to-end tests of `argus generate`, `ask` and `chat` on the fixtures, run as a
// user would (chat through a pipe, Ctrl-C as a real SIGINT).
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "../common/temp_dir.h"
#include "cli_runner.h"
#include "llm_helpers.h"
#include "parity.h"

using namespace argus;
using argus::test::run_cli;
namespace fs = std::filesystem;

namespace {

std::string img(const std::string& name) { return test::asset("images/" + name); }

std::string join_ids(const std::vector<int64_t>& ids) {
  std::string s;
  for (size_t i = 0; i < ids.size(); ++i) s += (i ? "," : "") + std::to_string(ids[i]);
  return s;
}

// The llava fixture's prompt with its 576 image slots collapsed to one image token.
std::vector<int64_t> llava_prompt_collapsed() {
  auto ids = test::row_ids(test::reference("llava")["input_ids"], 0);
  std::vector<int64_t> out;
  for (size_t i = 0; i < ids.size(); ++i)
    if (ids[i] != 1000 || i == 0 || ids[i - 1] != 1000) out.push_back(ids[i]);
  return out;
}

std::vector<int64_t> greedy_tail(const std::string& family, size_t n) {
  auto g = test::row_ids(test::reference(family)["greedy_ids"], 0);
  return std::vector<int64_t>(g.end() - static_cast<long>(n), g.end());
}

fs::path scratch(const std::string& name) {
  return test::fresh_temp_dir("chat_" + name);
}

}  // namespace

TEST(CliGenerate, LlavaWithOneImageTokenMatchesFixtureGreedyIds) {
  auto d = scratch("gen_llava");
  std::string logits_path = (d / "logits.safetensors").string();
  auto collapsed = llava_prompt_collapsed();
  ASSERT_EQ(collapsed.size(), 591u - 575u);
  auto r = run_cli({"generate", "--model", test::fixture("llava"), "--image", img("extreme_ironing.jpg"),
                    "--prompt-ids", join_ids(collapsed), "--max-tokens", "20", "--greedy", "--json",
                    "--logits-out", logits_path});
  ASSERT_EQ(r.rc, 0) << r.err;
  auto j = r.json();
  auto ref = test::reference("llava");
  EXPECT_EQ(j["prompt_ids"].get<std::vector<int64_t>>(), test::row_ids(ref["input_ids"], 0));
  EXPECT_EQ(j["ids"].get<std::vector<int64_t>>(), greedy_tail("llava", 20));
  EXPECT_TRUE(j["text"].is_string());
  // Timings as llama.cpp reports them: the prompt (image tokens included) is the prefill,
  // every token after the first a decode step.
  const auto& t = j["timings"];
  EXPECT_EQ(t["prompt_tokens"], j["prompt_ids"].size());
  EXPECT_EQ(t["decode_tokens"].get<size_t>(), j["ids"].size() - 1);
  for (const char* k : {"load_s", "image_encode_s", "prefill_s", "decode_s"}) {
    ASSERT_TRUE(t[k].is_number()) << k;
    EXPECT_GE(t[k].get<double>(), 0.0) << k;
  }
  EXPECT_GT(t["image_encode_s"].get<double>(), 0.0);  // one image was encoded
  EXPECT_NEAR(t["decode_tokens_per_s"].get<double>() * t["decode_s"].get<double>(), t["decode_tokens"].get<double>(),
              1e-6 * t["decode_tokens"].get<double>() + 1e-9);
  // The image went through argus' own preprocessing (a few pixels one uint8 step off
  // the reference, parity-notes), so the logits agree a little less tightly than 1e-3.
  at::Tensor logits = nn::load_safetensors(logits_path).at("logits");
  double diff = test::max_abs_diff(logits, ref["logits"][0]);
  std::printf("[generate llava] prompt logits max abs diff %.3g\n", diff);
  EXPECT_LE(diff, 1e-2);
}

TEST(CliGenerate, LlavaAlreadyExpandedImageTokensGiveTheSameIds) {
  auto r = run_cli({"generate", "--model", test::fixture("llava"), "--image", img("extreme_ironing.jpg"),
                    "--prompt-ids", join_ids(test::row_ids(test::reference("llava")["input_ids"], 0)),
                    "--max-tokens", "20", "--greedy", "--json"});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.json()["ids"].get<std::vector<int64_t>>(), greedy_tail("llava", 20));
  EXPECT_TRUE(r.json()["text"].is_string());
}

TEST(CliGenerate, PlainLlmsMatchFixtureGreedyIdsAndLogits) {
  for (std::string family : {"qwen2", "llama", "mistral"}) {
    SCOPED_TRACE(family);
    auto d = scratch("gen_" + family);
    std::string logits_path = (d / "logits.safetensors").string();
    auto ref = test::reference(family);
    auto prompt = test::row_ids(ref["input_ids"], 0);
    auto r = run_cli({"generate", "--model", test::fixture(family), "--prompt-ids", join_ids(prompt), "--max-tokens",
                      "20", "--greedy", "--json", "--logits-out", logits_path});
    ASSERT_EQ(r.rc, 0) << r.err;
    auto j = r.json();
    EXPECT_EQ(j["prompt_ids"].get<std::vector<int64_t>>(), prompt);
    EXPECT_EQ(j["ids"].get<std::vector<int64_t>>(), greedy_tail(family, 20));
    EXPECT_EQ(j["finish_reason"], "length");
    EXPECT_LE(test::max_abs_diff(nn::load_safetensors(logits_path).at("logits"), ref["logits"][0]), 1e-4);
  }
}

TEST(CliGenerate, SamplingIsSeededAndRespectsMaxTokens) {
  std::vector<std::string> args = {"generate", "--model", test::fixture("qwen2"), "--prompt-ids", "1,2,3,4",
                                   "--temperature", "1.5", "--top-k", "50", "--top-p", "0.95", "--min-p", "0.01",
                                   "--repetition-penalty", "1.1", "--max-tokens", "12", "--json"};
  auto seeded = [&](const std::string& seed) {
    auto a = args;
    a.insert(a.end(), {"--seed", seed});
    auto r = run_cli(a);
    EXPECT_EQ(r.rc, 0) << r.err;
    return r.json()["ids"].get<std::vector<int64_t>>();
  };
  auto a = seeded("7"), b = seeded("7"), c = seeded("8");
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  EXPECT_LE(a.size(), 12u);
}

TEST(CliGenerate, BadInputsAreCleanErrors) {
  const std::string llava = test::fixture("llava"), qwen2 = test::fixture("qwen2"), im = img("extreme_ironing.jpg");
  const std::string odd_run = join_ids(std::vector<int64_t>(600, 1000));  // > 576, not a multiple
  const std::string too_long = join_ids(std::vector<int64_t>(513, 5));
  struct Case {
    std::vector<std::string> args;
    std::string needle;
  };
  const std::vector<Case> cases = {
      {{"--model", llava, "--prompt-ids", "1,5000,3"}, "token id 5000 is out of the vocabulary"},
      {{"--model", qwen2, "--prompt-ids", "1,-4"}, "token id -4 is out of the vocabulary"},
      {{"--model", llava, "--prompt-ids", "1,x,3"}, "\"x\" is not an integer"},
      {{"--model", llava, "--prompt-ids", "1,,3"}, "is not an integer"},
      {{"--model", llava, "--image", im, "--prompt-ids", "1,1000,5,1000"},
       "the prompt has 2 image token(s) (id 1000) but only 1 image(s) were given"},
      {{"--model", llava, "--prompt-ids", "1,1000,5"}, "the prompt has 1 image token(s)"},
      {{"--model", llava, "--image", im, "--image", im, "--prompt-ids", "1,1000,5"},
       "2 image(s) were given but the prompt has only 1 image token(s)"},
      {{"--model", qwen2, "--image", im, "--prompt-ids", "1,2"}, "is text-only and takes no images"},
      {{"--model", llava, "--image", im, "--prompt-ids", odd_run}, "a run of 600 image tokens"},
      // Four images of 576 features overflow the 2048-token context.
      {{"--model", llava, "--image", im, "--image", im, "--image", im, "--image", im, "--prompt-ids",
        "1,1000,1000,1000,1000,5"},
       "the prompt is 2306 tokens (with 4 image(s) of 576 features) but the model's context is 2048"},
      {{"--model", qwen2, "--prompt-ids", too_long}, "the prompt is 513 tokens but the model's context is 512"},
      {{"--model", qwen2, "--prompt-ids", "1,2", "--stop", "x"}, "needs a tokenizer"},
      {{"--model", qwen2, "--prompt-ids", "1,2", "--greedy", "--temperature", "0.7"}, "contradict"},
      {{"--model", qwen2, "--prompt-ids", "1,2", "--top-p", "0"}, "top_p"},
      {{"--model", test::fixture("clip"), "--prompt-ids", "1,2"}, "does not generate text"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> args = {"generate"};
    args.insert(args.end(), c.args.begin(), c.args.end());
    test::CliResult r = run_cli(args);
    SCOPED_TRACE(c.needle);
    EXPECT_CLEAN_ERROR(r, c.needle);
  }
}

namespace {

// Runs argus with `input` on stdin (a pipe, as in `printf ... | argus chat`).
test::CliResult run_cli_input(const std::vector<std::string>& args, const std::string& input) {
  return test::run_cli_input(args, &input);
}

nlohmann::json read_json_file(const fs::path& p) {
  std::ifstream in(p);
  return nlohmann::json::parse(in);
}

std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string l; std::getline(ss, l);) out.push_back(l);
  return out;
}

// What the llava-1.5 template makes of one user turn (independently of argus' Jinja).
std::string llava_turn(const std::string& q, bool image) {
  return std::string("USER: ") + (image ? "<image>\n" : "") + q + " ASSISTANT:";
}

// `argus generate` on the prompt that `text` tokenizes to: the reference for ask/chat.
std::string generate_text(const std::string& text, const std::vector<std::string>& images, int max_tokens) {
  auto t = run_cli({"tokenize", "--model", test::fixture("llava"), "--json", text});
  EXPECT_EQ(t.rc, 0) << t.err;
  std::vector<std::string> args = {"generate", "--model", test::fixture("llava"), "--prompt-ids",
                                   join_ids(t.json()["ids"].get<std::vector<int64_t>>()), "--max-tokens",
                                   std::to_string(max_tokens), "--greedy", "--json"};
  for (const auto& im : images) args.insert(args.end(), {"--image", im});
  auto g = run_cli(args);
  EXPECT_EQ(g.rc, 0) << g.err;
  return g.json()["text"].get<std::string>();
}

}  // namespace

TEST(CliAsk, LlavaAnswerEqualsGenerateOnTheTemplatedPrompt) {
  std::string q = "What is unusual about this image?";
  auto r = run_cli({"ask", "--model", test::fixture("llava"), "--image", img("extreme_ironing.jpg"), "--max-tokens",
                    "12", q});
  ASSERT_EQ(r.rc, 0) << r.err;
  ASSERT_FALSE(r.out.empty());
  EXPECT_EQ(r.out.back(), '\n');
  std::string want = generate_text(llava_turn(q, true), {img("extreme_ironing.jpg")}, 12);
  EXPECT_EQ(r.out, want + "\n");
  EXPECT_FALSE(want.empty());
  // Another image changes the answer's prompt, so (almost surely) the answer.
  auto other = run_cli({"ask", "--model", test::fixture("llava"), "--image", img("dog.jpg"), "--max-tokens", "12", q});
  ASSERT_EQ(other.rc, 0) << other.err;
  EXPECT_EQ(other.out, generate_text(llava_turn(q, true), {img("dog.jpg")}, 12) + "\n");
}

TEST(CliAsk, BadInputsAreCleanErrors) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"ask", "--model", test::fixture("llava"), "--image", "/nonexistent.jpg", "hi"}, "nonexistent.jpg"},
      {{"ask", "--model", test::fixture("qwen2"), "hi"}, "needs a tokenizer"},
      {{"ask", "--model", test::fixture("llava"), "--chat-template", "/nonexistent.jinja", "hi"}, "nonexistent.jinja"},
  };
  for (const auto& [args, needle] : cases) {
    test::CliResult r = run_cli(args);
    EXPECT_CLEAN_ERROR(r, needle);
  }
}

TEST(CliChat, PipedConversationWithImageResetAndSave) {
  auto d = scratch("chat");
  std::string first = (d / "first.json").string(), second = (d / "second.json").string();
  std::string im = img("extreme_ironing.jpg");
  std::string input = "/image " + im + "\nWhat is in the picture?\nTell me more.\n/save " + first +
                      "\n/image /nonexistent.png\n/bogus\n/reset\nHello there.\n/save " + second + "\n/quit\nignored\n";
  auto r = run_cli_input({"chat", "--model", test::fixture("llava"), "--max-tokens", "8"}, input);
  ASSERT_EQ(r.rc, 0) << r.err;
  // Errors in a turn are reported and the conversation goes on.
  EXPECT_NE(r.err.find("argus: error:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("nonexistent.png"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("unknown command /bogus"), std::string::npos) << r.err;

  auto answers = lines_of(r.out);
  ASSERT_EQ(answers.size(), 3u) << r.out;
  // Turn 1 is exactly `ask` on the same question and image; turn 3 (after /reset)
  // is a fresh conversation without the image.
  EXPECT_EQ(answers[0], generate_text(llava_turn("What is in the picture?", true), {im}, 8));
  EXPECT_EQ(answers[2], generate_text(llava_turn("Hello there.", false), {}, 8));
  // Turn 2 sees the history: the template renders both turns into its prompt.
  EXPECT_EQ(answers[1], generate_text(llava_turn("What is in the picture?", true) + " " + answers[0] + " " +
                                          llava_turn("Tell me more.", false),
                                      {im}, 8));

  auto saved = read_json_file(first);
  ASSERT_EQ(saved.size(), 4u) << saved.dump();
  EXPECT_EQ(saved[0]["role"], "user");
  EXPECT_EQ(saved[0]["content"][0], nlohmann::json({{"type", "image"}, {"path", im}}));
  EXPECT_EQ(saved[0]["content"][1], nlohmann::json({{"type", "text"}, {"text", "What is in the picture?"}}));
  EXPECT_EQ(saved[1]["role"], "assistant");
  EXPECT_EQ(saved[1]["content"][0]["text"], answers[0]);
  EXPECT_EQ(saved[2]["content"].size(), 1u);  // no image on the second turn
  EXPECT_EQ(saved[2]["content"][0]["text"], "Tell me more.");
  EXPECT_EQ(saved[3]["content"][0]["text"], answers[1]);
  auto after_reset = read_json_file(second);
  ASSERT_EQ(after_reset.size(), 2u);
  EXPECT_EQ(after_reset[0]["content"], nlohmann::json::array({{{"type", "text"}, {"text", "Hello there."}}}));
}

TEST(CliChat, SigintStopsTheAnswerNotTheProgram) {
  auto d = scratch("sigint");
  std::string saved = (d / "saved.json").string(), errfile = (d / "err.txt").string();
  int in[2], out[2];
  ASSERT_EQ(pipe(in), 0);
  ASSERT_EQ(pipe(out), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    int err = open(errfile.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(err, 2);
    close(in[1]);
    close(out[0]);
    // A long answer (thousands of tokens) so the signal lands while it streams.
    execl(ARGUS_BINARY, ARGUS_BINARY, "--threads", "1", "chat", "--model", test::fixture("llava").c_str(),
          "--max-tokens", "3000", static_cast<char*>(nullptr));
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  auto send = [&](const std::string& s) { ASSERT_EQ(write(in[1], s.data(), s.size()), (ssize_t)s.size()); };
  send("/image " + img("extreme_ironing.jpg") + "\nDescribe it.\n");
  char buf[4096];
  ssize_t n = read(out[0], buf, sizeof buf);  // the answer has started streaming
  ASSERT_GT(n, 0);
  std::string got(buf, static_cast<size_t>(n));
  kill(pid, SIGINT);
  send("/save " + saved + "\n/quit\n");
  close(in[1]);
  while ((n = read(out[0], buf, sizeof buf)) > 0) got.append(buf, static_cast<size_t>(n));
  close(out[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status)) << "killed by signal " << (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  EXPECT_EQ(WEXITSTATUS(status), 0);
  std::ifstream ef(errfile);
  std::string err((std::istreambuf_iterator<char>(ef)), std::istreambuf_iterator<char>());
  EXPECT_NE(err.find("(interrupted)"), std::string::npos) << err;
  // The program went on to the next lines: /save wrote the cut-short turn.
  auto j = read_json_file(saved);
  ASSERT_EQ(j.size(), 2u);
  std::string answer = j[1]["content"][0]["text"];
  EXPECT_FALSE(answer.empty());
  EXPECT_LT(answer.size(), 2000u);  // uninterrupted, this answer is ~11000 bytes
  EXPECT_EQ(got, answer + "\n");
}
