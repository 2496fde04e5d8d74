#include "text/jinja/builtins.h"

#include <utf8proc.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "text/jinja/error.h"

namespace argus::text::jinja {
namespace {

// ---------------------------------------------------------------- argument helpers

// Reads the arguments of one filter/test/method call the way Python binds them: by position
// or by keyword, anything extra is an error.
class Args {
 public:
  Args(CallArgs& a, std::string what, std::vector<const char*> params) : a_(a), what_(std::move(what)), params_(std::move(params)) {
    if (a_.pos.size() > params_.size())
      fail_at(a_.line, a_.col, "{} takes at most {} argument(s), got {}", what_, params_.size(), a_.pos.size());
    for (const auto& kw : a_.kw) {
      auto it = std::find_if(params_.begin(), params_.end(), [&](const char* p) { return kw.first == p; });
      if (it == params_.end()) fail_at(a_.line, a_.col, "{} got an unexpected keyword argument '{}'", what_, kw.first);
      if (static_cast<size_t>(it - params_.begin()) < a_.pos.size())
        fail_at(a_.line, a_.col, "{} got argument '{}' twice", what_, kw.first);
    }
  }
  const Value* get(size_t i) const {
    if (i < a_.pos.size()) return &a_.pos[i];
    for (const auto& kw : a_.kw)
      if (kw.first == params_[i]) return &kw.second;
    return nullptr;
  }
  Value value(size_t i, Value dflt) const {
    const Value* v = get(i);
    return v ? *v : std::move(dflt);
  }
  std::string string(size_t i, std::string dflt) const {
    const Value* v = get(i);
    if (!v || v->is_none()) return dflt;
    if (!v->is_string()) bad(i, "a string", *v);
    return v->str();
  }
  int64_t integer(size_t i, int64_t dflt) const {
    const Value* v = get(i);
    if (!v || v->is_none()) return dflt;
    if (!v->is_data() || !(v->data().is_number_integer() || v->data().is_boolean())) bad(i, "an integer", *v);
    return v->data().is_boolean() ? (v->data().get<bool>() ? 1 : 0) : v->data().get<int64_t>();
  }
  bool boolean(size_t i, bool dflt) const {
    const Value* v = get(i);
    return v ? truthy(*v) : dflt;
  }
  const Value& required(size_t i) const {
    const Value* v = get(i);
    if (!v) fail_at(a_.line, a_.col, "{} is missing argument '{}'", what_, params_[i]);
    return *v;
  }
  [[noreturn]] void bad(size_t i, const char* want, const Value& got) const {
    fail_at(a_.line, a_.col, "{}: argument '{}' must be {}, not {}", what_, params_[i], want, type_name(got));
  }
  int line() const { return a_.line; }
  int col() const { return a_.col; }
  const std::string& what() const { return what_; }

