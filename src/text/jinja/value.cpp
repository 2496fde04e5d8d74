#include "text/jinja/value.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <vector>

#include "text/jinja/error.h"
#include "text/utf8.h"

namespace argus::text::jinja {

std::u32string to_u32(const std::string& s) {
  std::u32string out;
  out.reserve(s.size());
  if (!is_valid_utf8(s)) {
    // Not UTF-8 (only possible for strings built outside JSON parsing): one unit per byte, as
    // Python would see a latin-1 string; never read past the end.
    for (unsigned char c : s) out += static_cast<char32_t>(c);
    return out;
  }
  for (size_t i = 0; i < s.size();) out += next_codepoint(s, i);
  return out;
}

std::string from_u32(const std::u32string& s) {
  std::string out;
  out.reserve(s.size());
  for (char32_t c : s) append_utf8(out, c);
  return out;
}

std::string py_float_repr(double d) {
  if (std::isnan(d)) return "nan";
  if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
  // Python's repr: the shortest digits that round-trip, written in fixed notation for
  // exponents -4..15 and in scientific notation (two-digit exponent at least) otherwise.
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  std::string s(buf, r.ptr);
  bool neg = s[0] == '-';
  if (neg) s.erase(0, 1);
  size_t e = s.find('e');
  int exp = std::stoi(s.substr(e + 1));
  std::string digits;
  for (size_t i = 0; i < e; ++i)
    if (s[i] != '.') digits += s[i];
  std::string out;
  if (exp < -4 || exp >= 16) {
    out = digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    out += fmt::format("e{}{:02d}", exp < 0 ? '-' : '+', std::abs(exp));
  } else if (exp >= 0) {
    size_t int_digits = static_cast<size_t>(exp) + 1;
    if (digits.size() <= int_digits)
      out = digits + std::string(int_digits - digits.size(), '0') + ".0";
    else
      out = digits.substr(0, int_digits) + "." + digits.substr(int_digits);
  } else {
    out = "0." + std::string(static_cast<size_t>(-exp - 1), '0') + digits;
  }
  return (neg ? "-" : "") + out;
}

namespace {

std::string py_str_repr(const std::string& s) {
  bool has_single = s.find('\'') != std::string::npos, has_double = s.find('"') != std::string::npos;
  char q = has_single && !has_double ? '"' : '\'';
  std::string out(1, q);
  for (unsigned char c : s) {
    if (c == static_cast<unsigned char>(q) || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  out += q;
  return out;
}

void dumps_string_byte(std::string& out, unsigned char c) {
  switch (c) {
    case '"': out += "\\\""; break;
    case '\\': out += "\\\\"; break;
    case '\n': out += "\\n"; break;
    case '\r': out += "\\r"; break;
    case '\t': out += "\\t"; break;
    case '\b': out += "\\b"; break;
    case '\f': out += "\\f"; break;
    default:
      if (c < 0x20)
        out += fmt::format("\\u{:04x}", c);
      else
        out += static_cast<char>(c);
  }
}

// A JSON string as Python's json.dumps writes it: the short escapes, other control
// characters as \u00XX, and with ensure_ascii every non-ASCII code point as \uXXXX
// (a UTF-16 surrogate pair past U+FFFF).
void dumps_string(std::string& out, const std::string& s, bool ensure_ascii) {
  out += '"';
  auto escape_u = [&](uint32_t u) { out += fmt::format("\\u{:04x}", u); };
  if (ensure_ascii) {
    for (char32_t cp : to_u32(s)) {
      if (cp < 0x7f) {  // DEL is escaped too (Python escapes all but ' '..'~')
        dumps_string_byte(out, static_cast<unsigned char>(cp));
      } else if (cp < 0x10000) {
        escape_u(cp);
      } else {
        const uint32_t v = static_cast<uint32_t>(cp) - 0x10000;
        escape_u(0xD800 + (v >> 10));
        escape_u(0xDC00 + (v & 0x3FF));
      }
    }
  } else {
    for (unsigned char c : s) dumps_string_byte(out, c);
  }
  out += '"';
}

void dumps(std::string& out, const json& j, const DumpsOptions& o, int level) {
  const int indent = o.indent;
  const std::string& item_sep = o.explicit_separators ? o.item_separator : indent >= 0 ? "," : ", ";
  static const std::string kKeySep = ": ";
  const std::string& key_sep = o.explicit_separators ? o.key_separator : kKeySep;
  auto newline = [&](int lvl) {
    out += '\n';
    out.append(static_cast<size_t>(indent * lvl), ' ');
  };
  switch (j.type()) {
    case json::value_t::null: out += "null"; return;
    case json::value_t::boolean: out += j.get<bool>() ? "true" : "false"; return;
    case json::value_t::number_integer: out += std::to_string(j.get<int64_t>()); return;
    case json::value_t::number_unsigned: out += std::to_string(j.get<uint64_t>()); return;
    case json::value_t::number_float: {
      double d = j.get<double>();
      out += std::isnan(d) ? "NaN" : std::isinf(d) ? (d > 0 ? "Infinity" : "-Infinity") : py_float_repr(d);
      return;
    }
    case json::value_t::string: dumps_string(out, j.get_ref<const std::string&>(), o.ensure_ascii); return;
    case json::value_t::array: {
      if (j.empty()) {
        out += "[]";
        return;
      }
      out += '[';
      bool first = true;
      for (const auto& x : j) {
        if (!first) out += item_sep;
        first = false;
        if (indent >= 0) newline(level + 1);
        dumps(out, x, o, level + 1);
      }
      if (indent >= 0) newline(level);
      out += ']';
      return;
    }
    case json::value_t::object: {
      if (j.empty()) {
        out += "{}";
        return;
      }
      // Insertion order (the caller's), or sorted by code point (UTF-8 byte order is the same).
      std::vector<std::pair<const std::string*, const json*>> items;
      for (auto it = j.begin(); it != j.end(); ++it) items.emplace_back(&it.key(), &it.value());
      if (o.sort_keys)
        std::stable_sort(items.begin(), items.end(), [](const auto& a, const auto& b) { return *a.first < *b.first; });
      out += '{';
      bool first = true;
      for (const auto& [key, value] : items) {
        if (!first) out += item_sep;
        first = false;
        if (indent >= 0) newline(level + 1);
        dumps_string(out, *key, o.ensure_ascii);
        out += key_sep;
        dumps(out, *value, o, level + 1);
      }
      if (indent >= 0) newline(level);
      out += '}';
      return;
    }
    default: out += "null"; return;
  }
}

}  // namespace

std::string py_json_dumps(const json& j, const DumpsOptions& options) {
  std::string out;
  dumps(out, j, options, 0);
  return out;
}

std::string py_json_dumps(const json& j, int indent) {
  DumpsOptions o;
  o.indent = indent;
  return py_json_dumps(j, o);
}

std::string py_repr(const json& j) {
  switch (j.type()) {
    case json::value_t::null: return "None";
    case json::value_t::boolean: return j.get<bool>() ? "True" : "False";
    case json::value_t::number_integer: return std::to_string(j.get<int64_t>());
    case json::value_t::number_unsigned: return std::to_string(j.get<uint64_t>());
    case json::value_t::number_float: return py_float_repr(j.get<double>());
    case json::value_t::string: return py_str_repr(j.get_ref<const std::string&>());
    case json::value_t::array: {
      std::string out = "[";
      for (size_t i = 0; i < j.size(); ++i) out += (i ? ", " : "") + py_repr(j[i]);
      return out + "]";
    }
    case json::value_t::object: {
      std::string out = "{";
      bool first = true;
      for (auto it = j.begin(); it != j.end(); ++it) {
        out += (first ? "" : ", ") + py_str_repr(it.key()) + ": " + py_repr(it.value());
        first = false;
      }
      return out + "}";
    }
    default: return "None";
  }
}

std::string to_str(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::Undefined: return "";
    case Value::Kind::Namespace: return "<Namespace " + py_repr(v.ns()) + ">";
    case Value::Kind::Function: return "<function " + v.name() + ">";
    case Value::Kind::Data: break;
  }
  if (v.data().is_string()) return v.str();
  return py_repr(v.data());
}

bool truthy(const Value& v) {
  if (!v.is_data()) return !v.is_undefined();
  const json& j = v.data();
  switch (j.type()) {
    case json::value_t::null: return false;
    case json::value_t::boolean: return j.get<bool>();
    case json::value_t::number_integer: return j.get<int64_t>() != 0;
    case json::value_t::number_unsigned: return j.get<uint64_t>() != 0;
    case json::value_t::number_float: return j.get<double>() != 0.0;
    case json::value_t::string: return !j.get_ref<const std::string&>().empty();
    case json::value_t::array:
    case json::value_t::object: return !j.empty();
    default: return false;
  }
}

namespace {

// Python numbers compare across int/float/bool (True == 1).
bool as_number(const json& j, double& d) {
  if (j.is_boolean()) {
    d = j.get<bool>() ? 1 : 0;
    return true;
  }
  if (j.is_number()) {
    d = j.get<double>();
    return true;
  }
  return false;
}

bool json_equals(const json& a, const json& b) {
  double x, y;
  if (as_number(a, x) && as_number(b, y)) {
    if (a.is_number_integer() && b.is_number_integer()) return a.get<int64_t>() == b.get<int64_t>();
    return x == y;
  }
  if (a.type() != b.type()) return false;
  if (a.is_array()) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
      if (!json_equals(a[i], b[i])) return false;
    return true;
  }
  if (a.is_object()) {
    if (a.size() != b.size()) return false;
    for (auto it = a.begin(); it != a.end(); ++it) {
      auto jt = b.find(it.key());
      if (jt == b.end() || !json_equals(it.value(), *jt)) return false;
    }
    return true;
  }
  return a == b;
}

int json_compare(const json& a, const json& b, int line, int col) {
  double x, y;
  if (as_number(a, x) && as_number(b, y)) {
    if (a.is_number_integer() && b.is_number_integer()) {
      int64_t p = a.get<int64_t>(), q = b.get<int64_t>();
      return p < q ? -1 : p > q ? 1 : 0;
    }
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (a.is_string() && b.is_string()) {
    // Byte order of UTF-8 is code point order, which is Python's string order.
    int c = a.get_ref<const std::string&>().compare(b.get_ref<const std::string&>());
    return c < 0 ? -1 : c > 0 ? 1 : 0;
  }
  if (a.is_array() && b.is_array()) {
    for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
      if (json_equals(a[i], b[i])) continue;
      return json_compare(a[i], b[i], line, col);
    }
    return a.size() < b.size() ? -1 : a.size() > b.size() ? 1 : 0;
  }
  fail_at(line, col, "cannot compare {} with {}", type_name(Value(a)), type_name(Value(b)));
}

}  // namespace

bool equals(const Value& a, const Value& b) {
  if (a.is_data() && b.is_data()) return json_equals(a.data(), b.data());
  if (a.is_undefined() || b.is_undefined()) return a.is_undefined() && b.is_undefined();
  if (a.is_namespace() && b.is_namespace()) return &a.ns() == &b.ns();
  return false;
}

int compare(const Value& a, const Value& b, int line, int col) {
  if (!a.is_data() || !b.is_data())
    fail_at(line, col, "cannot compare {} with {}", type_name(a), type_name(b));
  return json_compare(a.data(), b.data(), line, col);
}

std::string type_name(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::Undefined: return v.name().empty() ? "undefined" : "undefined '" + v.name() + "'";
    case Value::Kind::Namespace: return "namespace";
    case Value::Kind::Function: return "function";
    case Value::Kind::Data: break;
  }
  switch (v.data().type()) {
    case json::value_t::null: return "none";
    case json::value_t::boolean: return "bool";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned: return "int";
    case json::value_t::number_float: return "float";
    case json::value_t::string: return "str";
    case json::value_t::array: return "list";
    case json::value_t::object: return "dict";
    default: return "value";
  }
}

}  // namespace argus::text::jinja
