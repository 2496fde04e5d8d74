// The agent's tools: every schema is one the validator checks, arguments that fail it
// are refused naming the field, images are named by ids (unknown ones refused, none
// ever shown as a host path), and the tools run the committed world experts on a
// rendered world scene whose objects are known.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "../common/temp_dir.h"
#include "image/decode.h"
#include "image/encode_png.h"
#include "image/geometry.h"
#include "image/overlay_text.h"
#include "parity.h"
#include "tasks/agent/mcp_tools.h"
#include "tasks/agent/tool_table.h"
#include "text/constrain/json_schema_validate.h"
#include "util/base64.h"
#include "util/error.h"
#include "world/raster.h"
#include "world/scene.h"

using namespace argus;
using namespace argus::tasks::agent;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

const std::string kWorld = std::string(ARGUS_TEST_DATA) + "/../../models/world";

ExpertPaths world_paths() {
  ExpertPaths p;
  p.clip = kWorld + "/clip";
  p.detector = kWorld + "/owl";
  p.segmenter = kWorld + "/sam";
  p.vlm = kWorld + "/llava";
  return p;
}

// One set of loaded experts for the suite (loading is the slow part).
Experts& world_experts() {
  static Experts e(world_paths());
  return e;
}

// A held-out world scene: its rendering and its objects' exact visible boxes.
const world::Scene& scene() {
  static const world::Scene s = world::make_scene(1, "heldout", 3);
  return s;
}

struct Tools {
  ImageStore images;
  std::vector<const Tool*> offered = offered_tools(world_experts());
  ToolContext ctx{images, world_experts()};
  std::string image_id = images.add("image", world::render(scene()));
  ToolOutcome call(const std::string& name, const json& args) { return call_tool(offered, name, args, ctx); }
};

}  // namespace

TEST(AgentTools, SchemasAreCheckableAndNamesUnique) {
  std::set<std::string> names;
  for (const auto& t : all_tools()) {
    EXPECT_TRUE(names.insert(t.name).second) << t.name;
    EXPECT_EQ(t.parameters["type"], "object") << t.name;
    EXPECT_NO_THROW(text::constrain::schema_violation(json::object(), json(t.parameters))) << t.name;
    EXPECT_FALSE(t.description.empty()) << t.name;
  }
}

TEST(AgentTools, OffersOnlyToolsWhoseModelsAreConfigured) {
  Experts none(ExpertPaths{});
  std::set<std::string> offered;
  for (const auto* t : offered_tools(none)) offered.insert(t->name);
  EXPECT_EQ(offered, (std::set<std::string>{"load_image", "crop", "ocr"}));
  std::set<std::string> world;
  for (const auto* t : offered_tools(world_experts())) world.insert(t->name);
  EXPECT_TRUE(world.count("detect") && world.count("segment") && world.count("ground") && world.count("ask"));
  EXPECT_FALSE(world.count("refseg"));  // no CLIPSeg among the world models
  EXPECT_FALSE(world.count("search"));  // nor an index
  EXPECT_THROW(offered_tools(none, {"detect"}), Error);
  EXPECT_THROW(offered_tools(world_experts(), {"teleport"}), Error);
  EXPECT_EQ(offered_tools(world_experts(), {"crop", "detect"}).size(), 2u);
}

TEST(AgentTools, RefusesBadArgumentsNamingTheField) {
  Tools t;
  auto bad = t.call("detect", {{"image", t.image_id}});
  EXPECT_FALSE(bad.ok);
  EXPECT_EQ(bad.error, "detect: queries: is required");
  bad = t.call("crop", {{"image", t.image_id}, {"box", {1, 2, 3}}});
  EXPECT_EQ(bad.error, "crop: box: must have at least 4 items");
  bad = t.call("crop", {{"image", t.image_id}, {"box", {1, 2, 3, 4}}, {"zoom", 2}});
  EXPECT_EQ(bad.error, "crop: zoom: is not an argument of this tool");
  bad = t.call("crop", {{"image", t.image_id}, {"box", {10, 10, 5, 20}}});
  EXPECT_NE(bad.error.find("x1 > x0"), std::string::npos) << bad.error;
  bad = t.call("crop", json::array());
  EXPECT_EQ(bad.error, "crop: the arguments must be a JSON object");
  bad = t.call("teleport", json::object());
  EXPECT_NE(bad.error.find("there is no tool \"teleport\""), std::string::npos) << bad.error;
  bad = t.call("segment", {{"image", t.image_id}});
  EXPECT_NE(bad.error.find("a point or a box"), std::string::npos) << bad.error;
}