 private:
  CallArgs& a_;
  std::string what_;
  std::vector<const char*> params_;
};

const std::string& need_str(const Value& v, const std::string& what, int line, int col) {
  if (!v.is_string()) fail_at(line, col, "{} needs a string, not {}", what, type_name(v));
  return v.str();
}

void check_size(size_t n, int line, int col) {
  if (n > kMaxBytes) fail_at(line, col, "value larger than {} bytes: refusing a runaway template", kMaxBytes);
}

// ---------------------------------------------------------------- string helpers

// Python's str.isspace() set, so strip()/split() match on Unicode spaces too.
bool py_space(char32_t c) {
  return (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x20) || c == 0x85 || c == 0xa0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f || c == 0x3000;
}

std::string strip(const std::string& s, const Value* chars, bool left, bool right) {
  std::u32string u = to_u32(s);
  std::u32string set;
  bool custom = chars && !chars->is_none() && !chars->is_undefined();
  if (custom) {
    if (!chars->is_string()) argus::fail("strip(): chars must be a string, not {}", type_name(*chars));
    set = to_u32(chars->str());
  }
  auto drop = [&](char32_t c) { return custom ? set.find(c) != std::u32string::npos : py_space(c); };
  size_t b = 0, e = u.size();
  if (left)
    while (b < e && drop(u[b])) ++b;
  if (right)
    while (e > b && drop(u[e - 1])) --e;
  return from_u32(u.substr(b, e - b));
}

std::string map_case(const std::string& s, int mode) {  // 0 lower, 1 upper, 2 capitalize, 3 title
  std::u32string u = to_u32(s);
  bool prev_cased = false;
  for (size_t i = 0; i < u.size(); ++i) {
    auto c = static_cast<utf8proc_int32_t>(u[i]);
    utf8proc_int32_t r = c;
    switch (mode) {
      case 0: r = utf8proc_tolower(c); break;
      case 1: r = utf8proc_toupper(c); break;
      case 2: r = i == 0 ? utf8proc_totitle(c) : utf8proc_tolower(c); break;
      case 3: r = prev_cased ? utf8proc_tolower(c) : utf8proc_totitle(c); break;
    }
    const utf8proc_property_t* p = utf8proc_get_property(c);
    prev_cased = p->category == UTF8PROC_CATEGORY_LU || p->category == UTF8PROC_CATEGORY_LL ||
                 p->category == UTF8PROC_CATEGORY_LT;
    u[i] = static_cast<char32_t>(r);
  }
  return from_u32(u);
}

std::string replace_all(const std::string& s, const std::string& from, const std::string& to, int64_t count) {
  std::string out;
  if (from.empty()) {  // Python inserts `to` between all code points
    std::u32string u = to_u32(s);
    int64_t n = 0;
    for (size_t i = 0; i <= u.size(); ++i) {
      if (count < 0 || n < count) {
        out += to;
        ++n;
      }
      if (i < u.size()) out += from_u32(u.substr(i, 1));
      check_size(out.size(), 0, 0);
    }
    return out;
  }
  size_t pos = 0;
  int64_t n = 0;
  for (;;) {
    size_t hit = (count >= 0 && n >= count) ? std::string::npos : s.find(from, pos);
    if (hit == std::string::npos) break;
    out.append(s, pos, hit - pos);
    out += to;
    check_size(out.size(), 0, 0);
    pos = hit + from.size();
    ++n;
  }
  out.append(s, pos, std::string::npos);
  return out;
}

json split(const std::string& s, const Value* sep, int64_t maxsplit, int line, int col) {
  json out = json::array();
  if (!sep || sep->is_none()) {  // runs of whitespace, no empty strings
    std::u32string u = to_u32(s);
    size_t i = 0;
    while (i < u.size()) {
      while (i < u.size() && py_space(u[i])) ++i;
      if (i >= u.size()) break;
      if (maxsplit >= 0 && static_cast<int64_t>(out.size()) >= maxsplit) {
        std::u32string rest = u.substr(i);
        while (!rest.empty() && py_space(rest.back())) rest.pop_back();
        out.push_back(from_u32(rest));
        return out;
      }
      size_t j = i;
      while (j < u.size() && !py_space(u[j])) ++j;
      out.push_back(from_u32(u.substr(i, j - i)));
      i = j;
    }
    return out;
  }
  const std::string& d = need_str(*sep, "split()", line, col);
  if (d.empty()) fail_at(line, col, "split(): empty separator");
  size_t pos = 0;
  for (;;) {
    size_t hit = (maxsplit >= 0 && static_cast<int64_t>(out.size()) >= maxsplit) ? std::string::npos : s.find(d, pos);
    if (hit == std::string::npos) break;
    out.push_back(s.substr(pos, hit - pos));
    pos = hit + d.size();
  }
  out.push_back(s.substr(pos));
  return out;
}

// Jinja's indent filter (Jinja 3): lines after the first get `width` spaces (or the string),
// blank lines only with blank=True, the first line only with first=True.
std::string indent(const std::string& s, const std::string& pad, bool first, bool blank) {
  std::vector<std::string> lines;
  std::string cur;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\n' || s[i] == '\r') {
      if (s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n') ++i;
      lines.push_back(cur);
      cur.clear();
    } else {
      cur += s[i];
    }
  }
  lines.push_back(cur);  // s + "\n" then splitlines(): the last line is always there
  std::string out = lines.empty() ? "" : lines[0];
  for (size_t i = 1; i < lines.size(); ++i) {
    out += '\n';
    if (blank || !lines[i].empty()) out += pad;
    out += lines[i];
  }
  if (first) out = pad + out;
  return out;
}

// ---------------------------------------------------------------- filters

const std::set<std::string>& filter_names() {
  static const std::set<std::string> names = {
      "trim",   "length", "count",      "upper",      "lower",  "capitalize", "title", "tojson", "string",
      "default", "d",     "first",      "last",       "join",   "replace",    "safe",  "indent", "selectattr",
      "rejectattr", "select", "reject", "map",        "items",  "list",       "int",   "float",  "abs",
      "round",  "sort",   "unique",     "reverse",    "dictsort", "wordcount", "sum",  "min",    "max",
      "batch"};
  return names;
}

json sequence_of(const Value& v, const Args& a) { return iterate(v, a.line(), a.col()); }

Value attr_of(const json& item, const std::string& path, int line, int col) {
  // "a.b" walks nested attributes, as Jinja's make_attrgetter does.
  Value cur{item};
  size_t pos = 0;
  for (;;) {
    size_t dot = path.find('.', pos);
    std::string part = path.substr(pos, dot == std::string::npos ? std::string::npos : dot - pos);
    bool digits = !part.empty() && part.size() < 18 &&
                  std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; });
    cur = digits ? get_item(cur, Value(json(std::stoll(part))), line, col) : get_item(cur, Value(json(part)), line, col);
    if (dot == std::string::npos || cur.is_undefined()) return cur;
    pos = dot + 1;
  }
}

