#include "text/constrain/json_schema_grammar.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "util/error.h"

namespace argus::text::constrain {

using sjson = nlohmann::ordered_json;

struct SchemaNode {
  enum class Kind { Object, Array, String, Number, Integer, Literals, AnyOf };
  Kind kind = Kind::Literals;
  // Object: properties in schema order, as serialized keys ("\"name\"").
  std::vector<std::string> keys;
  std::vector<const SchemaNode*> values;
  std::vector<bool> required;
  const SchemaNode* free_values = nullptr;  // non-null: any keys, values of this node
  const SchemaNode* free_keys = nullptr;    // the key string node of a free object
  // Array
  const SchemaNode* items = nullptr;
  int min_items = 0, max_items = kMaxArrayItems;
  // String
  int min_len = 0, max_len = kMaxStringChars;
  // Literals: compact JSON texts (const, enum, true/false/null)
  std::vector<std::string> literals;
  // AnyOf
  std::vector<const SchemaNode*> alts;
  int leaves = 1;  // alternatives once nested anyOfs are flattened
};

// Bounds that keep matching cheap whatever the schema: flattened alternatives of one
// anyOf, and parses followed at once.
constexpr int kMaxAlternatives = 256;
constexpr size_t kMaxThreads = 256;

using Kind = SchemaNode::Kind;

class SchemaCompiler {
 public:
  explicit SchemaCompiler(JsonGrammar& g) : g_(g) {}

  const SchemaNode* compile(const sjson& s, const std::string& path, int depth) {
    if (depth > 32) fail("{}: schema nested too deeply (over 32 levels)", path);
    if (s.is_boolean()) {
      if (!s.get<bool>()) fail("{}: the schema `false` admits no value", path);
      return any(0);
    }
    if (!s.is_object()) fail("{}: a schema must be an object, not {}", path, s.dump());
    static const char* kKnown[] = {"type",        "properties",  "required", "enum",     "const",   "items",
                                   "minItems",    "maxItems",    "minLength", "maxLength", "anyOf",  "title",
                                   "description", "default",     "examples", "$schema",  "$id",     "$comment",
                                   "format",      "additionalProperties",    "strict"};
    for (auto it = s.begin(); it != s.end(); ++it)
      if (std::none_of(std::begin(kKnown), std::end(kKnown), [&](const char* k) { return it.key() == k; }))
        fail("{}: '{}' is not supported in constrained output (supported: type, properties, required, enum, "
             "const, items, minItems, maxItems, minLength, maxLength, anyOf)",
             path, it.key());
    if (s.contains("const")) {
      sjson one = sjson::array();
      one.push_back(s["const"]);  // (a braced {x} would read ["k", 1] as an object)
      return literals(one, path);
    }
    if (s.contains("enum")) {
      if (!s["enum"].is_array() || s["enum"].empty()) fail("{}.enum must be a non-empty list", path);
      return literals(s["enum"], path);
    }
    if (s.contains("anyOf")) {
      const auto& alts = s["anyOf"];
      if (!alts.is_array() || alts.empty()) fail("{}.anyOf must be a non-empty list of schemas", path);
      if (s.contains("type") || s.contains("properties") || s.contains("items"))
        fail("{}: anyOf beside type/properties/items is not supported (put them in each alternative)", path);
      auto* n = add(Kind::AnyOf);
      for (size_t i = 0; i < alts.size(); ++i)
        n->alts.push_back(compile(alts[i], path + ".anyOf[" + std::to_string(i) + "]", depth + 1));
      return count_leaves(n, path);
    }
    std::string type;
    if (auto t = s.find("type"); t != s.end()) {
      if (t->is_array()) {
        if (t->empty()) fail("{}.type must not be an empty list", path);
        auto* n = add(Kind::AnyOf);
        for (const auto& one : *t) {
          sjson single = s;
          single["type"] = one;
          n->alts.push_back(compile(single, path, depth + 1));
        }
        return count_leaves(n, path);
      }
      if (!t->is_string()) fail("{}.type must be a string or a list of strings", path);
      type = t->get<std::string>();
    } else if (s.contains("properties")) {
      type = "object";
    } else if (s.contains("items")) {
      type = "array";
    } else {
      return any(0);
    }
    if (type == "object") return object(s, path, depth);
    if (type == "array") return array(s, path, depth);
    if (type == "string") return string(s, path);
    if (type == "number") return add(Kind::Number);
    if (type == "integer") return add(Kind::Integer);
    if (type == "boolean") return literals(sjson::array({true, false}), path);
    if (type == "null") return literals(sjson::array({nullptr}), path);
    fail("{}.type \"{}\" is not a JSON Schema type (object, array, string, number, integer, boolean, null)", path,
         type);
  }

