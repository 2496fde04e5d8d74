// Runtime values of the Jinja evaluator. Data is a JSON value (None, bool, int, float, str,
// list, dict: what chat messages are made of), with dicts in insertion order as Python's
// are, so `tojson` of a caller's tool schema prints its keys in the caller's order; besides it, Jinja's Undefined (a missing
// variable or key), namespace() objects (mutable, shared by reference, so loops can write to
// them) and callables (macros, bound string/dict methods, globals like raise_exception).
// Conversions follow Python, which is what transformers renders with: str(), truthiness,
// equality, ordering.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace argus::text::jinja {

using json = nlohmann::ordered_json;
class Value;

struct CallArgs {
  std::vector<Value> pos;
  std::vector<std::pair<std::string, Value>> kw;
  int line = 0, col = 0;  // where the call is, for errors
};

using NativeFn = std::function<Value(CallArgs&)>;

class Value {
 public:
  enum class Kind { Undefined, Data, Namespace, Function };

  Value() = default;  // Undefined
  Value(json j) : kind_(Kind::Data), data_(std::move(j)) {}  // NOLINT: implicit on purpose

  static Value undefined(std::string name) {
    Value v;
    v.name_ = std::move(name);
    return v;
  }
  static Value make_namespace(json object) {
    Value v;
    v.kind_ = Kind::Namespace;
    v.ns_ = std::make_shared<json>(std::move(object));
    return v;
  }
  static Value function(std::string name, NativeFn fn) {
    Value v;
    v.kind_ = Kind::Function;
    v.name_ = std::move(name);
    v.fn_ = std::make_shared<NativeFn>(std::move(fn));
    return v;
  }

  Kind kind() const { return kind_; }
  bool is_undefined() const { return kind_ == Kind::Undefined; }
  bool is_data() const { return kind_ == Kind::Data; }
  bool is_namespace() const { return kind_ == Kind::Namespace; }
  bool is_function() const { return kind_ == Kind::Function; }
  bool is_string() const { return is_data() && data_.is_string(); }
  bool is_none() const { return is_data() && data_.is_null(); }
  bool is_list() const { return is_data() && data_.is_array(); }
  bool is_dict() const { return is_data() && data_.is_object(); }
  bool is_bool() const { return is_data() && data_.is_boolean(); }
  bool is_int() const { return is_data() && (data_.is_number_integer()); }
  bool is_number() const { return is_data() && data_.is_number(); }

  const json& data() const { return data_; }
  json& data() { return data_; }
  const std::string& str() const { return data_.get_ref<const std::string&>(); }
  json& ns() const { return *ns_; }
  const std::string& name() const { return name_; }  // undefined variable / function name
  Value call(CallArgs& args) const { return (*fn_)(args); }

 private:
  Kind kind_ = Kind::Undefined;
  json data_;
  std::shared_ptr<json> ns_;
  std::shared_ptr<NativeFn> fn_;
  std::string name_;
};

// Python's str() of a value (what {{ }} prints): None -> "None", True -> "True", 1.0 -> "1.0",
// lists/dicts as Python repr; Undefined -> "".
std::string to_str(const Value& v);
std::string py_repr(const json& j);
std::string py_float_repr(double d);
// Python's json.dumps options, as transformers' tojson filter exposes them:
// tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False).
struct DumpsOptions {
  int indent = -1;  // < 0: None (one line)
  // separators=None means (", ", ": ") without indent and (",", ": ") with it.
  std::string item_separator, key_separator;
  bool explicit_separators = false;
  bool ensure_ascii = false;  // non-ASCII as \uXXXX (surrogate pairs past U+FFFF)
  bool sort_keys = false;
};
std::string py_json_dumps(const json& j, const DumpsOptions& options);
std::string py_json_dumps(const json& j, int indent);

bool truthy(const Value& v);
bool equals(const Value& a, const Value& b);
// Python ordering for numbers, strings and lists; throws (via `fail`) otherwise.
int compare(const Value& a, const Value& b, int line, int col);

// A short type name for errors: "str", "int", "list", "dict", "undefined", ...
std::string type_name(const Value& v);

// Unicode code points of a UTF-8 string, and back.
std::u32string to_u32(const std::string& s);
std::string from_u32(const std::u32string& s);

}  // namespace argus::text::jinja