TEST(AgentTools, RefusesUnknownImageIds) {
  Tools t;
  auto r = t.call("crop", {{"image", "image_9"}, {"box", {0, 0, 4, 4}}});
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error, "crop: there is no image \"image_9\" (images: image_1)");
}

TEST(AgentTools, StoreDropsItsOldestImagesAndSaysSo) {
  ImageStore s(2);
  const auto a = s.add("crop", image::make_image(2, 2));
  s.add("crop", image::make_image(2, 2));
  const auto c = s.add("mask", image::make_image(2, 2));
  EXPECT_EQ(c, "mask_1");  // a counter per kind
  EXPECT_EQ(s.size(), 2u);
  try {
    s.get(a);
    FAIL() << "the dropped image was served";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no longer held"), std::string::npos) << e.what();
  }
}

TEST(AgentTools, CropCutsTheBoxAsANewImage) {
  Tools t;
  auto r = t.call("crop", {{"image", t.image_id}, {"box", {10.5, 20, 40, 50.2}}});
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.result.image_id, "crop_1");
  const auto& crop = t.images.get("crop_1");
  // Whole pixels covering the box: columns 10..39, rows 20..50.
  auto expected = image::crop(t.images.get(t.image_id), 10, 20, 30, 31);
  EXPECT_EQ(crop.width, 30);
  EXPECT_EQ(crop.height, 31);
  EXPECT_EQ(crop.pixels, expected.pixels);
  // A box reaching past the border is clipped to it; one wholly outside is refused.
  const auto& im = t.images.get(t.image_id);
  r = t.call("crop", {{"image", t.image_id}, {"box", {-5, -5, 8, 8}}});
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.result.data["box"], json({0, 0, 8, 8}));
  r = t.call("crop", {{"image", t.image_id}, {"box", {im.width + 1.0, 0, im.width + 9.0, 5}}});
  EXPECT_NE(r.error.find("outside"), std::string::npos) << r.error;
}

TEST(AgentTools, SegmentMasksTheObjectInItsBox) {
  Tools t;
  const auto& ob = scene().objects.at(0);
  const double x0 = ob.bbox[0], y0 = ob.bbox[1], x1 = x0 + ob.bbox[2], y1 = y0 + ob.bbox[3];
  auto r = t.call("segment", {{"image", t.image_id}, {"box", {x0, y0, x1, y1}}});
  ASSERT_TRUE(r.ok) << r.error;
  const auto& d = r.result.data;
  ASSERT_TRUE(t.images.contains(d["mask"].get<std::string>()));
  EXPECT_EQ(r.result.image_id, d["overlay"]);
  // The world SAM's box masks overlap their objects well (point mIoU 0.83 in the README):
  // the mask's area is within a factor of two of the object's visible area.
  EXPECT_GT(d["area"].get<double>(), 0.5 * ob.visible_area) << r.result.text;
  EXPECT_LT(d["area"].get<double>(), 2.0 * ob.visible_area) << r.result.text;
  const auto& mask = t.images.get(d["mask"].get<std::string>());
  EXPECT_EQ(mask.width, t.images.get(t.image_id).width);
}

