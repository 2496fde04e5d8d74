// Issue 24, items 2 and 11: every list a request carries has a bound, and every value a
// domain, owned by its task. The CLI and the server call the same rule, so the same
// request is refused by both with the same message (the CLI: exit 1 and one line; the
// server: 400), and the server refuses it before loading a model or decoding an image.
#include <gtest/gtest.h>

#include <fstream>

#include "cli_runner.h"
#include "server_fixture.h"
#include "tasks/chat/chat_limits.h"
#include "tasks/classify.h"
#include "tasks/detect/detector.h"
#include "tasks/embed_limits.h"
#include "tasks/segment/prompt.h"
#include "../common/temp_dir.h"

using namespace argus;
using json = nlohmann::json;

namespace {

test::TestServer& server() {
  static test::TestServer s(test::fixture_server_options());
  return s;
}

struct Reply {
  int status = 0;
  std::string message, param;
};

Reply post(const std::string& path, const json& body) {
  auto r = server().client().Post(path.c_str(), body.dump(), "application/json");
  Reply out;
  if (!r) return out;
  out.status = r->status;
  auto j = json::parse(r->body, nullptr, false);
  if (j.is_object() && j.contains("error")) {
    out.message = j["error"].value("message", "");
    if (j["error"]["param"].is_string()) out.param = j["error"]["param"];
  }
  return out;
}

int models_loaded() {
  auto r = server().client().Get("/health");
  return r ? json::parse(r->body).value("models_loaded", -1) : -1;
}

std::string img(const std::string& name) { return test::asset("images/" + name); }

// The CLI's one error line without its "argus: error: " prefix and newline.
std::string cli_message(const test::CliResult& r) {
  const std::string prefix = "argus: error: ";
  std::string m = r.err.rfind(prefix, 0) == 0 ? r.err.substr(prefix.size()) : r.err;
  while (!m.empty() && m.back() == '\n') m.pop_back();
  return m;
}

// The CLI refuses `args` and the server refuses `body` at `path` with the same message,
// which contains `needle`.
void expect_same_refusal(const std::vector<std::string>& args, const std::string& path, const json& body,
                         const std::string& needle) {
  auto cli = test::run_cli(args);
  EXPECT_CLEAN_ERROR(cli, needle);
  auto srv = post(path, body);
  EXPECT_EQ(srv.status, 400) << srv.message;
  EXPECT_EQ(srv.message, cli_message(cli));
}

std::vector<std::string> repeated(const std::string& flag, const std::string& value, size_t n) {
  std::vector<std::string> out;
  for (size_t i = 0; i < n; ++i) {
    out.push_back(flag);
    out.push_back(value);
  }
  return out;
}

std::vector<std::string> concat(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

}  // namespace

TEST(RequestBounds, EveryListIsBoundedTheSameInTheCliAndTheServerBeforeAnyModelLoads) {
  // 10,000 points took the server from 0.7 to 2.2 GB before the bound (the CLI gets one
  // more than the bound: 10,000 do not fit on a shell command line).
  json points = json::array();
  for (size_t i = 0; i <= tasks::segment::kMaxPromptPoints; ++i) points.push_back({i % 1800, i % 1200});
  expect_same_refusal(concat({"segment", "--model", test::fixture("sam"), "--image", img("truck.jpg")},
                             repeated("--point", "10,10", tasks::segment::kMaxPromptPoints + 1)),
                      "/v1/segment", {{"model", "sam"}, {"image", "truck.jpg"}, {"points", points}},
                      "65 points is over the limit of 64 points per prompt");
  json many = json::array();
  for (int i = 0; i < 10000; ++i) many.push_back({i % 1800, i % 1200});
  auto r10k = post("/v1/segment", {{"model", "sam"}, {"image", "truck.jpg"}, {"points", many}});
  EXPECT_EQ(r10k.status, 400);
  EXPECT_EQ(r10k.message, "segment: 10000 points is over the limit of 64 points per prompt");

  json labels = json::array();
  for (size_t i = 0; i <= tasks::kMaxLabels; ++i) labels.push_back("label");
  expect_same_refusal(concat({"classify", "--model", test::fixture("clip"), "--image", img("dog.jpg")},
                             repeated("--label", "label", tasks::kMaxLabels + 1)),
                      "/v1/classify", {{"model", "clip"}, {"image", "dog.jpg"}, {"labels", labels}},
                      "1025 labels is over the limit of 1024");

  json queries = json::array();
  for (size_t i = 0; i <= tasks::kMaxTextQueries; ++i) queries.push_back("a dog");
  expect_same_refusal(concat({"detect", "--model", test::fixture("owlvit"), "--image", img("dog.jpg")},
                             repeated("--query", "a dog", tasks::kMaxTextQueries + 1)),
                      "/v1/detect", {{"model", "owlvit"}, {"image", "dog.jpg"}, {"queries", queries}},
                      "1025 text queries is over the limit of 1024");

  json exemplars = json::array();
  for (size_t i = 0; i <= tasks::kMaxExemplars; ++i) exemplars.push_back({{"image", "missing.jpg"}, {"box", {1, 2, 3, 4}}});
  expect_same_refusal(concat({"detect", "--model", test::fixture("owlvit"), "--image", img("dog.jpg")},
                             repeated("--exemplar", "missing.jpg:1,2,3,4", tasks::kMaxExemplars + 1)),
                      "/v1/detect", {{"model", "owlvit"}, {"image", "dog.jpg"}, {"exemplars", exemplars}},
                      "17 exemplars is over the limit of 16");

  // Images are counted before one is read: these paths do not exist.
  json inputs = json::array();
  for (size_t i = 0; i <= tasks::kMaxEmbedImages; ++i)
    inputs.push_back({{"type", "image_url"}, {"image_url", {{"url", "missing.jpg"}}}});
  expect_same_refusal(concat({"embed", "--model", test::fixture("clip")},
                             repeated("--image", "missing.jpg", tasks::kMaxEmbedImages + 1)),
                      "/v1/embeddings", {{"model", "clip"}, {"input", inputs}}, "17 images is over the limit of 16");

  json parts = json::array();
  for (size_t i = 0; i <= tasks::kMaxImages; ++i)
    parts.push_back({{"type", "image_url"}, {"image_url", {{"url", "missing.jpg"}}}});
  expect_same_refusal(concat({"ask", "--model", test::fixture("llava"), "hi"}, repeated("--image", "missing.jpg", tasks::kMaxImages + 1)),
                      "/v1/chat/completions",
                      {{"model", "llava"}, {"messages", {{{"role", "user"}, {"content", parts}}}}},
                      "17 images is over the limit of 16");

  json messages = json::array();
  for (size_t i = 0; i <= tasks::kMaxMessages; ++i) messages.push_back({{"role", "user"}, {"content", "hi"}});
  const std::string file = test::process_temp_dir("request_rules") + "/messages.json";
  std::ofstream(file) << messages.dump();
  expect_same_refusal({"template", "--model", test::fixture("llava"), "--messages", file}, "/v1/chat/completions",
                      {{"model", "llava"}, {"messages", messages}}, "1025 messages is over the limit of 1024");

  json text_parts = json::array();
  for (size_t i = 0; i <= tasks::kMaxContentParts; ++i) text_parts.push_back({{"type", "text"}, {"text", "a"}});
  auto r = post("/v1/chat/completions", {{"model", "llava"}, {"messages", {{{"role", "user"}, {"content", text_parts}}}}});
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.message.find("65 content parts in one message is over the limit of 64"), std::string::npos) << r.message;

