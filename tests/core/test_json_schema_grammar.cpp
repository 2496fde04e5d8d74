// The JSON-schema grammar on its own: what it admits byte by byte, the schema subset and
// its errors, and a property test: random walks through random schemas' grammars always
// end in JSON that parses and validates.
#include <gtest/gtest.h>

#include <random>

#include <nlohmann/json.hpp>

#include "../common/error_of.h"
#include "../common/json_schema_check.h"
#include "text/constrain/json_schema_grammar.h"
#include "text/constrain/vocab_trie.h"
#include "util/error.h"

using namespace argus::text::constrain;
using argus::test::error_of;
using nlohmann::json;

namespace {

using ordered = nlohmann::ordered_json;

// Schemas are ordered: properties are generated in the schema's key order.
JsonMatcher matcher(const ordered& schema) { return JsonMatcher(JsonGrammar::compile(schema)); }

// Whether the whole text is a complete value for the schema.
bool accepts(const ordered& schema, const std::string& text) {
  auto m = matcher(schema);
  return m.advance(text) && m.can_end();
}

}  // namespace

TEST(JsonSchemaGrammar, ObjectsInSchemaOrderWithOptionalProperties) {
  ordered s = ordered::parse(R"({"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer"},
                           "tags": {"type": "array", "items": {"enum": ["a", "b"]}, "maxItems": 2}},
                           "required": ["name"]})");
  EXPECT_TRUE(accepts(s, R"({"name":"Al"})"));
  EXPECT_TRUE(accepts(s, R"({"name":"Al","age":-12,"tags":["a","b"]})"));
  EXPECT_TRUE(accepts(s, R"({"name":"Al","tags":[]})"));      // optional "age" left out
  EXPECT_FALSE(accepts(s, R"({"age":3})"));                   // required "name" missing
  EXPECT_FALSE(accepts(s, R"({"name":"Al","age":1.5})"));     // integer
  EXPECT_FALSE(accepts(s, R"({"name":"Al","tags":["a","b","a"]})"));  // maxItems
  EXPECT_FALSE(accepts(s, R"({"name":"Al","tags":["c"]})"));  // enum
  EXPECT_FALSE(accepts(s, R"({"name":"Al","colour":1})"));    // unknown key
  EXPECT_FALSE(accepts(s, R"({"name": "Al"})"));              // compact: no whitespace
  // A prefix is not complete; a complete object admits nothing more.
  auto m = matcher(s);
  ASSERT_TRUE(m.advance(std::string(R"({"name":"x")")));
  EXPECT_FALSE(m.can_end());
  ASSERT_TRUE(m.advance('}'));
  EXPECT_TRUE(m.can_end());
  EXPECT_TRUE(m.must_end());
  EXPECT_FALSE(m.advance(' '));
}

TEST(JsonSchemaGrammar, ScalarsConstAnyOfAndLengths) {
  EXPECT_TRUE(accepts({{"type", "number"}}, "-0.5e+3"));
  EXPECT_FALSE(accepts({{"type", "number"}}, "01"));
  EXPECT_FALSE(accepts({{"type", "number"}}, "1."));
  auto n = matcher({{"type", "number"}});
  ASSERT_TRUE(n.advance(std::string("12")));
  EXPECT_TRUE(n.can_end());
  EXPECT_FALSE(n.must_end());  // "123" may still come
  EXPECT_TRUE(accepts({{"const", {{"k", json::array({1, "x"})}}}}, R"({"k":[1,"x"]})"));
  EXPECT_TRUE(accepts({{"enum", {1, 12}}}, "1"));
  EXPECT_TRUE(accepts({{"enum", {1, 12}}}, "12"));
  ordered any_of = {{"anyOf", {{{"type", "string"}, {"maxLength", 2}}, {{"type", "null"}}}}};
  EXPECT_TRUE(accepts(any_of, "null"));
  EXPECT_TRUE(accepts(any_of, "\"ab\""));
  EXPECT_FALSE(accepts(any_of, "\"abc\""));
  EXPECT_TRUE(accepts({{"type", {"integer", "boolean"}}}, "true"));
  // Lengths count characters: "é" is one; escapes are one; raw control characters and
  // malformed UTF-8 are never admitted.
  ordered two = {{"type", "string"}, {"minLength", 2}, {"maxLength", 2}};
  EXPECT_TRUE(accepts(two, "\"é\\n\""));
  EXPECT_FALSE(accepts(two, "\"a\""));
  EXPECT_FALSE(accepts({{"type", "string"}}, "\"a\nb\""));
  EXPECT_FALSE(accepts({{"type", "string"}}, "\"\xC3\""));
  EXPECT_FALSE(accepts({{"type", "string"}}, "\"\xED\xA0\x80\""));  // a UTF-16 surrogate
  // {} and json_object: any value / any object.
  EXPECT_TRUE(accepts(ordered::object(), R"([1,{"a":null},"s"])"));
  auto obj = JsonMatcher(JsonGrammar::any_object());
  EXPECT_TRUE(obj.advance(std::string(R"({"x":[true,{"y":-1}]})")) && obj.can_end());
  EXPECT_FALSE(JsonMatcher(JsonGrammar::any_object()).advance('['));
}

