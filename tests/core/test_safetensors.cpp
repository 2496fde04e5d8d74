#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "io/checkpoint.h"
#include "io/safetensors.h"
#include "util/error.h"
#include "../common/temp_dir.h"

using namespace argus;
using namespace argus::io;

namespace {

std::string with_header(const std::string& json, const std::string& data) {
  std::string out(8, '\0');
  uint64_t n = json.size();
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>(n >> (8 * i));
  return out + json + data;
}

SafetensorsHeader parse(const std::string& bytes) {
  return parse_safetensors(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
}

std::string error_of(const std::string& bytes) {
  try {
    parse(bytes);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

std::string tmpdir(const char* name) {
  return argus::test::fresh_temp_dir(std::string("test_") + name);
}

}  // namespace

TEST(Safetensors, ParsesValidHeaderAndPointsIntoData) {
  std::string data(8, '\0');
  float v[2] = {1.5f, -2.0f};
  std::memcpy(data.data(), v, 8);
  // The parsed entries point into the bytes, which must outlive them.
  const std::string bytes =
      with_header(R"({"__metadata__":{"format":"pt"},"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", data);
  auto h = parse(bytes);
  ASSERT_EQ(h.tensors.size(), 1u);
  EXPECT_EQ(h.metadata.at("format"), "pt");
  EXPECT_EQ(h.tensors[0].shape, std::vector<int64_t>({2}));
  float got[2];
  std::memcpy(got, h.tensors[0].data, 8);
  EXPECT_EQ(got[1], -2.0f);
}

TEST(Safetensors, RejectsHeaderLongerThanFile) {
  std::string b = with_header(R"({})", "");
  b[0] = static_cast<char>(200);
  EXPECT_NE(error_of(b).find("longer than the file"), std::string::npos);
}

TEST(Safetensors, RejectsShortFile) { EXPECT_NE(error_of("abc").find("shorter"), std::string::npos); }

TEST(Safetensors, RejectsMalformedJson) {
  EXPECT_NE(error_of(with_header("{\"w\":", "")).find("not valid JSON"), std::string::npos);
}

TEST(Safetensors, RejectsOffsetsPastEnd) {
  auto e = error_of(with_header(R"({"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", std::string(8, '\0')));
  EXPECT_NE(e.find("run past the end"), std::string::npos) << e;
}

TEST(Safetensors, RejectsOverlap) {
  auto e = error_of(with_header(
      R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
      std::string(12, '\0')));
  EXPECT_NE(e.find("overlap"), std::string::npos) << e;
}

TEST(Safetensors, RejectsDtypeByteMismatch) {
  auto e = error_of(with_header(R"({"w":{"dtype":"F16","shape":[3],"data_offsets":[0,8]}})", std::string(8, '\0')));
  EXPECT_NE(e.find("holds 8 bytes"), std::string::npos) << e;
}

TEST(Safetensors, RejectsUnknownDtypeAndBadShape) {
  EXPECT_NE(error_of(with_header(R"({"w":{"dtype":"Q4","shape":[1],"data_offsets":[0,1]}})", "x")).find("Q4"),
            std::string::npos);
  EXPECT_NE(error_of(with_header(R"({"w":{"dtype":"U8","shape":[-1],"data_offsets":[0,1]}})", "x")).find("negative"),
            std::string::npos);
  EXPECT_NE(error_of(with_header(R"({"w":{"dtype":"U8","shape":[4294967296,4294967296,16],"data_offsets":[0,1]}})", "x"))
                .find("overflows"),
            std::string::npos);
  EXPECT_NE(error_of(with_header(R"({"w":{"dtype":"U8","shape":[1],"data_offsets":[1,0]}})", "x")).find("ends before"),
            std::string::npos);
}

TEST(Safetensors, WriteThenOpenRoundTrips) {
  auto dir = tmpdir("st_rt");
  std::string bytes(6, '\0');
  uint16_t half[3] = {0x3c00, 0xc000, 0x0000};
  std::memcpy(bytes.data(), half, 6);
  write_safetensors(dir + "/model.safetensors", {{"x.weight", {DType::F16, {3}, bytes}}}, {{"format", "pt"}});
  auto f = SafetensorsFile::open(dir + "/model.safetensors");
  EXPECT_EQ(f->at("x.weight").dtype, DType::F16);
  EXPECT_EQ(std::memcmp(f->at("x.weight").data, half, 6), 0);
  EXPECT_THROW(f->at("missing"), Error);
}

TEST(Checkpoint, OpensShardedIndex) {
  auto dir = tmpdir("sharded");
  write_safetensors(dir + "/model-00001-of-00002.safetensors", {{"a", {DType::U8, {2}, "ab"}}});
  write_safetensors(dir + "/model-00002-of-00002.safetensors", {{"b", {DType::U8, {1}, "c"}}});
  std::ofstream(dir + "/model.safetensors.index.json")
      << R"({"metadata":{},"weight_map":{"a":"model-00001-of-00002.safetensors","b":"model-00002-of-00002.safetensors"}})";
  auto ck = Checkpoint::open(dir);
  ASSERT_EQ(ck.tensors().size(), 2u);
  EXPECT_EQ(ck.find("b")->entry->data[0], 'c');
}

TEST(Checkpoint, ShardIndexNamingAMissingTensorFails) {
  auto dir = tmpdir("sharded_bad");
  write_safetensors(dir + "/s1.safetensors", {{"a", {DType::U8, {1}, "a"}}});
  std::ofstream(dir + "/model.safetensors.index.json") << R"({"weight_map":{"a":"s1.safetensors","zz":"s1.safetensors"}})";
  try {
    Checkpoint::open(dir);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("zz"), std::string::npos) << e.what();
  }
}

TEST(Checkpoint, TruncatedFileIsAnError) {
  auto dir = tmpdir("trunc");
  write_safetensors(dir + "/model.safetensors", {{"a", {DType::F32, {64}, std::string(256, '\1')}}});
  std::filesystem::resize_file(dir + "/model.safetensors", std::filesystem::file_size(dir + "/model.safetensors") - 10);
  EXPECT_THROW(Checkpoint::open(dir), Error);
}

TEST(Checkpoint, ReadsFixtureClip) {
  auto ck = Checkpoint::open(std::string(ARGUS_SHARED_DIR) + "/fixtures/clip");
  EXPECT_EQ(ck.config().at("model_type"), "clip");
  const auto* t = ck.find("visual_projection.weight");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->entry->dtype, DType::F16);
  EXPECT_EQ(t->entry->shape, std::vector<int64_t>({24, 48}));
}