  // Any JSON value, objects and arrays nested at most kMaxFreeDepth deep.
  const SchemaNode* any(int depth) {
    if (any_.size() <= static_cast<size_t>(depth)) any_.resize(depth + 1, nullptr);
    if (any_[depth]) return any_[depth];
    auto* n = add(Kind::AnyOf);
    any_[depth] = n;
    n->alts = {plain_string(), add(Kind::Number), literals(sjson::array({true, false, nullptr}), "")};
    if (depth < kMaxFreeDepth) {
      n->alts.push_back(free_object(depth));
      auto* arr = add(Kind::Array);
      arr->items = any(depth + 1);
      n->alts.push_back(arr);
    }
    return n;
  }

  const SchemaNode* free_object(int depth) {
    auto* n = add(Kind::Object);
    n->free_keys = plain_string();
    n->free_values = any(depth + 1);
    return n;
  }

 private:
  SchemaNode* add(Kind k) {
    g_.nodes_.push_back(std::make_unique<SchemaNode>());
    g_.nodes_.back()->kind = k;
    return g_.nodes_.back().get();
  }

  SchemaNode* count_leaves(SchemaNode* n, const std::string& path) {
    n->leaves = 0;
    for (const auto* a : n->alts) n->leaves += a->leaves;
    if (n->leaves > kMaxAlternatives)
      fail("{}: anyOf / type lists nest into {} alternatives, over the limit of {}", path, n->leaves,
           kMaxAlternatives);
    return n;
  }

  const SchemaNode* plain_string() {
    if (!string_) string_ = add(Kind::String);
    return string_;
  }

  const SchemaNode* literals(const sjson& values, const std::string& path) {
    auto* n = add(Kind::Literals);
    for (const auto& v : values) {
      std::string text = v.dump(-1, ' ', false, sjson::error_handler_t::strict);
      if (text.size() > 4096) fail("{}: an enum/const value over 4096 bytes", path);
      n->literals.push_back(std::move(text));
    }
    return n;
  }

  static int bound(const sjson& s, const char* key, const std::string& path, int dflt) {
    auto it = s.find(key);
    if (it == s.end()) return dflt;
    if (!it->is_number_integer() || it->get<int64_t>() < 0) fail("{}.{} must be a non-negative integer", path, key);
    return static_cast<int>(std::min<int64_t>(it->get<int64_t>(), 1 << 20));
  }

  const SchemaNode* object(const sjson& s, const std::string& path, int depth) {
    auto props = s.find("properties");
    if (props == s.end() || (props->is_object() && props->empty())) {
      auto extra = s.find("additionalProperties");
      if (s.contains("required") && !s["required"].empty())
        fail("{}.required names properties the schema does not define", path);
      if (extra != s.end() && extra->is_boolean() && !extra->get<bool>()) return add(Kind::Object);  // only {}
      if (extra != s.end() && extra->is_object()) {
        auto* n = add(Kind::Object);
        n->free_keys = plain_string();
        n->free_values = compile(*extra, path + ".additionalProperties", depth + 1);
        return n;
      }
      return free_object(0);
    }
    if (!props->is_object()) fail("{}.properties must be an object", path);
    auto* n = add(Kind::Object);
    std::vector<std::string> required;
    if (auto r = s.find("required"); r != s.end()) {
      if (!r->is_array()) fail("{}.required must be a list of property names", path);
      for (const auto& k : *r) {
        if (!k.is_string() || !props->contains(k.get<std::string>()))
          fail("{}.required names {}, which is not among its properties", path, k.dump());
        required.push_back(k.get<std::string>());
      }
    }
    for (auto it = props->begin(); it != props->end(); ++it) {
      n->keys.push_back(sjson(it.key()).dump());
      n->values.push_back(compile(it.value(), path + ".properties." + it.key(), depth + 1));
      n->required.push_back(std::find(required.begin(), required.end(), it.key()) != required.end());
    }
    return n;
  }