Value select_filter(const std::string& name, const Value& subject, CallArgs& args) {
  bool by_attr = name == "selectattr" || name == "rejectattr";
  bool keep = name == "select" || name == "selectattr";
  size_t first_test_arg = by_attr ? 2 : 1;
  if (by_attr && args.pos.empty()) fail_at(args.line, args.col, "{} needs an attribute name", name);
  std::string attr = by_attr ? need_str(args.pos[0], name, args.line, args.col) : "";
  std::string test = "truthy";
  if (args.pos.size() >= first_test_arg) test = need_str(args.pos[first_test_arg - 1], name, args.line, args.col);
  if (test != "truthy" && !is_known_test(test)) fail_at(args.line, args.col, "unsupported test '{}'", test);
  CallArgs test_args;
  test_args.line = args.line;
  test_args.col = args.col;
  for (size_t i = first_test_arg; i < args.pos.size(); ++i) test_args.pos.push_back(args.pos[i]);
  if (!args.kw.empty()) fail_at(args.line, args.col, "{} takes no keyword arguments", name);
  json out = json::array();
  for (const auto& item : iterate(subject, args.line, args.col)) {
    Value v = by_attr ? attr_of(item, attr, args.line, args.col) : Value(item);
    CallArgs ta = test_args;
    bool ok = test == "truthy" ? truthy(v) : apply_test(test, v, ta);
    if (ok == keep) out.push_back(item);
  }
  return Value(std::move(out));
}

Value map_filter(const Value& subject, CallArgs& args) {
  json out = json::array();
  std::string attribute;
  Value dflt;
  bool have_default = false;
  for (const auto& kw : args.kw) {
    if (kw.first == "attribute") {
      attribute = need_str(kw.second, "map(attribute=...)", args.line, args.col);
    } else if (kw.first == "default") {
      dflt = kw.second;
      have_default = true;
    } else {
      fail_at(args.line, args.col, "map got an unexpected keyword argument '{}'", kw.first);
    }
  }
  if (!attribute.empty()) {
    if (!args.pos.empty()) fail_at(args.line, args.col, "map(attribute=...) takes no positional arguments");
    for (const auto& item : iterate(subject, args.line, args.col)) {
      Value v = attr_of(item, attribute, args.line, args.col);
      if (v.is_undefined() && have_default) v = dflt;
      if (v.is_undefined()) continue;  // Undefined cannot live in a list; Jinja would print ""
      if (!v.is_data()) fail_at(args.line, args.col, "map(): attribute '{}' is not data", attribute);
      out.push_back(v.data());
    }
    return Value(std::move(out));
  }
  if (args.pos.empty()) fail_at(args.line, args.col, "map needs a filter name or attribute=");
  std::string filter = need_str(args.pos[0], "map", args.line, args.col);
  if (!is_known_filter(filter)) fail_at(args.line, args.col, "unsupported filter '{}'", filter);
  for (const auto& item : iterate(subject, args.line, args.col)) {
    CallArgs fa;
    fa.line = args.line;
    fa.col = args.col;
    fa.pos.assign(args.pos.begin() + 1, args.pos.end());
    Value v = apply_filter(filter, Value(item), fa);
    if (!v.is_data()) fail_at(args.line, args.col, "map(): filter '{}' did not give data", filter);
    out.push_back(v.data());
  }
  return Value(std::move(out));
}

double number_of(const Value& v, const std::string& what, int line, int col) {
  if (!v.is_data() || !(v.data().is_number() || v.data().is_boolean()))
    fail_at(line, col, "{} needs a number, not {}", what, type_name(v));
  return v.data().is_boolean() ? (v.data().get<bool>() ? 1.0 : 0.0) : v.data().get<double>();
}

}  // namespace

bool is_known_filter(const std::string& name) { return filter_names().count(name) > 0; }

