// `argus serve` over real HTTP (cpp-httplib's client against an in-process server on
// a free port): every route's answer against the same work done through the library
// or the CLI, streaming, limits, authentication and bad input in OpenAI's error shape.
#include <gtest/gtest.h>

#include <zlib.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "cli_runner.h"
#include "engine/dual_encoder.h"
#include "image/decode.h"
#include "image/encode_png.h"
#include "server_fixture.h"
#include "tasks/chat/chat_completion.h"
#include "tasks/chat/generation_settings.h"
#include "util/base64.h"
#include "util/mapped_file.h"

using namespace argus;
using json = nlohmann::json;

namespace {

test::TestServer& shared_server() {
  static test::TestServer s(test::fixture_server_options());
  return s;
}

std::string data_uri(const std::string& path, const char* mime = "image/jpeg") {
  std::string b = read_file(path);
  return std::string("data:") + mime + ";base64," + util::base64_encode(reinterpret_cast<const uint8_t*>(b.data()), b.size());
}

std::string img(const std::string& name) { return test::asset("images/" + name); }

struct Reply {
  int status = 0;
  json body;
  std::string raw;
  std::string retry_after;
};

Reply post(const std::string& path, const json& body, const std::string& key = "", test::TestServer* s = nullptr) {
  auto c = (s ? *s : shared_server()).client();
  httplib::Headers h;
  if (!key.empty()) h.emplace("Authorization", "Bearer " + key);
  auto r = c.Post(path.c_str(), h, body.dump(), "application/json");
  Reply out;
  if (!r) return out;
  out.status = r->status;
  out.raw = r->body;
  out.retry_after = r->get_header_value("Retry-After");
  out.body = json::parse(r->body, nullptr, false);
  return out;
}

Reply get(const std::string& path, test::TestServer* s = nullptr) {
  auto r = (s ? *s : shared_server()).client().Get(path.c_str());
  Reply out;
  if (!r) return out;
  out.status = r->status;
  out.raw = r->body;
  out.body = json::parse(r->body, nullptr, false);
  return out;
}

// An OpenAI error body: {"error":{"message": non-empty, "type", "param", "code"}}.
void expect_error(const Reply& r, int status, const std::string& param = "") {
  EXPECT_EQ(r.status, status) << r.raw;
  ASSERT_TRUE(r.body.is_object() && r.body.contains("error")) << r.raw;
  const auto& e = r.body["error"];
  EXPECT_FALSE(e.value("message", "").empty()) << r.raw;
  EXPECT_TRUE(e.contains("type") && e.contains("param") && e.contains("code")) << r.raw;
  if (!param.empty()) EXPECT_EQ(e["param"], param) << r.raw;
}

json llava_chat(bool stream, int max_tokens = 8) {
  return {{"model", "llava"},
          {"temperature", 0},
          {"max_tokens", max_tokens},
          {"stream", stream},
          {"messages",
           {{{"role", "user"},
             {"content",
              {{{"type", "image_url"}, {"image_url", {{"url", data_uri(img("extreme_ironing.jpg"))}}}},
               {{"type", "text"}, {"text", "What is unusual about this image?"}}}}}}}};
}

// The SSE events of a streamed body ("data: ..." lines).
std::vector<std::string> events(const std::string& raw) {
  std::vector<std::string> out;
  size_t pos = 0;
  while ((pos = raw.find("data: ", pos)) != std::string::npos) {
    size_t end = raw.find("\n\n", pos);
    out.push_back(raw.substr(pos + 6, end - pos - 6));
    pos = end;
  }
  return out;
}

}  // namespace

TEST(Server, HealthAndModels) {
  auto h = get("/health");
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(h.body["status"], "ok");
  auto m = get("/v1/models");
  ASSERT_EQ(m.status, 200);
  EXPECT_EQ(m.body["object"], "list");
  std::map<std::string, std::string> roles;
  for (const auto& d : m.body["data"]) roles[d["id"]] = d["argus"]["role"];
  EXPECT_EQ(roles, (std::map<std::string, std::string>{{"llava", "chat"},
                                                       {"llama", "chat"},
                                                       {"clip", "embeddings"},
                                                       {"owlvit", "detection"},
                                                       {"sam", "segmentation"}}));
  auto page = shared_server().client().Get("/");
  ASSERT_TRUE(page);
  EXPECT_NE(page->body.find("<html"), std::string::npos);
}