  const SchemaNode* array(const sjson& s, const std::string& path, int depth) {
    auto* n = add(Kind::Array);
    n->items = s.contains("items") ? compile(s["items"], path + ".items", depth + 1) : any(1);
    n->min_items = bound(s, "minItems", path, 0);
    n->max_items = std::min(bound(s, "maxItems", path, kMaxArrayItems), kMaxArrayItems);
    if (n->min_items > n->max_items)
      fail("{}: minItems {} is over maxItems (or the cap of {} items)", path, n->min_items, n->max_items);
    return n;
  }

  const SchemaNode* string(const sjson& s, const std::string& path) {
    auto* n = add(Kind::String);
    n->min_len = bound(s, "minLength", path, 0);
    n->max_len = std::min(bound(s, "maxLength", path, kMaxStringChars), kMaxStringChars);
    if (n->min_len > n->max_len)
      fail("{}: minLength {} is over maxLength (or the cap of {} characters)", path, n->min_len, n->max_len);
    return n;
  }

  JsonGrammar& g_;
  std::vector<const SchemaNode*> any_;
  const SchemaNode* string_ = nullptr;
};

std::shared_ptr<const JsonGrammar> JsonGrammar::compile(const nlohmann::ordered_json& schema) {
  auto g = std::make_shared<JsonGrammar>();
  SchemaCompiler c(*g);
  g->root_ = c.compile(schema, "$", 0);
  return g;
}

std::shared_ptr<const JsonGrammar> JsonGrammar::any_object() {
  auto g = std::make_shared<JsonGrammar>();
  SchemaCompiler c(*g);
  g->root_ = c.free_object(0);
  return g;
}

// ---- matching ----

namespace {

struct Frame {
  const SchemaNode* node;
  int phase = 0;
  int count = 0;  // array items, string characters, number characters, object: chosen property
  int aux = 0;    // object: next property; string: pending UTF-8 continuation bytes
  std::string buf;  // object: key bytes so far; literal: bytes so far; string: the UTF-8 lead byte
  bool operator==(const Frame& o) const {
    return node == o.node && phase == o.phase && count == o.count && aux == o.aux && buf == o.buf;
  }
};

}  // namespace

struct JsonMatcher::Thread {
  std::vector<Frame> stack;
  bool operator==(const Thread& o) const { return stack == o.stack; }
};

namespace {

using Thread = JsonMatcher::Thread;
using Threads = std::vector<Thread>;

enum ObjectPhase { kObjOpen = 0, kObjFirst, kObjKey, kObjColon, kObjAfterValue, kObjNext, kObjFreeKey };
enum ArrayPhase { kArrOpen = 0, kArrFirst, kArrAfterItem, kArrNext };

bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

void feed(Thread t, unsigned char c, Threads& out);

// Pushes `n` (every alternative of an anyOf) onto copies of t.
void push(const Thread& t, const SchemaNode* n, Threads& out, int guard = 0) {
  if (n->kind == Kind::AnyOf) {
    if (guard > 64) return;
    for (const auto* a : n->alts) push(t, a, out, guard + 1);
    return;
  }
  Thread u = t;
  u.stack.push_back(Frame{n});
  out.push_back(std::move(u));
}

void push_and_feed(const Thread& t, const SchemaNode* n, unsigned char c, Threads& out) {
  Threads started;
  push(t, n, started);
  for (auto& s : started) feed(std::move(s), c, out);
}

// The top value is complete: pop it and let its parent move on.
void finish(Thread& t) {
  t.stack.pop_back();
  if (t.stack.empty()) return;
  Frame& p = t.stack.back();
  if (p.node->kind == Kind::Object) {
    p.phase = p.phase == kObjFreeKey ? kObjColon : kObjAfterValue;
  } else {  // array
    ++p.count;
    p.phase = kArrAfterItem;
  }
}

// Schema object: the properties a key may name next (from aux up to the first required).
bool key_may_start(const SchemaNode* n, int from) { return static_cast<size_t>(from) < n->keys.size(); }
bool rest_optional(const SchemaNode* n, int from) {
  for (size_t i = static_cast<size_t>(from); i < n->required.size(); ++i)
    if (n->required[i]) return false;
  return true;
}

void feed_object(Thread t, unsigned char c, Threads& out) {
  Frame& f = t.stack.back();
  const SchemaNode* n = f.node;
  const bool free = n->free_keys != nullptr;
  switch (f.phase) {
    case kObjOpen:
      if (c == '{') {
        f.phase = kObjFirst;
        out.push_back(std::move(t));
      }
      return;
    case kObjFirst:
    case kObjNext:
      if (c == '}' && f.phase == kObjFirst && (free || rest_optional(n, f.aux))) {
        finish(t);
        out.push_back(std::move(t));
        return;
      }
      if (c != '"') return;
      if (free) {
        if (f.count >= kMaxArrayItems) return;  // free objects hold at most as many keys as arrays items
        f.phase = kObjFreeKey;
        ++f.count;
        push_and_feed(t, n->free_keys, c, out);
        return;
      }
      if (!key_may_start(n, f.aux)) return;
      f.phase = kObjKey;
      f.buf = "\"";
      out.push_back(std::move(t));
      return;
    case kObjKey: {
      std::string next = f.buf + static_cast<char>(c);
      for (size_t i = static_cast<size_t>(f.aux); i < n->keys.size(); ++i) {
        const std::string& k = n->keys[i];
        if (k.compare(0, next.size(), next) == 0) {
          if (k.size() == next.size()) {
            f.count = static_cast<int>(i);
            f.aux = static_cast<int>(i) + 1;
            f.phase = kObjColon;
            f.buf.clear();
          } else {
            f.buf = std::move(next);
          }
          out.push_back(std::move(t));
          return;
        }
        if (n->required[i]) break;  // a later key cannot come before a required one
      }
      return;
    }
    case kObjColon:
      if (c != ':') return;
      f.phase = kObjAfterValue;  // where finish() leaves it; the value is pushed on top
      push(t, free ? n->free_values : n->values[static_cast<size_t>(f.count)], out);
      return;
    case kObjAfterValue:
      if (c == '}' && (free || rest_optional(n, f.aux))) {
        finish(t);
        out.push_back(std::move(t));
      } else if (c == ',' && (free ? f.count < kMaxArrayItems : key_may_start(n, f.aux))) {
        f.phase = kObjNext;
        out.push_back(std::move(t));
      }
      return;
    default: return;
  }
}

void feed_array(Thread t, unsigned char c, Threads& out) {
  Frame& f = t.stack.back();
  const SchemaNode* n = f.node;
  switch (f.phase) {
    case kArrOpen:
      if (c == '[') {
        f.phase = kArrFirst;
        out.push_back(std::move(t));
      }
      return;
    case kArrFirst:
      if (c == ']') {
        if (n->min_items == 0) {
          finish(t);
          out.push_back(std::move(t));
        }
        return;
      }
      if (n->max_items == 0) return;
      push_and_feed(t, n->items, c, out);
      return;
    case kArrAfterItem:
      if (c == ']' && f.count >= n->min_items) {
        finish(t);
        out.push_back(std::move(t));
      } else if (c == ',' && f.count < n->max_items) {
        f.phase = kArrNext;
        out.push_back(std::move(t));
      }
      return;
    case kArrNext: push_and_feed(t, n->items, c, out); return;
    default: return;
  }
}

// The first continuation byte's range after a UTF-8 lead byte (no overlongs, no
// surrogates, nothing past U+10FFFF), as a JSON parser requires.
bool utf8_first_continuation_ok(unsigned char lead, unsigned char c) {
  if (lead == 0xE0) return c >= 0xA0 && c <= 0xBF;
  if (lead == 0xED) return c >= 0x80 && c <= 0x9F;
  if (lead == 0xF0) return c >= 0x90 && c <= 0xBF;
  if (lead == 0xF4) return c >= 0x80 && c <= 0x8F;
  return c >= 0x80 && c <= 0xBF;
}

enum StringPhase { kStrOpen = 0, kStrChars, kStrEscape, kStrUtf8 };

void feed_string(Thread t, unsigned char c, Threads& out) {
  Frame& f = t.stack.back();
  const SchemaNode* n = f.node;
  switch (f.phase) {
    case kStrOpen:
      if (c == '"') {
        f.phase = kStrChars;
        out.push_back(std::move(t));
      }
      return;
    case kStrChars:
      if (c == '"') {
        if (f.count >= n->min_len) {
          finish(t);
          out.push_back(std::move(t));
        }
        return;
      }
      if (f.count >= n->max_len || c < 0x20 || c == 0x7f) return;
      if (c == '\\') {
        f.phase = kStrEscape;
      } else if (c < 0x80) {
        ++f.count;
      } else if (c >= 0xC2 && c <= 0xF4) {
        ++f.count;
        f.aux = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : 1;
        f.buf.assign(1, static_cast<char>(c));
        f.phase = kStrUtf8;
      } else {
        return;
      }
      out.push_back(std::move(t));
      return;
    case kStrEscape:
      // \uXXXX is left out: the model can write the character itself, and a lone
      // surrogate escape would not parse.
      if (std::string("\"\\/bfnrt").find(static_cast<char>(c)) == std::string::npos) return;
      ++f.count;
      f.phase = kStrChars;
      out.push_back(std::move(t));
      return;
    case kStrUtf8: {
      const bool first = !f.buf.empty();
      if (first ? !utf8_first_continuation_ok(static_cast<unsigned char>(f.buf[0]), c) : (c < 0x80 || c > 0xBF))
        return;
      f.buf.clear();
      if (--f.aux == 0) f.phase = kStrChars;
      out.push_back(std::move(t));
      return;
    }
    default: return;
  }
}

// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?; phases 2, 3, 5, 8 are complete.
bool number_complete(int phase) { return phase == 2 || phase == 3 || phase == 5 || phase == 8; }

void feed_number(Thread t, unsigned char c, Threads& out) {
  Frame& f = t.stack.back();
  const bool integer = f.node->kind == Kind::Integer;
  int next = -1;
  switch (f.phase) {
    case 0: next = c == '-' ? 1 : c == '0' ? 2 : is_digit(c) ? 3 : -1; break;
    case 1: next = c == '0' ? 2 : is_digit(c) ? 3 : -1; break;
    case 2: next = (!integer && c == '.') ? 4 : (!integer && (c == 'e' || c == 'E')) ? 6 : -1; break;
    case 3: next = is_digit(c) ? 3 : (!integer && c == '.') ? 4 : (!integer && (c == 'e' || c == 'E')) ? 6 : -1; break;
    case 4: next = is_digit(c) ? 5 : -1; break;
    case 5: next = is_digit(c) ? 5 : (c == 'e' || c == 'E') ? 6 : -1; break;
    case 6: next = (c == '+' || c == '-') ? 7 : is_digit(c) ? 8 : -1; break;
    case 7: next = is_digit(c) ? 8 : -1; break;
    // At most two exponent digits: 1e999 is not a double, and parsers refuse it.
    case 8: next = is_digit(c) && f.aux < 2 ? 8 : -1; break;
    default: break;
  }
  if (next >= 0 && f.count < kMaxNumberChars) {
    f.phase = next;
    ++f.count;
    if (next == 8) ++f.aux;
    out.push_back(std::move(t));
    return;
  }
  // The number ended before this byte: it belongs to the parent.
  if (!number_complete(f.phase)) return;
  finish(t);
  if (!t.stack.empty()) feed(std::move(t), c, out);
}

void feed_literals(Thread t, unsigned char c, Threads& out) {
  Frame& f = t.stack.back();
  std::string next = f.buf + static_cast<char>(c);
  bool complete = false, longer = false;
  for (const auto& lit : f.node->literals)
    if (lit.compare(0, next.size(), next) == 0) (lit.size() == next.size() ? complete : longer) = true;
  if (longer) {
    Thread u = t;
    u.stack.back().buf = next;
    out.push_back(std::move(u));
  }
  if (complete) {
    finish(t);
    out.push_back(std::move(t));
  }
}

void feed(Thread t, unsigned char c, Threads& out) {
  if (t.stack.empty()) return;  // a complete value: nothing may follow
  switch (t.stack.back().node->kind) {
    case Kind::Object: feed_object(std::move(t), c, out); return;
    case Kind::Array: feed_array(std::move(t), c, out); return;
    case Kind::String: feed_string(std::move(t), c, out); return;
    case Kind::Number:
    case Kind::Integer: feed_number(std::move(t), c, out); return;
    case Kind::Literals: feed_literals(std::move(t), c, out); return;
    case Kind::AnyOf: return;  // never on the stack: push() expands it
  }
}

void dedupe(Threads& ts) {
  Threads kept;
  for (auto& t : ts)
    if (std::find(kept.begin(), kept.end(), t) == kept.end()) kept.push_back(std::move(t));
  ts = std::move(kept);
}

}  // namespace

JsonMatcher::JsonMatcher(std::shared_ptr<const JsonGrammar> g) : g_(std::move(g)) {
  push(Thread{}, g_->root(), threads_);
}
JsonMatcher::JsonMatcher(const JsonMatcher&) = default;
JsonMatcher& JsonMatcher::operator=(const JsonMatcher&) = default;
JsonMatcher::~JsonMatcher() = default;

bool JsonMatcher::advance(unsigned char byte) {
  Threads next;
  for (const auto& t : threads_) feed(t, byte, next);
  if (next.empty()) return false;
  if (next.size() > 1) dedupe(next);
  // Past the bound the parses kept are still valid ones: the output stays valid, only
  // some continuations are no longer offered.
  if (next.size() > kMaxThreads) next.resize(kMaxThreads);
  threads_ = std::move(next);
  return true;
}

bool JsonMatcher::advance(const std::string& bytes) {
  JsonMatcher copy = *this;
  for (unsigned char c : bytes)
    if (!copy.advance(c)) return false;
  *this = std::move(copy);
  return true;
}

bool JsonMatcher::can_end() const {
  for (const auto& t : threads_) {
    if (t.stack.empty()) return true;
    const Frame& f = t.stack.back();
    if (t.stack.size() == 1 && (f.node->kind == Kind::Number || f.node->kind == Kind::Integer) &&
        number_complete(f.phase))
      return true;
  }
  return false;
}

bool JsonMatcher::must_end() const {
  // Complete, and no parse can take another byte (a finished value, or a root number
  // that cannot grow: "0" as an integer, one at its length cap).
  if (!can_end()) return false;
  for (const auto& t : threads_) {
    if (t.stack.empty()) continue;
    for (int c = 0; c < 256; ++c) {
      Threads next;
      feed(t, static_cast<unsigned char>(c), next);
      if (!next.empty()) return false;
    }
  }
  return true;
}

bool JsonMatcher::dead() const { return threads_.empty(); }

}  // namespace argus::text::constrain