Value apply_filter(const std::string& name, const Value& v, CallArgs& call) {
  const int line = call.line, col = call.col;
  const std::string what = "filter '" + name + "'";
  if (name == "selectattr" || name == "rejectattr" || name == "select" || name == "reject")
    return select_filter(name, v, call);
  if (name == "map") return map_filter(v, call);
  if (name == "default" || name == "d") {
    Args a(call, what, {"default_value", "boolean"});
    bool use_default = v.is_undefined() || (a.boolean(1, false) && !truthy(v));
    return use_default ? a.value(0, Value(json(""))) : v;
  }
  if (name == "safe") {
    Args a(call, what, {});
    return v;
  }
  if (name == "string") {
    Args a(call, what, {});
    return Value(json(to_str(v)));
  }
  if (name == "length" || name == "count") {
    Args a(call, what, {});
    if (v.is_undefined()) return Value(json(0));
    if (v.is_string()) return Value(json(static_cast<int64_t>(to_u32(v.str()).size())));
    if (v.is_list() || v.is_dict()) return Value(json(static_cast<int64_t>(v.data().size())));
    if (v.is_namespace()) return Value(json(static_cast<int64_t>(v.ns().size())));
    fail_at(line, col, "object of type {} has no length", type_name(v));
  }
  if (name == "tojson") {
    // transformers' own tojson: json.dumps(x, ensure_ascii=False, indent=None,
    // separators=None, sort_keys=False), each overridable by the template.
    Args a(call, what, {"ensure_ascii", "indent", "separators", "sort_keys"});
    DumpsOptions o;
    o.ensure_ascii = a.boolean(0, false);
    int64_t ind = a.integer(1, -1);
    if (ind > 64) fail_at(line, col, "tojson: indent {} is too large", ind);
    o.indent = static_cast<int>(ind);
    if (const Value* sep = a.get(2); sep && !sep->is_none()) {
      if (!sep->is_list() || sep->data().size() != 2 || !sep->data()[0].is_string() || !sep->data()[1].is_string())
        fail_at(line, col, "tojson: separators must be a pair of strings (item, key), not {}", to_str(*sep));
      o.explicit_separators = true;
      o.item_separator = sep->data()[0].get<std::string>();
      o.key_separator = sep->data()[1].get<std::string>();
    }
    o.sort_keys = a.boolean(3, false);
    if (v.is_namespace()) return Value(json(py_json_dumps(v.ns(), o)));
    if (!v.is_data()) fail_at(line, col, "tojson: {} is not JSON serializable", type_name(v));
    std::string s = py_json_dumps(v.data(), o);
    check_size(s.size(), line, col);
    return Value(json(std::move(s)));
  }
  if (name == "items") {
    Args a(call, what, {});
    if (v.is_undefined()) return Value(json::array());
    const json* obj = v.is_namespace() ? &v.ns() : v.is_dict() ? &v.data() : nullptr;
    if (!obj) fail_at(line, col, "items needs a dict, not {}", type_name(v));
    json out = json::array();
    for (auto it = obj->begin(); it != obj->end(); ++it) out.push_back(json::array({it.key(), it.value()}));
    return Value(std::move(out));
  }
  if (name == "list") {
    Args a(call, what, {});
    return Value(iterate(v, line, col));
  }
  if (name == "first" || name == "last") {
    Args a(call, what, {});
    json items = iterate(v, line, col);
    if (items.empty()) return Value::undefined("");
    return Value(name == "first" ? items.front() : items.back());
  }
  if (name == "reverse") {
    Args a(call, what, {});
    if (v.is_string()) {
      std::u32string u = to_u32(v.str());
      std::reverse(u.begin(), u.end());
      return Value(json(from_u32(u)));
    }
    json items = iterate(v, line, col);
    std::reverse(items.begin(), items.end());
    return Value(std::move(items));
  }
  if (name == "join") {
    Args a(call, what, {"d", "attribute"});
    std::string sep = a.string(0, "");
    std::string attribute = a.string(1, "");
    std::string out;
    bool first = true;
    for (const auto& item : iterate(v, line, col)) {
      if (!first) out += sep;
      first = false;
      out += to_str(attribute.empty() ? Value(item) : attr_of(item, attribute, line, col));
      check_size(out.size(), line, col);
    }
    return Value(json(std::move(out)));
  }
  if (name == "unique") {
    Args a(call, what, {"case_sensitive", "attribute"});
    json out = json::array();
    for (const auto& item : iterate(v, line, col)) {
      bool seen = std::any_of(out.begin(), out.end(), [&](const json& o) { return equals(Value(o), Value(item)); });
      if (!seen) out.push_back(item);
    }
    return Value(std::move(out));
  }
  if (name == "sort" || name == "dictsort") {
    bool dict = name == "dictsort";
    Args a(call, what, dict ? std::vector<const char*>{"case_sensitive", "by", "reverse"}
                            : std::vector<const char*>{"reverse", "case_sensitive", "attribute"});
    bool reverse = dict ? a.boolean(2, false) : a.boolean(0, false);
    std::string attribute = dict ? "" : a.string(2, "");
    int key_index = dict && a.string(1, "key") == "value" ? 1 : 0;
    CallArgs no_args;
    no_args.line = line;
    no_args.col = col;
    json items = dict ? apply_filter("items", v, no_args).data() : iterate(v, line, col);
    std::vector<json> vec(items.begin(), items.end());
    auto key = [&](const json& j) { return dict ? Value(j[key_index]) : attribute.empty() ? Value(j) : attr_of(j, attribute, line, col); };
    std::stable_sort(vec.begin(), vec.end(), [&](const json& x, const json& y) {
      int c = compare(key(x), key(y), line, col);
      return reverse ? c > 0 : c < 0;
    });
    return Value(json(vec));
  }
  if (name == "sum") {
    Args a(call, what, {"attribute", "start"});
    std::string attribute = a.string(0, "");
    Value total = a.value(1, Value(json(0)));
    bool is_float = total.is_data() && total.data().is_number_float();
    double f = number_of(total, what, line, col);
    int64_t n = a.integer(1, 0);
    for (const auto& item : iterate(v, line, col)) {
      Value x = attribute.empty() ? Value(item) : attr_of(item, attribute, line, col);
      if (x.is_data() && x.data().is_number_float()) is_float = true;
      f += number_of(x, what, line, col);
      if (!is_float) n += x.data().is_boolean() ? x.data().get<bool>() : x.data().get<int64_t>();
    }
    return is_float ? Value(json(f)) : Value(json(n));
  }
  if (name == "min" || name == "max") {
    Args a(call, what, {"case_sensitive", "attribute"});
    std::string attribute = a.string(1, "");
    json items = iterate(v, line, col);
    if (items.empty()) return Value::undefined("");
    size_t best = 0;
    for (size_t i = 1; i < items.size(); ++i) {
      Value x = attribute.empty() ? Value(items[i]) : attr_of(items[i], attribute, line, col);
      Value b = attribute.empty() ? Value(items[best]) : attr_of(items[best], attribute, line, col);
      int c = compare(x, b, line, col);
      if (name == "min" ? c < 0 : c > 0) best = i;
    }
    return Value(items[best]);
  }
  if (name == "batch") {
    Args a(call, what, {"linecount", "fill_with"});
    int64_t n = a.integer(0, 0);
    if (n <= 0) fail_at(line, col, "batch needs a positive size");
    json out = json::array(), cur = json::array();
    for (const auto& item : iterate(v, line, col)) {
      cur.push_back(item);
      if (static_cast<int64_t>(cur.size()) == n) {
        out.push_back(cur);
        cur = json::array();
      }
    }
    const Value* fill = a.get(1);
    if (!cur.empty()) {
      if (fill && fill->is_data())
        while (static_cast<int64_t>(cur.size()) < n) cur.push_back(fill->data());
      out.push_back(cur);
    }
    return Value(std::move(out));
  }
  if (name == "int" || name == "float") {
    Args a(call, what, {"default", "base"});
    bool to_int = name == "int";
    Value dflt = a.value(0, Value(to_int ? json(0) : json(0.0)));
    if (v.is_data() && (v.data().is_number() || v.data().is_boolean())) {
      double d = number_of(v, what, line, col);
      if (!to_int) return Value(json(d));
      if (v.data().is_number_integer()) return v;
      if (!std::isfinite(d) || std::fabs(d) > 9.2e18) return dflt;
      return Value(json(static_cast<int64_t>(d)));
    }
    if (v.is_string()) {
      std::string s = strip(v.str(), nullptr, true, true);
      char* end = nullptr;
      errno = 0;
      if (to_int) {
        long long x = std::strtoll(s.c_str(), &end, 10);
        if (!s.empty() && end && *end == '\0' && errno == 0) return Value(json(static_cast<int64_t>(x)));
      }
      double d = std::strtod(s.c_str(), &end);
      if (!s.empty() && end && *end == '\0') {
        if (!to_int) return Value(json(d));
        if (std::isfinite(d) && std::fabs(d) < 9.2e18) return Value(json(static_cast<int64_t>(d)));
      }
    }
    return dflt;
  }
  if (name == "abs") {
    Args a(call, what, {});
    if (v.is_int()) {
      int64_t x = v.data().get<int64_t>();
      if (x == INT64_MIN) fail_at(line, col, "integer overflow in abs");
      return Value(json(x < 0 ? -x : x));
    }
    return Value(json(std::fabs(number_of(v, what, line, col))));
  }
  if (name == "round") {
    Args a(call, what, {"precision", "method"});
    int64_t prec = a.integer(0, 0);
    std::string method = a.string(1, "common");
    if (prec < 0 || prec > 15) fail_at(line, col, "round: precision {} out of range", prec);
    double d = number_of(v, what, line, col), scale = std::pow(10.0, static_cast<double>(prec));
    double r = method == "floor" ? std::floor(d * scale) : method == "ceil" ? std::ceil(d * scale) : std::round(d * scale);
    if (method != "common" && method != "floor" && method != "ceil") fail_at(line, col, "round: unknown method '{}'", method);
    return Value(json(r / scale));
  }
  if (name == "wordcount") {
    Args a(call, what, {});
    return Value(json(static_cast<int64_t>(split(to_str(v), nullptr, -1, line, col).size())));
  }
  // String filters: Jinja converts the subject with str() first.
  std::string s = to_str(v);
  if (name == "trim") {
    Args a(call, what, {"chars"});
    return Value(json(strip(s, a.get(0), true, true)));
  }
  if (name == "upper" || name == "lower" || name == "capitalize" || name == "title") {
    Args a(call, what, {});
    int mode = name == "lower" ? 0 : name == "upper" ? 1 : name == "capitalize" ? 2 : 3;
    return Value(json(map_case(s, mode)));
  }
  if (name == "replace") {
    Args a(call, what, {"old", "new", "count"});
    std::string from = need_str(a.required(0), what, line, col), to = need_str(a.required(1), what, line, col);
    return Value(json(replace_all(s, from, to, a.integer(2, -1))));
  }
  if (name == "indent") {
    Args a(call, what, {"width", "first", "blank"});
    std::string pad;
    const Value* w = a.get(0);
    if (w && w->is_string()) {
      pad = w->str();
    } else {
      int64_t n = a.integer(0, 4);
      if (n < 0 || n > 1024) fail_at(line, col, "indent: width {} out of range", n);
      pad.assign(static_cast<size_t>(n), ' ');
    }
    std::string out = indent(s, pad, a.boolean(1, false), a.boolean(2, false));
    check_size(out.size(), line, col);
    return Value(json(std::move(out)));
  }
  fail_at(line, col, "unsupported filter '{}'", name);
}