TEST(Server, ChatCompletionIsTheLibrarysAnswer) {
  auto r = post("/v1/chat/completions", llava_chat(false));
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body["object"], "chat.completion");
  const auto& choice = r.body["choices"][0];
  EXPECT_EQ(choice["message"]["role"], "assistant");

  // The same turn through the library: template, image features, greedy, 8 tokens.
  auto model = tasks::ChatModel::open(test::fixture("llava"));
  auto tmpl = text::ChatTemplate::for_model(test::fixture("llava"));
  json messages = {{{"role", "user"},
                    {"content", {{{"type", "image"}}, {{"type", "text"}, {"text", "What is unusual about this image?"}}}}}};
  tasks::GenerationSettings s;
  s.max_tokens = 8;
  auto opts = tasks::generate_options(s, *model);
  auto expect = tasks::complete_chat(*model, tmpl, messages,
                                     {model->encode_image(image::load_image(img("extreme_ironing.jpg")))}, opts, {});
  EXPECT_EQ(choice["message"]["content"], expect.text);
  EXPECT_EQ(r.body["usage"]["prompt_tokens"], expect.prompt_tokens);
  EXPECT_EQ(r.body["usage"]["completion_tokens"], expect.generated_tokens);
  EXPECT_EQ(choice["finish_reason"], expect.finish_reason == "stop" ? "stop" : "length");

  // Streamed: the deltas add up to the same text, then a finish chunk and [DONE].
  auto st = post("/v1/chat/completions", llava_chat(true));
  ASSERT_EQ(st.status, 200) << st.raw;
  auto ev = events(st.raw);
  ASSERT_GE(ev.size(), 3u);
  EXPECT_EQ(ev.back(), "[DONE]");
  std::string text;
  for (size_t i = 0; i + 1 < ev.size(); ++i) {
    json c = json::parse(ev[i]);
    EXPECT_EQ(c["object"], "chat.completion.chunk");
    if (i == 0) EXPECT_EQ(c["choices"][0]["delta"]["role"], "assistant");
    text += c["choices"][0]["delta"].value("content", "");
  }
  EXPECT_EQ(text, expect.text);
  EXPECT_EQ(json::parse(ev[ev.size() - 2])["choices"][0]["finish_reason"], choice["finish_reason"]);
}

TEST(Server, CompletionsTakeTextOrTokenIds) {
  auto tok = text::load_tokenizer(test::fixture("llava"));
  auto ids = tok->encode("A photo of", true);
  auto a = post("/v1/completions", {{"model", "llava"}, {"prompt", "A photo of"}, {"temperature", 0}, {"max_tokens", 5}});
  auto b = post("/v1/completions", {{"model", "llava"}, {"prompt", ids}, {"temperature", 0}, {"max_tokens", 5}});
  ASSERT_EQ(a.status, 200) << a.raw;
  ASSERT_EQ(b.status, 200) << b.raw;
  EXPECT_EQ(a.body["object"], "text_completion");
  EXPECT_EQ(a.body["choices"][0]["text"], b.body["choices"][0]["text"]);
  EXPECT_EQ(a.body["usage"]["prompt_tokens"], static_cast<int64_t>(ids.size()));
  // A checkpoint without a tokenizer can still not turn ids into text: a clear 400.
  expect_error(post("/v1/completions", {{"model", "llama"}, {"prompt", {1, 2, 3}}, {"max_tokens", 2}}), 400);
}

TEST(Server, EmbeddingsFloatAndBase64) {
  auto model = engine::DualEncoder::open(test::fixture("clip"));
  at::Tensor t = model->embed_texts({"a dog", "a cat"}).contiguous();
  at::Tensor i = model->embed_images({image::load_image(img("dog.jpg"))}).contiguous();
  auto r = post("/v1/embeddings",
                {{"model", "clip"},
                 {"input", {"a dog", {{"type", "image_url"}, {"image_url", {{"url", "dog.jpg"}}}}, "a cat"}}});
  ASSERT_EQ(r.status, 200) << r.raw;
  ASSERT_EQ(r.body["data"].size(), 3u);
  auto row = [&](size_t k) { return at::tensor(r.body["data"][k]["embedding"].get<std::vector<float>>()); };
  EXPECT_LE((row(0) - t[0]).abs().max().item<float>(), 1e-5);
  EXPECT_LE((row(1) - i[0]).abs().max().item<float>(), 1e-5);
  EXPECT_LE((row(2) - t[1]).abs().max().item<float>(), 1e-5);
  // The openai SDKs ask for base64: little-endian float32.
  auto b = post("/v1/embeddings", {{"model", "clip"}, {"input", "a dog"}, {"encoding_format", "base64"}});
  ASSERT_EQ(b.status, 200) << b.raw;
  auto bytes = util::base64_decode(b.body["data"][0]["embedding"].get<std::string>());
  ASSERT_EQ(bytes.size(), static_cast<size_t>(t.size(1)) * 4);
  at::Tensor decoded = at::from_blob(bytes.data(), {t.size(1)}, at::kFloat).clone();
  EXPECT_LE((decoded - t[0]).abs().max().item<float>(), 1e-6);
}