TEST(AgentTools, DetectCountsWhatItBoxed) {
  Tools t;
  auto r = t.call("detect", {{"image", t.image_id}, {"queries", {"a shape", "a zebra"}}});
  ASSERT_TRUE(r.ok) << r.error;
  const auto& d = r.result.data;
  int total = 0;
  for (const auto& [label, n] : d["counts"].items()) total += n.get<int>();
  EXPECT_EQ(total, static_cast<int>(d["detections"].size()));
  EXPECT_TRUE(d["counts"].contains("a zebra"));  // every query has a count, 0 included
  ASSERT_TRUE(t.images.contains(r.result.image_id));
  // The overlay is the image with boxes drawn: same size, other pixels where boxes are.
  const auto& overlay = t.images.get(r.result.image_id);
  EXPECT_EQ(overlay.width, t.images.get(t.image_id).width);
  if (total > 0) EXPECT_NE(overlay.pixels, t.images.get(t.image_id).pixels);
}

TEST(AgentTools, ClassifyRanksLabelsByProbability) {
  Tools t;
  const auto& ob = scene().objects.at(0);
  auto crop = t.call("crop", {{"image", t.image_id},
                              {"box", {ob.bbox[0], ob.bbox[1], ob.bbox[0] + ob.bbox[2], ob.bbox[1] + ob.bbox[3]}}});
  ASSERT_TRUE(crop.ok) << crop.error;
  auto r = t.call("classify", {{"image", crop.result.image_id}, {"labels", {"red", "green", "blue", "white"}}});
  ASSERT_TRUE(r.ok) << r.error;
  const auto& labels = r.result.data["labels"];
  ASSERT_EQ(labels.size(), 4u);
  double sum = 0;
  for (size_t i = 0; i < labels.size(); ++i) {
    sum += labels[i]["prob"].get<double>();
    if (i) EXPECT_GE(labels[i - 1]["prob"].get<double>(), labels[i]["prob"].get<double>());
  }
  EXPECT_NEAR(sum, 1.0, 1e-5);
}

TEST(AgentTools, GroundGivesAMaskPerObject) {
  Tools t;
  auto r = t.call("ground", {{"image", t.image_id}, {"phrases", "a shape."}});
  ASSERT_TRUE(r.ok) << r.error;
  for (const auto& o : r.result.data["objects"]) EXPECT_TRUE(t.images.contains(o["mask"].get<std::string>()));
  EXPECT_TRUE(t.images.contains(r.result.image_id));
}

TEST(AgentTools, AskAnswersWithTheVlm) {
  Tools t;
  auto r = t.call("ask", {{"image", t.image_id}, {"question", "How many shapes are there?"}});
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_FALSE(r.result.text.empty());
  EXPECT_EQ(r.result.data["answer"], r.result.text);
}

TEST(AgentTools, OcrReadsTextAndSaysWhenThereIsNone) {
  Tools t;
  image::Image sign = image::make_image(420, 120);
  std::fill(sign.pixels.begin(), sign.pixels.end(), 255);
  image::draw_text(sign, 20, 30, "HELLO 42", {0, 0, 0}, {255, 255, 255}, 6);
  const std::string id = t.images.add("image", sign);
  auto r = t.call("ocr", {{"image", id}});
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.result.data["text"], "HELLO 42");
  EXPECT_EQ(r.result.data["words"].size(), 2u);
  // A world scene has shapes and no text.
  auto none = t.call("ocr", {{"image", t.image_id}});
  ASSERT_TRUE(none.ok) << none.error;
  EXPECT_EQ(none.result.text, "no text found");
  EXPECT_TRUE(none.result.data["words"].empty());
}