TEST(JsonSchemaGrammar, OutsideTheSubsetIsRefusedByName) {
  auto err = [](const std::string& schema) {
    return error_of([&] { JsonGrammar::compile(nlohmann::ordered_json::parse(schema)); });
  };
  EXPECT_NE(err(R"({"type": "string", "pattern": "^a+$"})").find("'pattern' is not supported"), std::string::npos);
  EXPECT_NE(err(R"({"type": "object", "properties": {"a": {"$ref": "#/x"}}})").find("$.properties.a: '$ref'"),
            std::string::npos);
  EXPECT_NE(err(R"({"type": "number", "minimum": 0})").find("'minimum'"), std::string::npos);
  EXPECT_NE(err(R"({"oneOf": [{}, {}]})").find("'oneOf'"), std::string::npos);
  EXPECT_NE(err(R"({"type": "date"})").find("\"date\" is not a JSON Schema type"), std::string::npos);
  EXPECT_NE(err(R"({"type": "object", "properties": {"a": {}}, "required": ["b"]})").find("\"b\""), std::string::npos);
  EXPECT_NE(err(R"({"type": "array", "minItems": 3, "maxItems": 1})").find("minItems 3"), std::string::npos);
  EXPECT_NE(err(R"({"enum": []})").find("enum"), std::string::npos);
  EXPECT_NE(err(R"(false)").find("admits no value"), std::string::npos);
  // anyOf that multiplies out past the bound.
  std::string big = "{}";
  for (int i = 0; i < 10; ++i) big = R"({"anyOf": [)" + big + "," + big + "]}";
  EXPECT_NE(err(big).find("alternatives"), std::string::npos);
}

TEST(JsonSchemaGrammar, PropertyRandomWalksAlwaysGiveValidJson) {
  std::mt19937 rng(1234);
  for (int round = 0; round < 400; ++round) {
    const json schema = argus::test::random_schema(rng, 3);
    auto g = JsonGrammar::compile(schema);
    for (int walk = 0; walk < 3; ++walk) {
      JsonMatcher m(g);
      std::string out;
      for (int step = 0; step < 4000; ++step) {
        if (m.can_end() && (m.must_end() || rng() % 8 == 0)) break;
        // must_end() is exact: a value that can end and cannot grow says so.
        std::vector<unsigned char> ok;
        for (int c = 0; c < 256; ++c) {
          JsonMatcher probe = m;
          if (probe.advance(static_cast<unsigned char>(c))) ok.push_back(static_cast<unsigned char>(c));
        }
        ASSERT_FALSE(ok.empty()) << "dead end after " << out << " for " << schema.dump();
        unsigned char c = ok[rng() % ok.size()];
        ASSERT_TRUE(m.advance(c));
        out += static_cast<char>(c);
      }
      ASSERT_TRUE(m.can_end()) << out << " for " << schema.dump();
      json v = json::parse(out, nullptr, false);
      ASSERT_FALSE(v.is_discarded()) << out << " for " << schema.dump();
      EXPECT_TRUE(argus::test::schema_valid(v, schema)) << out << " for " << schema.dump();
    }
  }
}

TEST(VocabTrie, MasksWholeTokensTheGrammarTakes) {
  // ids: 0 '{', 1 '{"', 2 '"a"', 3 ':', 4 '1', 5 '}', 6 '{"a":1}', 7 'x', 8 '' (special)
  std::vector<std::string> vocab = {"{", "{\"", "\"a\"", ":", "1", "}", "{\"a\":1}", "x", ""};
  auto trie = std::make_shared<const VocabTrie>(vocab);
  ordered s = {{"type", "object"}, {"properties", {{"a", {{"type", "integer"}}}}}, {"required", {"a"}}};
  JsonTokenConstraint c(JsonGrammar::compile(s), trie);
  std::vector<uint8_t> allowed(vocab.size());
  bool may_end = true;
  c.next_allowed(allowed, may_end);
  EXPECT_EQ(allowed, (std::vector<uint8_t>{1, 1, 0, 0, 0, 0, 1, 0, 0}));
  EXPECT_FALSE(may_end);
  c.accept(1);  // {"
  c.next_allowed(allowed, may_end);
  EXPECT_EQ(allowed, (std::vector<uint8_t>{0, 0, 0, 0, 0, 0, 0, 0, 0}));  // no token spells a"
  EXPECT_THROW(c.accept(7), argus::Error);
  JsonTokenConstraint d(JsonGrammar::compile(s), trie);
  d.accept(6);
  d.next_allowed(allowed, may_end);
  EXPECT_TRUE(may_end);
  EXPECT_EQ(allowed, (std::vector<uint8_t>(vocab.size(), 0)));  // complete: only the end
}