// ---------------------------------------------------------------- tests

bool is_known_test(const std::string& name) {
  static const std::set<std::string> names = {
      "defined", "undefined", "none",  "boolean", "true", "false", "string", "number", "integer", "float",
      "mapping", "iterable",  "sequence", "callable", "equalto", "eq", "==",  "ne",    "!=",      "lt",
      "<",       "le",        "<=",    "gt",      ">",    "ge",    ">=",     "in",     "odd",     "even",
      "divisibleby", "lower", "upper", "sameas"};
  return names.count(name) > 0;
}

bool apply_test(const std::string& name, const Value& v, CallArgs& call) {
  const int line = call.line, col = call.col;
  const std::string what = "test '" + name + "'";
  const json& d = v.data();
  if (name == "defined" || name == "undefined") {
    Args a(call, what, {});
    return v.is_undefined() == (name == "undefined");
  }
  if (name == "none") return v.is_none();
  if (name == "boolean") return v.is_bool();
  if (name == "true") return v.is_bool() && d.get<bool>();
  if (name == "false") return v.is_bool() && !d.get<bool>();
  if (name == "string") return v.is_string();
  if (name == "number") return v.is_number() || v.is_bool();
  if (name == "integer") return v.is_int() && !d.is_boolean();
  if (name == "float") return v.is_data() && d.is_number_float();
  if (name == "mapping") return v.is_dict();
  if (name == "iterable") return v.is_list() || v.is_dict() || v.is_string();
  if (name == "sequence") return v.is_list() || v.is_dict() || v.is_string();
  if (name == "callable") return v.is_function();
  if (name == "lower" || name == "upper") return v.is_string() && map_case(v.str(), name == "lower" ? 0 : 1) == v.str();
  if (name == "odd" || name == "even" || name == "divisibleby") {
    if (!v.is_int()) fail_at(line, col, "{} needs an integer, not {}", what, type_name(v));
    int64_t x = d.get<int64_t>();
    if (name == "odd") return x % 2 != 0;
    if (name == "even") return x % 2 == 0;
    Args a(call, what, {"num"});
    int64_t n = a.integer(0, 0);
    if (n == 0) fail_at(line, col, "divisibleby 0");
    return x % n == 0;
  }
  Args a(call, what, {"other"});
  const Value& other = a.required(0);
  if (name == "equalto" || name == "eq" || name == "==") return equals(v, other);
  if (name == "ne" || name == "!=") return !equals(v, other);
  if (name == "sameas") return equals(v, other) && v.kind() == other.kind();
  if (name == "in") {
    CallArgs none;
    if (other.is_string()) return v.is_string() && other.str().find(v.str()) != std::string::npos;
    if (other.is_dict()) return v.is_string() && other.data().contains(v.str());
    if (other.is_list())
      return std::any_of(other.data().begin(), other.data().end(), [&](const json& x) { return equals(Value(x), v); });
    fail_at(line, col, "{}: {} is not a container", what, type_name(other));
  }
  int c = compare(v, other, line, col);
  if (name == "lt" || name == "<") return c < 0;
  if (name == "le" || name == "<=") return c <= 0;
  if (name == "gt" || name == ">") return c > 0;
  if (name == "ge" || name == ">=") return c >= 0;
  fail_at(line, col, "unsupported test '{}'", name);
}

