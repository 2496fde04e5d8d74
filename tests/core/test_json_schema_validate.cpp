// Tool arguments checked against their schemas: each failure names the place and what
// was expected; keywords outside the subset are refused rather than silently unchecked.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "text/constrain/json_schema_validate.h"
#include "util/error.h"

using argus::text::constrain::schema_violation;
using json = nlohmann::json;

namespace {

const json kSchema = json::parse(R"({
  "type": "object",
  "properties": {
    "image": {"type": "string", "maxLength": 8},
    "box": {"type": "array", "items": {"type": "number"}, "minItems": 4, "maxItems": 4},
    "k": {"type": "integer", "minimum": 1, "maximum": 10},
    "mode": {"enum": ["fast", "exact"]}
  },
  "required": ["image"],
  "additionalProperties": false
})");

}  // namespace

TEST(JsonSchemaValidate, AcceptsValidArguments) {
  EXPECT_EQ(schema_violation(json::parse(R"({"image":"image_1","box":[0,1,2.5,3],"k":3,"mode":"fast"})"), kSchema), "");
  EXPECT_EQ(schema_violation(json::parse(R"({"image":"image_1","k":3.0})"), kSchema), "");  // 3.0 is an integer
}

TEST(JsonSchemaValidate, NamesTheFailingPlace) {
  EXPECT_EQ(schema_violation(json::parse(R"({"box":[0,0,1,1]})"), kSchema), "image: is required");
  EXPECT_EQ(schema_violation(json::parse(R"({"image":7})"), kSchema), "image: expected string, got an integer");
  EXPECT_EQ(schema_violation(json::parse(R"({"image":"a","box":[0,0,"x",1]})"), kSchema),
            "box[2]: expected number, got a string");
  EXPECT_EQ(schema_violation(json::parse(R"({"image":"a","box":[0,0,1]})"), kSchema), "box: must have at least 4 items");
  EXPECT_EQ(schema_violation(json::parse(R"({"image":"a","k":0})"), kSchema), "k: must be >= 1");
  EXPECT_EQ(schema_violation(json::parse(R"({"image":"a","k":2.5})"), kSchema), "k: expected integer, got a number");
  EXPECT_EQ(schema_violation(json::parse(R"({"image":"a","mode":"slow"})"), kSchema),
            "mode: must be one of [\"fast\",\"exact\"]");
  EXPECT_EQ(schema_violation(json::parse(R"({"image":"a","extra":1})"), kSchema), "extra: is not an argument of this tool");
  EXPECT_EQ(schema_violation(json::parse(R"({"image":"123456789"})"), kSchema), "image: must have at most 8 characters");
  EXPECT_EQ(schema_violation(json::array(), kSchema), "arguments: expected object, got an array");
}

TEST(JsonSchemaValidate, CountsCharactersNotBytes) {
  // Eight characters of two bytes each fit a maxLength of 8.
  EXPECT_EQ(schema_violation(json::parse(R"({"image":"éééééééé"})"), kSchema), "");
}

TEST(JsonSchemaValidate, RefusesKeywordsItCannotCheck) {
  const json with_pattern = {{"type", "string"}, {"pattern", "^a"}};
  EXPECT_THROW(schema_violation("abc", with_pattern), argus::Error);
}
