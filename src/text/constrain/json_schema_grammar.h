// JSON-schema-constrained output: a schema compiled into a byte-level matcher that says,
// after any prefix of output, which bytes may come next. The supported subset is what
// tool parameters and structured-output schemas use:
//   type (object, array, string, number, integer, boolean, null, or a list of them),
//   properties / required (generated in the schema's order; optional ones may be left
//   out), enum, const, items / minItems / maxItems, minLength / maxLength, anyOf / oneOf,
//   nested schemas, and {} or {"type": "object"} with no properties for any JSON value
//   or object. Annotations (title, description, default, examples, $schema, format,
//   additionalProperties, strict) do not constrain generation: a generated value is valid
//   either way. Every other keyword (pattern, $ref, allOf, not, if, minimum, ...) is an
//   error naming it.
// Output is compact JSON (no whitespace). So that every value ends, lengths left open by
// the schema are capped: strings at kMaxStringChars characters, arrays at kMaxArrayItems
// items, numbers at kMaxNumberChars characters (exponents at two digits, so every number
// is a finite double), free values nested kMaxFreeDepth deep.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace argus::text::constrain {

constexpr int kMaxStringChars = 128;
constexpr int kMaxArrayItems = 16;
constexpr int kMaxNumberChars = 16;
constexpr int kMaxFreeDepth = 4;

struct SchemaNode;

// The compiled schema (immutable, shared by every matcher made from it).
class JsonGrammar {
 public:
  // argus::Error naming the keyword and its path ("$.properties.a.pattern") for what is
  // outside the subset or malformed.
  // Properties are generated in the schema's key order: pass an ordered_json to keep the
  // author's (a plain nlohmann::json has them sorted).
  static std::shared_ptr<const JsonGrammar> compile(const nlohmann::ordered_json& schema);
  // Any JSON object (response_format json_object).
  static std::shared_ptr<const JsonGrammar> any_object();
  const SchemaNode* root() const { return root_; }

 private:
  std::vector<std::unique_ptr<SchemaNode>> nodes_;
  const SchemaNode* root_ = nullptr;
  friend class SchemaCompiler;
};

// Where the output stands: the set of parses of the bytes so far that can still be
// completed into a valid value (several where anyOf, enums or optional properties leave
// the choice open).
class JsonMatcher {
 public:
  explicit JsonMatcher(std::shared_ptr<const JsonGrammar> g);
  JsonMatcher(const JsonMatcher&);
  JsonMatcher& operator=(const JsonMatcher&);
  ~JsonMatcher();

  // Consumes one byte if it keeps the output completable; false (and unchanged) if not.
  bool advance(unsigned char byte);
  bool advance(const std::string& bytes);  // all or nothing
  // The bytes so far are a complete value.
  bool can_end() const;
  // No byte can follow (a complete value that cannot grow): only the end may come.
  bool must_end() const;
  bool dead() const;

  struct Thread;

 private:
  std::shared_ptr<const JsonGrammar> g_;
  std::vector<Thread> threads_;
};

}  // namespace argus::text::constrain