// ---------------------------------------------------------------- lookups and methods

namespace {

Value str_method(const std::string& self, const std::string& name) {
  static const std::set<std::string> names = {"strip", "lstrip", "rstrip", "startswith", "endswith", "split",
                                              "upper", "lower",  "title",  "capitalize", "replace",  "find",
                                              "count", "join",   "splitlines", "isdigit", "isspace", "isalpha"};
  if (!names.count(name)) return Value::undefined(name);
  return Value::function("str." + name, [self, name](CallArgs& call) -> Value {
    const std::string what = "str." + name + "()";
    const int line = call.line, col = call.col;
    if (name == "strip" || name == "lstrip" || name == "rstrip") {
      Args a(call, what, {"chars"});
      return Value(json(strip(self, a.get(0), name != "rstrip", name != "lstrip")));
    }
    if (name == "startswith" || name == "endswith") {
      Args a(call, what, {"prefix"});
      const Value& p = a.required(0);
      std::vector<std::string> options;
      if (p.is_list()) {
        for (const auto& x : p.data()) options.push_back(need_str(Value(x), what, line, col));
      } else {
        options.push_back(need_str(p, what, line, col));
      }
      for (const auto& o : options) {
        if (o.size() > self.size()) continue;
        if (name == "startswith" ? self.compare(0, o.size(), o) == 0 : self.compare(self.size() - o.size(), o.size(), o) == 0)
          return Value(json(true));
      }
      return Value(json(false));
    }
    if (name == "split") {
      Args a(call, what, {"sep", "maxsplit"});
      return Value(split(self, a.get(0), a.integer(1, -1), line, col));
    }
    if (name == "splitlines") {
      Args a(call, what, {});
      json out = json::array();
      std::string cur;
      for (size_t i = 0; i < self.size(); ++i) {
        if (self[i] == '\n' || self[i] == '\r') {
          if (self[i] == '\r' && i + 1 < self.size() && self[i + 1] == '\n') ++i;
          out.push_back(cur);
          cur.clear();
        } else {
          cur += self[i];
        }
      }
      if (!cur.empty()) out.push_back(cur);
      return Value(std::move(out));
    }
    if (name == "upper" || name == "lower" || name == "title" || name == "capitalize") {
      Args a(call, what, {});
      return Value(json(map_case(self, name == "lower" ? 0 : name == "upper" ? 1 : name == "capitalize" ? 2 : 3)));
    }
    if (name == "replace") {
      Args a(call, what, {"old", "new", "count"});
      return Value(json(replace_all(self, need_str(a.required(0), what, line, col), need_str(a.required(1), what, line, col),
                                    a.integer(2, -1))));
    }
    if (name == "find" || name == "count") {
      Args a(call, what, {"sub"});
      const std::string& sub = need_str(a.required(0), what, line, col);
      if (name == "find") {
        size_t p = self.find(sub);
        return Value(json(p == std::string::npos ? int64_t{-1} : static_cast<int64_t>(to_u32(self.substr(0, p)).size())));
      }
      if (sub.empty()) return Value(json(static_cast<int64_t>(to_u32(self).size() + 1)));
      int64_t n = 0;
      for (size_t p = self.find(sub); p != std::string::npos; p = self.find(sub, p + sub.size())) ++n;
      return Value(json(n));
    }
    if (name == "join") {
      Args a(call, what, {"iterable"});
      std::string out;
      bool first = true;
      for (const auto& x : iterate(a.required(0), line, col)) {
        if (!first) out += self;
        first = false;
        out += need_str(Value(x), what, line, col);
        check_size(out.size(), line, col);
      }
      return Value(json(std::move(out)));
    }
    Args a(call, what, {});
    std::u32string u = to_u32(self);
    if (u.empty()) return Value(json(false));
    for (char32_t c : u) {
      bool ok = name == "isspace" ? py_space(c)
                : name == "isdigit" ? (c >= '0' && c <= '9')
                                    : utf8proc_category(static_cast<utf8proc_int32_t>(c)) <= UTF8PROC_CATEGORY_LO &&
                                          utf8proc_category(static_cast<utf8proc_int32_t>(c)) >= UTF8PROC_CATEGORY_LU;
      if (!ok) return Value(json(false));
    }
    return Value(json(true));
  });
}

Value dict_method(const json& self, const std::string& name) {
  if (name != "items" && name != "keys" && name != "values" && name != "get") return Value::undefined(name);
  return Value::function("dict." + name, [self, name](CallArgs& call) -> Value {
    const std::string what = "dict." + name + "()";
    if (name == "get") {
      Args a(call, what, {"key", "default"});
      const Value& k = a.required(0);
      if (k.is_string()) {
        auto it = self.find(k.str());
        if (it != self.end()) return Value(*it);
      }
      return a.value(1, Value(json(nullptr)));
    }
    Args a(call, what, {});
    json out = json::array();
    for (auto it = self.begin(); it != self.end(); ++it) {
      if (name == "items") out.push_back(json::array({it.key(), it.value()}));
      if (name == "keys") out.push_back(it.key());
      if (name == "values") out.push_back(it.value());
    }
    return Value(std::move(out));
  });
}

int64_t normalize_index(int64_t i, int64_t n) { return i < 0 ? i + n : i; }

}  // namespace

