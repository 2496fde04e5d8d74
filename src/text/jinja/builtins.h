// Jinja's filters and tests, Python's str/dict methods and attribute/item lookup: the
// subset that chat templates use. Every name outside it is an error that names it.
#pragma once
#include <cstddef>
#include <string>

#include "text/jinja/value.h"

namespace argus::text::jinja {

// No string, list or rendered output may grow past this: a hostile template (`'a' * 10**9`,
// nested loops) stops with an error instead of taking the machine's memory.
constexpr size_t kMaxBytes = size_t{32} << 20;
constexpr size_t kMaxListItems = size_t{1} << 20;

bool is_known_filter(const std::string& name);
bool is_known_test(const std::string& name);

Value apply_filter(const std::string& name, const Value& subject, CallArgs& args);
bool apply_test(const std::string& name, const Value& subject, CallArgs& args);

// obj.name: a dict's methods (items, keys, values, get) before its keys, as Jinja's getattr;
// a str's methods; a namespace's attributes; else Undefined.
Value get_attr(const Value& obj, const std::string& name, int line, int col);
// obj[key]: dict key, list/str index (negative counts from the end); else Undefined.
Value get_item(const Value& obj, const Value& key, int line, int col);
// obj[start:stop:step] of a list or str, Python semantics.
Value get_slice(const Value& obj, const Value& start, const Value& stop, const Value& step, int line, int col);

// Elements a for loop or filter walks: list items, dict keys, str characters; Undefined is
// empty (as in Jinja); anything else (None, numbers) is an error, as in Python.
json iterate(const Value& v, int line, int col);

}  // namespace argus::text::jinja