  // None of it loaded a model: every bound held before any compute.
  EXPECT_EQ(models_loaded(), 0);
}

TEST(RequestDomains, DetectionAndSegmentationValuesOutsideTheirDomainAreRefusedAlike) {
  const std::vector<std::string> detect = {"detect", "--model", test::fixture("owlvit"), "--image", img("dog.jpg"),
                                           "--query", "a dog"};
  const json body = {{"model", "owlvit"}, {"image", "dog.jpg"}, {"queries", {"a dog"}}};
  auto with = [&](const char* key, json v) {
    json b = body;
    b[key] = v;
    return b;
  };
  expect_same_refusal(concat(detect, {"--threshold=-1"}), "/v1/detect", with("threshold", -1),
                      "threshold -1 must be a score in [0, 1]");
  expect_same_refusal(concat(detect, {"--threshold", "2"}), "/v1/detect", with("threshold", 2),
                      "threshold 2 must be a score in [0, 1]");
  expect_same_refusal(concat(detect, {"--threshold=-5"}), "/v1/detect", with("threshold", -5),
                      "threshold -5 must be a score in [0, 1]");
  expect_same_refusal(concat(detect, {"--top-k=-1"}), "/v1/detect", with("top_k", -1), "top_k -1 must be at least 1");
  // JSON has no NaN; the CLI's --threshold nan was read as "not given".
  {
    const auto r1 = test::run_cli(concat(detect, {"--threshold", "nan"}));
    EXPECT_CLEAN_ERROR(r1, "threshold nan must be a score in [0, 1]");
  }
  {
    const auto r2 = test::run_cli({"segment", "--model", test::fixture("sam"), "--image", img("truck.jpg"),
                                    "--everything", "--pred-iou-thresh", "nan"});
    EXPECT_CLEAN_ERROR(r2, "pred_iou_thresh nan is not a finite number");
  }
  expect_same_refusal({"classify", "--model", test::fixture("clip"), "--image", img("dog.jpg"), "--label", "dog",
                       "--template", "a photo"},
                      "/v1/classify", {{"model", "clip"}, {"image", "dog.jpg"}, {"labels", {"dog"}}, {"template", "a photo"}},
                      "must contain \"{}\" exactly once");
  // An explicit null is not "the only model of that role".
  auto null_model = post("/v1/classify", {{"model", nullptr}, {"image", "dog.jpg"}, {"labels", {"dog"}}});
  EXPECT_EQ(null_model.status, 400);
  EXPECT_EQ(null_model.param, "model");
  EXPECT_NE(null_model.message.find("is null"), std::string::npos) << null_model.message;
  EXPECT_EQ(models_loaded(), 0);
}