TEST(Server, VisionRoutesAnswerAsTheCli) {
  auto cli_json = [](std::vector<std::string> args) {
    auto r = test::run_cli(args);
    EXPECT_EQ(r.rc, 0) << r.err;
    return r.json();
  };
  auto c = post("/v1/classify", {{"model", "clip"}, {"image", "dog.jpg"}, {"labels", {"dog", "truck"}}});
  ASSERT_EQ(c.status, 200) << c.raw;
  auto cc = cli_json({"classify", "--model", test::fixture("clip"), "--image", img("dog.jpg"), "--label", "dog",
                      "--label", "truck", "--json"});
  EXPECT_EQ(c.body["labels"], cc["labels"]);
  for (size_t k = 0; k < 2; ++k) EXPECT_NEAR(c.body["probs"][k].get<double>(), cc["probs"][k].get<double>(), 1e-5);

  auto d = post("/v1/detect", {{"model", "owlvit"}, {"image", data_uri(img("dogs.jpg"))}, {"queries", {"a dog"}}, {"top_k", 5}});
  ASSERT_EQ(d.status, 200) << d.raw;
  auto dc = cli_json({"detect", "--model", test::fixture("owlvit"), "--image", img("dogs.jpg"), "--query", "a dog",
                      "--top-k", "5", "--json"});
  ASSERT_EQ(d.body["detections"].size(), dc["detections"].size());
  for (size_t k = 0; k < dc["detections"].size(); ++k)
    EXPECT_NEAR(d.body["detections"][k]["score"].get<double>(), dc["detections"][k]["score"].get<double>(), 1e-5);

  json seg = {{"model", "sam"}, {"image", "truck.jpg"}, {"points", {{500, 375}}}};
  auto s1 = post("/v1/segment", seg);
  ASSERT_EQ(s1.status, 200) << s1.raw;
  auto sc = cli_json({"segment", "--model", test::fixture("sam"), "--image", img("truck.jpg"), "--point", "500,375",
                      "--json"});
  EXPECT_EQ(s1.body["masks"][0]["rle"], sc["masks"][0]["rle"]);
  // A second click on the same image reuses its embedding.
  seg["points"] = {{500, 375}, {1125, 625, 0}};
  auto s2 = post("/v1/segment", seg);
  ASSERT_EQ(s2.status, 200) << s2.raw;
  EXPECT_TRUE(s2.body["embedding_cached"].get<bool>());

  auto g = post("/v1/ground", {{"detector", "owlvit"}, {"segmenter", "sam"}, {"image", "dogs.jpg"},
                               {"phrases", "a dog. a person."}, {"top_k", 2}});
  ASSERT_EQ(g.status, 200) << g.raw;
  ASSERT_EQ(g.body["detections"].size(), 2u);
  EXPECT_EQ(g.body["detections"][0]["rle"]["size"], (std::vector<int>{603, 1072}));
}

