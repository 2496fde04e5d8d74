// DETR through the front ends: `argus detect` and the server's /v1/detect find the
// checkpoint's own classes without queries, agree with each other, and refuse
// queries as a closed-set detector must; `argus inspect` names the family.
#include <gtest/gtest.h>

#include "cli_runner.h"
#include "parity.h"
#include "server_fixture.h"

using namespace argus;
using json = nlohmann::json;

namespace {

std::string img(const std::string& name) { return test::asset("images/" + name); }

test::TestServer& server() {
  static test::TestServer s([] {
    auto o = test::fixture_server_options();
    o.models = {{"detr", test::fixture("detr")}, {"owlvit", test::fixture("owlvit")}};
    return o;
  }());
  return s;
}

json post(const std::string& path, const json& body, int* status) {
  auto r = server().client().Post(path.c_str(), body.dump(), "application/json");
  *status = r ? r->status : 0;
  return r ? json::parse(r->body, nullptr, false) : json();
}

}  // namespace

TEST(CliDetr, DetectsItsOwnClassesWithoutQueries) {
  auto r = test::run_cli({"detect", "--model", test::fixture("detr"), "--image", img("dogs.jpg"), "--threshold", "0",
                          "--json"});
  ASSERT_EQ(r.rc, 0) << r.err;
  auto j = r.json();
  EXPECT_EQ(j["image_size"], (std::vector<int>{603, 1072}));
  const auto& dets = j["detections"];
  ASSERT_EQ(dets.size(), 20u);  // one per query: no NMS unless asked for
  double prev = 2;
  for (const auto& d : dets) {
    EXPECT_LE(d["score"].get<double>(), prev);
    prev = d["score"].get<double>();
    EXPECT_EQ(d["label"], "LABEL_" + std::to_string(d["query"].get<int>()));
  }
  auto top = test::run_cli({"detect", "--model", test::fixture("detr"), "--image", img("dogs.jpg"), "--threshold", "0",
                            "--top-k", "4", "--json"});
  ASSERT_EQ(top.rc, 0) << top.err;
  EXPECT_EQ(top.json()["detections"].size(), 4u);
  // NMS only when asked: the random fixture's boxes overlap, so it removes some.
  auto nms = test::run_cli({"detect", "--model", test::fixture("detr"), "--image", img("dogs.jpg"), "--threshold", "0",
                            "--nms", "0.5", "--json"});
  ASSERT_EQ(nms.rc, 0) << nms.err;
  EXPECT_LT(nms.json()["detections"].size(), 20u);
}

TEST(CliDetr, QueriesAreRefusedAsClosedSet) {
  auto q = test::run_cli({"detect", "--model", test::fixture("detr"), "--image", img("dogs.jpg"), "--query", "a dog"});
  EXPECT_CLEAN_ERROR(q, "closed-set");
  auto e = test::run_cli(
      {"detect", "--model", test::fixture("detr"), "--image", img("dogs.jpg"), "--exemplar", img("dog.jpg") + ":1,2,30,40"});
  EXPECT_CLEAN_ERROR(e, "closed-set");
  auto i = test::run_cli({"inspect", "--model", test::fixture("detr")});
  EXPECT_EQ(i.rc, 0) << i.err;
  EXPECT_NE(i.out.find("DetrForObjectDetection  (DETR, model_type detr)"), std::string::npos) << i.out;
}

TEST(ServerDetr, DetectRouteAnswersAsTheCli) {
  int status = 0;
  auto d = post("/v1/detect", {{"model", "detr"}, {"image", "dogs.jpg"}, {"threshold", 0.0}, {"top_k", 6}}, &status);
  ASSERT_EQ(status, 200) << d.dump();
  auto cli = test::run_cli({"detect", "--model", test::fixture("detr"), "--image", img("dogs.jpg"), "--threshold", "0",
                            "--top-k", "6", "--json"});
  ASSERT_EQ(cli.rc, 0) << cli.err;
  const auto want = cli.json()["detections"];
  ASSERT_EQ(d["detections"].size(), want.size());
  for (size_t k = 0; k < want.size(); ++k) {
    EXPECT_EQ(d["detections"][k]["label"], want[k]["label"]);
    EXPECT_NEAR(d["detections"][k]["score"].get<double>(), want[k]["score"].get<double>(), 1e-5);
  }
  auto refused = post("/v1/detect", {{"model", "detr"}, {"image", "dogs.jpg"}, {"queries", {"a dog"}}}, &status);
  EXPECT_EQ(status, 400);
  EXPECT_NE(refused["error"]["message"].get<std::string>().find("closed-set"), std::string::npos) << refused.dump();
}