TEST(RequestDomains, SeedsPenaltiesAndStopStringsAreRefusedAlike) {
  const std::vector<std::string> gen = {"generate", "--model", test::fixture("llava"), "--prompt-ids", "1,2",
                                        "--max-tokens", "1"};
  const json body = {{"model", "llava"}, {"prompt", {1, 2}}, {"max_tokens", 1}};
  auto with = [&](const char* key, json v) {
    json b = body;
    b[key] = v;
    return b;
  };
  // -1 and 1e23 were the same seed (wrapped / saturated); 1.5 was truncated.
  expect_same_refusal(concat(gen, {"--seed=-1"}), "/v1/completions", with("seed", -1),
                      "seed -1 must be an integer in 0..18446744073709551615");
  expect_same_refusal(concat(gen, {"--seed", "1.5"}), "/v1/completions", with("seed", 1.5), "seed 1.5 must be an integer");
  {
    const auto r3 = test::run_cli(concat(gen, {"--seed", "1e23"}));
    EXPECT_CLEAN_ERROR(r3, "seed 1e23 must be an integer");
  }
  auto big = post("/v1/completions", with("seed", 1e23));
  EXPECT_EQ(big.status, 400);
  EXPECT_NE(big.message.find("must be an integer"), std::string::npos) << big.message;
  auto ok = post("/v1/completions", with("seed", 18446744073709551615ull));
  EXPECT_EQ(ok.status, 200) << ok.message;

  expect_same_refusal(concat(gen, repeated("--stop", "x", tasks::kMaxStopStrings + 1)), "/v1/completions",
                      with("stop", json::array({"a", "b", "c", "d", "e"})), "at most 4 stop strings, got 5");
  expect_same_refusal(concat(gen, {"--stop", std::string(tasks::kMaxStopBytes + 1, 'x')}), "/v1/completions",
                      with("stop", std::string(tasks::kMaxStopBytes + 1, 'x')), "257 bytes is over the limit of 256");

  // Finite, but outside OpenAI's documented [-2, 2].
  auto pp = post("/v1/completions", with("presence_penalty", 1e308));
  EXPECT_EQ(pp.status, 400);
  EXPECT_NE(pp.message.find("presence_penalty must be in [-2, 2]"), std::string::npos) << pp.message;
  auto fp = post("/v1/completions", with("frequency_penalty", -2.5));
  EXPECT_EQ(fp.status, 400);
  EXPECT_NE(fp.message.find("frequency_penalty must be in [-2, 2]"), std::string::npos) << fp.message;
  EXPECT_EQ(post("/v1/completions", with("presence_penalty", 2)).status, 200);
}