TEST(ServerBadInput, EachIsAnOpenAiErrorNotACrash) {
  auto c = shared_server().client();
  auto raw = c.Post("/v1/chat/completions", "{not json", "application/json");
  ASSERT_TRUE(raw);
  EXPECT_EQ(raw->status, 400);
  expect_error(post("/v1/chat/completions", {{"model", "llava"}}), 400, "messages");
  expect_error(post("/v1/chat/completions", {{"model", "llava"}, {"messages", "hi"}}), 400, "messages");
  expect_error(post("/v1/chat/completions", {{"model", "llava"}, {"temperature", "hot"}, {"messages", {{{"role", "user"}, {"content", "x"}}}}}), 400, "temperature");
  expect_error(post("/v1/chat/completions", {{"model", "nope"}, {"messages", {{{"role", "user"}, {"content", "x"}}}}}), 404, "model");
  // Streamed requests are refused the same way, before any event is sent.
  expect_error(post("/v1/chat/completions", {{"model", "nope"}, {"stream", true}, {"messages", {{{"role", "user"}, {"content", "x"}}}}}), 404, "model");
  expect_error(post("/v1/completions", {{"model", "llava"}, {"stream", true}, {"n", 3}, {"prompt", "x"}}), 400, "n");
  expect_error(post("/v1/chat/completions", {{"model", "llava"}, {"n", 2}, {"messages", {{{"role", "user"}, {"content", "x"}}}}}), 400, "n");
  expect_error(post("/v1/chat/completions", {{"model", "llava"}, {"frobnicate", 1}, {"messages", {{{"role", "user"}, {"content", "x"}}}}}), 400, "frobnicate");
  expect_error(post("/v1/chat/completions", {{"model", "clip"}, {"messages", {{{"role", "user"}, {"content", "x"}}}}}), 400, "model");
  expect_error(post("/v1/chat/completions", {{"model", "llava"}, {"max_tokens", 100000}, {"messages", {{{"role", "user"}, {"content", "x"}}}}}), 400, "max_tokens");
  // Images: base64 that is not an image, bad base64, a path outside the root, remote URLs.
  auto with_image = [](const std::string& url) {
    return json{{"model", "sam"}, {"image", url}, {"points", {{1, 1}}}};
  };
  expect_error(post("/v1/segment", with_image("data:image/png;base64,aGVsbG8gd29ybGQ=")), 400, "image");
  expect_error(post("/v1/segment", with_image("data:image/png;base64,@@@")), 400, "image");
  expect_error(post("/v1/segment", with_image("../../../../etc/passwd")), 403, "image");
  expect_error(post("/v1/segment", with_image("/etc/passwd")), 403, "image");
  expect_error(post("/v1/segment", with_image("http://127.0.0.1:1/x.png")), 403, "image");
  expect_error(post("/v1/segment", {{"model", "sam"}, {"image", "truck.jpg"}, {"points", {{1, 1, 7}}}}), 400, "points");
  expect_error(post("/v1/segment", {{"model", "sam"}, {"image", "truck.jpg"}}), 400);
  expect_error(post("/v1/detect", {{"model", "owlvit"}, {"image", "dog.jpg"}}), 400);
  // A 30000 x 30000 PNG (header only): refused before any pixel buffer exists.
  std::string png("\x89PNG\r\n\x1a\n", 8);
  auto be32 = [](uint32_t v) { return std::string{char(v >> 24), char(v >> 16), char(v >> 8), char(v)}; };
  std::string ihdr = "IHDR" + be32(30000) + be32(30000) + std::string("\x08\x02\x00\x00\x00", 5);
  png += be32(13) + ihdr + be32(static_cast<uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(ihdr.data()), static_cast<uInt>(ihdr.size()))));
  std::string uri = "data:image/png;base64," + util::base64_encode(reinterpret_cast<const uint8_t*>(png.data()), png.size());
  expect_error(post("/v1/segment", with_image(uri)), 400, "image");
  // The server is still up.
  EXPECT_EQ(get("/health").status, 200);
}

TEST(ServerLimits, BodySizeApiKeyAndQueue) {
  auto o = test::fixture_server_options();
  o.max_body_bytes = 1 << 20;
  o.api_key = "sekret";
  o.max_queue = 1;
  test::TestServer s(o);
  // 401 without the key, on every route but /health and the page.
  EXPECT_EQ(get("/health", &s).status, 200);
  EXPECT_EQ(s.client().Get("/")->status, 200);
  expect_error(get("/v1/models", &s), 401);
  expect_error(post("/v1/embeddings", {{"model", "clip"}, {"input", "x"}}, "wrong", &s), 401);
  EXPECT_EQ(post("/v1/embeddings", {{"model", "clip"}, {"input", "x"}}, "sekret", &s).status, 200);
  // A body over the limit: 413 in the same error shape.
  std::string big(2 << 20, 'x');
  expect_error(post("/v1/embeddings", {{"model", "clip"}, {"input", big}}, "sekret", &s), 413);
  // With one slot taken by a slow request, the next gets 429 and Retry-After.
  std::atomic<int> slow_status{0};
  std::thread slow([&] {
    slow_status = post("/v1/segment", {{"model", "sam"}, {"image", "truck.jpg"}, {"everything", {{"points_per_side", 24}}}},
                       "sekret", &s).status;
  });
  Reply busy;
  for (int i = 0; i < 200 && busy.status != 429 && slow_status == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    busy = post("/v1/embeddings", {{"model", "clip"}, {"input", "x"}}, "sekret", &s);
  }
  slow.join();
  EXPECT_EQ(slow_status, 200);
  expect_error(busy, 429);
  EXPECT_EQ(busy.retry_after, "1");
}