Value get_attr(const Value& obj, const std::string& name, int line, int col) {
  if (obj.is_undefined())
    fail_at(line, col, "{} has no attribute '{}'", type_name(obj), name);
  if (obj.is_namespace()) {
    auto it = obj.ns().find(name);
    return it == obj.ns().end() ? Value::undefined(name) : Value(*it);
  }
  if (obj.is_dict()) {
    Value m = dict_method(obj.data(), name);
    if (!m.is_undefined()) return m;
    auto it = obj.data().find(name);
    return it == obj.data().end() ? Value::undefined(name) : Value(*it);
  }
  if (obj.is_string()) return str_method(obj.str(), name);
  return Value::undefined(name);
}

Value get_item(const Value& obj, const Value& key, int line, int col) {
  if (obj.is_undefined()) fail_at(line, col, "{} cannot be indexed with {}", type_name(obj), to_str(key));
  if (obj.is_namespace() || obj.is_dict()) {
    const json& d = obj.is_namespace() ? obj.ns() : obj.data();
    if (key.is_string()) {
      auto it = d.find(key.str());
      if (it != d.end()) return Value(*it);
      return obj.is_dict() ? dict_method(d, key.str()) : Value::undefined(key.str());
    }
    return Value::undefined(to_str(key));
  }
  if ((obj.is_list() || obj.is_string()) && key.is_int() && !key.data().is_boolean()) {
    int64_t i = key.data().get<int64_t>();
    if (obj.is_list()) {
      int64_t n = static_cast<int64_t>(obj.data().size());
      i = normalize_index(i, n);
      if (i < 0 || i >= n) return Value::undefined("[" + to_str(key) + "]");
      return Value(obj.data()[static_cast<size_t>(i)]);
    }
    std::u32string u = to_u32(obj.str());
    int64_t n = static_cast<int64_t>(u.size());
    i = normalize_index(i, n);
    if (i < 0 || i >= n) return Value::undefined("[" + to_str(key) + "]");
    return Value(json(from_u32(u.substr(static_cast<size_t>(i), 1))));
  }
  if (obj.is_string() && key.is_string()) return str_method(obj.str(), key.str());
  return Value::undefined(to_str(key));
}