TEST(AgentTools, LoadImageStaysUnderItsRoot) {
  fs::path root = test::fresh_temp_dir("agent_root");
  fs::create_directories(root / "in");
  image::encode_png(world::render(scene()), (root / "in" / "scene.png").string());
  std::ofstream(root / "notes.txt") << "not an image";
  ExpertPaths p;
  p.image_root = fs::canonical(root).string();
  Experts experts(p);
  ImageStore images;
  ToolContext ctx{images, experts};
  auto tools = offered_tools(experts);
  auto call = [&](const json& args) { return call_tool(tools, "load_image", args, ctx); };
  auto ok = call({{"path", "in/scene.png"}});
  ASSERT_TRUE(ok.ok) << ok.error;
  EXPECT_EQ(ok.result.data["image"], "image_1");
  EXPECT_EQ(ok.result.data["width"], scene().width);
  for (const json& args : {json{{"path", "../outside.png"}}, json{{"path", "/etc/passwd"}}, json{{"path", "missing.png"}},
                           json{{"path", "notes.txt"}}}) {
    auto r = call(args);
    EXPECT_FALSE(r.ok) << args;
    EXPECT_EQ(r.error.find(p.image_root), std::string::npos) << r.error;  // the root is never shown
  }
  // Bytes work without any root; bad ones are refused.
  auto png = image::encode_png(world::render(scene()));
  auto data = call({{"data", util::base64_encode(png.data(), png.size())}});
  ASSERT_TRUE(data.ok) << data.error;
  EXPECT_EQ(images.get(data.result.data["image"].get<std::string>()).pixels, world::render(scene()).pixels);
  EXPECT_FALSE(call({{"data", "bm90IGFuIGltYWdl"}}).ok);  // "not an image"
  EXPECT_FALSE(call({{"data", "!!!"}}).ok);
  EXPECT_FALSE(call({{"path", "in/scene.png"}, {"data", "AAAA"}}).ok);
  Experts rootless(ExpertPaths{});
  ToolContext ctx2{images, rootless};
  auto r = call_tool(offered_tools(rootless), "load_image", {{"path", "in/scene.png"}}, ctx2);
  EXPECT_NE(r.error.find("--image-root"), std::string::npos) << r.error;
}

TEST(AgentTools, FailuresNeverShowHostPaths) {
  // A model that cannot load: the caller learns which expert, not where it lies.
  ExpertPaths p;
  p.detector = "/nonexistent/secret/owl";
  Experts experts(p);
  ImageStore images;
  ToolContext ctx{images, experts};
  const std::string id = images.add("image", image::make_image(8, 8));
  auto r = call_tool(offered_tools(experts), "detect", {{"image", id}, {"queries", {"a"}}}, ctx);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error, "detect: the detector model could not be loaded");
  // A tool that throws something other than argus's own errors.
  Tool boom;
  boom.name = "boom";
  boom.parameters = {{"type", "object"}};
  boom.run = [](const json&, ToolContext&) -> ToolResult { throw std::runtime_error("/secret/internal/state"); };
  r = call_tool({&boom}, "boom", json::object(), ctx);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error.find("/secret"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("the boom tool failed"), std::string::npos) << r.error;
}

TEST(AgentTools, McpResultsCarryTextJsonAndThePng) {
  McpTools mcp(offered_tools(world_experts(), {"load_image", "crop"}), world_experts());
  auto png = image::encode_png(world::render(scene()));
  auto loaded = mcp.call_tool("load_image", {{"data", util::base64_encode(png.data(), png.size())}});
  ASSERT_EQ(loaded["isError"], false) << loaded;
  EXPECT_EQ(loaded["content"].size(), 1u);  // the caller's own image is not sent back
  auto r = mcp.call_tool("crop", {{"image", "image_1"}, {"box", {0, 0, 16, 12}}});
  ASSERT_EQ(r["isError"], false) << r;
  EXPECT_EQ(r["structuredContent"]["crop"], "crop_1");
  ASSERT_EQ(r["content"].size(), 2u);
  EXPECT_EQ(r["content"][0]["type"], "text");
  EXPECT_EQ(r["content"][1]["type"], "image");
  EXPECT_EQ(r["content"][1]["mimeType"], "image/png");
  auto bytes = util::base64_decode(r["content"][1]["data"].get<std::string>());
  auto decoded = image::decode_image(bytes.data(), bytes.size());
  EXPECT_EQ(decoded.pixels, image::crop(world::render(scene()), 0, 0, 16, 12).pixels);
  auto bad = mcp.call_tool("crop", {{"image", "image_7"}, {"box", {0, 0, 1, 1}}});
  EXPECT_EQ(bad["isError"], true);
  EXPECT_TRUE(mcp.has_tool("crop"));
  EXPECT_FALSE(mcp.has_tool("detect"));  // not offered here
}