TEST(ServerStreaming, ClientDisconnectMidStreamLeavesTheServerWell) {
  // Read the first event of a long stream, then drop the connection.
  {
    bool first = false;
    json body = llava_chat(true, 64);
    httplib::Client c2("127.0.0.1", shared_server().port());
    httplib::Request req;
    req.method = "POST";
    req.path = "/v1/chat/completions";
    req.body = body.dump();
    req.set_header("Content-Type", "application/json");
    req.content_receiver = [&](const char*, size_t, uint64_t, uint64_t) {
      first = true;
      return false;  // cancel: the client goes away
    };
    auto res = c2.send(req);
    EXPECT_TRUE(first);
  }
  // The model is free again and answers the next request.
  auto r = post("/v1/chat/completions", llava_chat(false, 2));
  EXPECT_EQ(r.status, 200) << r.raw;
  // The dropped stream is counted and leaves the queue once its handler
  // notices the hang-up, which may be just after the next request is served:
  // wait for it (bounded) rather than racing it.
  Reply m;
  for (int i = 0; i < 250; ++i) {
    m = get("/metrics");
    if (m.raw.find("argus_queue_depth 0") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_NE(m.raw.find("argus_requests_total{route=\"/v1/chat/completions\",status=\"200\"}"), std::string::npos);
  EXPECT_NE(m.raw.find("argus_queue_depth 0"), std::string::npos) << m.raw;
}

namespace {

bool model_loaded(test::TestServer& s, const std::string& name) {
  const Reply r = get("/v1/models", &s);
  for (const auto& m : r.body["data"])
    if (m["id"] == name) return m["argus"]["loaded"].get<bool>();
  ADD_FAILURE() << name << " is not listed";
  return false;
}

}  // namespace

TEST(ServerModels, RequestsWhileAModelLoadsWaitForIt) {
  // A fresh server: the first requests for a model race its loading; all succeed.
  test::TestServer s(test::fixture_server_options());
  EXPECT_FALSE(model_loaded(s, "clip"));
  std::vector<std::thread> ts;
  std::atomic<int> ok{0};
  for (int i = 0; i < 4; ++i)
    ts.emplace_back([&] {
      auto r = post("/v1/embeddings", {{"model", "clip"}, {"input", "a dog"}}, "", &s);
      ok += r.status == 200 ? 1 : 0;
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(ok, 4);
  EXPECT_TRUE(model_loaded(s, "clip"));
  EXPECT_NE(get("/metrics", &s).raw.find("argus_models_loaded 1"), std::string::npos);
}

TEST(ServerModels, LeastRecentlyUsedModelIsUnloadedPastTheBudget) {
  auto o = test::fixture_server_options();
  o.memory_budget_bytes = 1;  // every model is over it: only the one in use stays
  test::TestServer s(o);
  ASSERT_EQ(post("/v1/embeddings", {{"model", "clip"}, {"input", "x"}}, "", &s).status, 200);
  ASSERT_EQ(post("/v1/segment", {{"model", "sam"}, {"image", "dog.jpg"}, {"points", {{5, 5}}}}, "", &s).status, 200);
  EXPECT_FALSE(model_loaded(s, "clip"));
  EXPECT_TRUE(model_loaded(s, "sam"));
  // And it comes back on demand.
  EXPECT_EQ(post("/v1/embeddings", {{"model", "clip"}, {"input", "x"}}, "", &s).status, 200);
}

// --image-root holds against a symlink swapped while requests are served (main checked
// the resolved path, then opened it again following links: 1 in 600 served the file
// outside), and a NUL byte cannot cut a path short.
TEST(ServerImages, ImageRootHoldsAgainstASwappedLinkAndANulByte) {
  namespace fs = std::filesystem;
  const fs::path base = fs::canonical(test::fresh_temp_dir("server_image_root"));
  fs::create_directories(base / "root");
  auto solid = [](uint8_t r, uint8_t g, uint8_t b) {
    image::Image im = image::make_image(8, 8);
    for (size_t i = 0; i < im.pixels.size(); i += 3) im.pixels[i] = r, im.pixels[i + 1] = g, im.pixels[i + 2] = b;
    return im;
  };
  image::encode_png(solid(250, 10, 10), (base / "root" / "inside.png").string());
  image::encode_png(solid(10, 10, 250), (base / "outside.png").string());
  auto o = test::fixture_server_options();
  o.image_root = (base / "root").string();
  test::TestServer s(o);
  auto embed = [&](const std::string& url) {
    return post("/v1/embeddings", {{"model", "clip"}, {"input", {{{"type", "image_url"}, {"image_url", {{"url", url}}}}}}}, "", &s);
  };
  auto inside = embed("inside.png");
  ASSERT_EQ(inside.status, 200) << inside.raw;
  expect_error(embed("../outside.png"), 403);
  expect_error(embed(std::string("inside.png\0../outside.png", 25)), 400);

  fs::create_symlink("inside.png", base / "root" / "flip.png");
  std::atomic<bool> stop{false};
  std::thread flipper([&] {
    for (unsigned i = 0; !stop; ++i) {
      std::error_code ec;
      fs::remove(base / "root" / "flip.tmp", ec);
      fs::create_symlink(i % 2 ? fs::path("inside.png") : base / "outside.png", base / "root" / "flip.tmp", ec);
      fs::rename(base / "root" / "flip.tmp", base / "root" / "flip.png", ec);
    }
  });
  int served = 0;
  for (int i = 0; i < 1500; ++i) {
    auto r = embed("flip.png");
    if (r.status == 200) {
      ++served;
      ASSERT_EQ(r.body["data"][0]["embedding"], inside.body["data"][0]["embedding"]) << "request " << i;
    } else {
      ASSERT_TRUE(r.status == 403 || r.status == 404) << r.raw;
    }
  }
  stop = true;
  flipper.join();
  EXPECT_GT(served, 0);
}

TEST(ServerImages, RemoteUrlsOnlyWhenAllowedAndFetchedOverHttp) {
  // A plain HTTP server with one image, standing in for a remote host.
  httplib::Server images;
  const std::string jpeg = read_file(img("dog.jpg"));
  images.Get("/dog.jpg", [&](const httplib::Request&, httplib::Response& res) { res.set_content(jpeg, "image/jpeg"); });
  const int port = images.bind_to_any_port("127.0.0.1");
  std::thread t([&] { images.listen_after_bind(); });
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/dog.jpg";

  auto o = test::fixture_server_options();
  o.allow_remote_images = true;
  test::TestServer s(o);
  auto r = post("/v1/embeddings", {{"model", "clip"}, {"input", {{{"type", "image_url"}, {"image_url", {{"url", url}}}}}}}, "", &s);
  EXPECT_EQ(r.status, 200) << r.raw;
  // The same image by path gives the same embedding.
  auto local = post("/v1/embeddings", {{"model", "clip"}, {"input", {{{"type", "image_url"}, {"image_url", {{"url", "dog.jpg"}}}}}}}, "", &s);
  ASSERT_EQ(local.status, 200) << local.raw;
  EXPECT_EQ(r.body["data"][0]["embedding"], local.body["data"][0]["embedding"]);
  // Unreachable hosts, http or https, are one clear 400; without the flag, 403 (shared server).
  for (const char* bad : {"http://127.0.0.1:1/x.png", "https://127.0.0.1:1/x.png"}) {
    expect_error(post("/v1/segment", {{"model", "sam"}, {"image", bad}, {"points", {{1, 1}}}}, "", &s), 400, "image");
    expect_error(post("/v1/segment", {{"model", "sam"}, {"image", bad}, {"points", {{1, 1}}}}), 403, "image");
  }
  images.stop();
  t.join();
}

TEST(ServerMetrics, RequestPathsCannotMintLabelsOrInjectLines) {
  // A fresh server, so the counts below are this test's alone.
  test::TestServer s(test::fixture_server_options());
  // %0A decodes to a newline in the path: unescaped, it would end the label line and
  // start a forged metric.
  EXPECT_EQ(get("/x%22%7D%201%0Aargus_injected_total%201%0A%23", &s).status, 404);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(get("/nope/" + std::to_string(i), &s).status, 404);
  EXPECT_EQ(get("/health", &s).status, 200);
  const std::string m = get("/metrics", &s).raw;
  EXPECT_EQ(m.find("argus_injected_total"), std::string::npos) << m;
  EXPECT_EQ(m.find("/nope/"), std::string::npos) << m;
  EXPECT_NE(m.find("argus_requests_total{route=\"(unrouted)\",status=\"404\"} 51"), std::string::npos) << m;
  EXPECT_NE(m.find("argus_requests_total{route=\"/health\",status=\"200\"} 1"), std::string::npos) << m;
}