Value get_slice(const Value& obj, const Value& start, const Value& stop, const Value& step, int line, int col) {
  auto opt = [&](const Value& v, const char* what) -> std::pair<bool, int64_t> {
    if (v.is_undefined() || v.is_none()) return {false, 0};
    if (!v.is_int()) fail_at(line, col, "slice {} must be an integer, not {}", what, type_name(v));
    return {true, v.data().get<int64_t>()};
  };
  // Plain variables, not structured bindings: C++17 lambdas cannot capture those.
  const std::pair<bool, int64_t> p_start = opt(start, "start"), p_stop = opt(stop, "stop"), p_step = opt(step, "step");
  const bool has_start = p_start.first, has_stop = p_stop.first;
  const int64_t a = p_start.second, b = p_stop.second;
  int64_t s = p_step.first ? p_step.second : 1;
  if (s == 0) fail_at(line, col, "slice step cannot be zero");
  if (s == INT64_MIN) s = -INT64_MAX;
  bool is_str = obj.is_string();
  if (!is_str && !obj.is_list()) fail_at(line, col, "cannot slice {}", type_name(obj));
  std::u32string u = is_str ? to_u32(obj.str()) : std::u32string();
  const int64_t n = is_str ? static_cast<int64_t>(u.size()) : static_cast<int64_t>(obj.data().size());
  // Python's PySlice_AdjustIndices.
  auto adjust = [&](bool has, int64_t v, int64_t dflt) {
    if (!has) return dflt;
    if (v < 0) {
      v += n;
      if (v < 0) v = s < 0 ? -1 : 0;
    } else if (v >= n) {
      v = s < 0 ? n - 1 : n;
    }
    return v;
  };
  int64_t lo = adjust(has_start, a, s < 0 ? n - 1 : 0);
  int64_t hi = adjust(has_stop, b, s < 0 ? -1 : n);
  std::u32string out_s;
  json out_l = json::array();
  for (int64_t i = lo; s > 0 ? i < hi : i > hi; i += s) {
    if (is_str)
      out_s += u[static_cast<size_t>(i)];
    else
      out_l.push_back(obj.data()[static_cast<size_t>(i)]);
    if ((s > 0 && i > INT64_MAX - s) || (s < 0 && i < INT64_MIN - s)) break;
  }
  return is_str ? Value(json(from_u32(out_s))) : Value(std::move(out_l));
}

json iterate(const Value& v, int line, int col) {
  if (v.is_undefined()) return json::array();
  if (v.is_list()) return v.data();
  if (v.is_dict() || v.is_namespace()) {
    json out = json::array();
    const json& d = v.is_dict() ? v.data() : v.ns();
    for (auto it = d.begin(); it != d.end(); ++it) out.push_back(it.key());
    return out;
  }
  if (v.is_string()) {
    json out = json::array();
    for (char32_t c : to_u32(v.str())) out.push_back(from_u32(std::u32string(1, c)));
    return out;
  }
  fail_at(line, col, "{} is not iterable", type_name(v));
}

}  // namespace argus::text::jinja
