// The Jinja engine on its own: whitespace control as transformers configures Jinja
// (trim_blocks, lstrip_blocks), Python semantics of values and operators, loops, scopes,
// filters and tests, and the errors and limits that guard against hostile templates.
// Expected strings are derived from Jinja/Python semantics (see the comments), not from
// running this engine.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "text/jinja/template.h"
#include "util/error.h"

using argus::text::jinja::Template;
using nlohmann::json;

namespace {

std::string render(const std::string& src, const json& vars = json::object()) {
  return Template::parse(src)->render(vars);
}

// The error message of parsing + rendering `src`; "" if it did not fail.
std::string error_of(const std::string& src, const json& vars = json::object()) {
  try {
    render(src, vars);
  } catch (const argus::Error& e) {
    return e.what();
  }
  return "";
}

#define EXPECT_ERROR_HAS(src, needle)                                          \
  do {                                                                         \
    std::string msg_ = error_of(src);                                          \
    EXPECT_NE(msg_.find(needle), std::string::npos) << "error was: " << msg_;  \
  } while (0)

}  // namespace

TEST(Jinja, TrimBlocksDropsTheNewlineAfterABlockTag) {
  // `{% if %}\n`: the newline goes (trim_blocks); the one after endif is the source's final
  // newline, which Jinja drops too (keep_trailing_newline=False).
  EXPECT_EQ(render("{% if true %}\n  yes\n{% endif %}\n"), "  yes\n");
  // Output tags keep the newline after them.
  EXPECT_EQ(render("{{ 'a' }}\nb"), "a\nb");
}

TEST(Jinja, LstripBlocksDropsIndentBeforeBlockTagsOnly) {
  // The indent before each {% %} on its own line goes, the indent of content lines stays.
  EXPECT_EQ(render("<ul>\n    {% for x in xs %}\n    <li>{{ x }}</li>\n    {% endfor %}\n</ul>", {{"xs", {1, 2}}}),
            "<ul>\n    <li>1</li>\n    <li>2</li>\n</ul>");
  // Not at a line start (text before the tag on its line): nothing is stripped.
  EXPECT_EQ(render("a  {% if true %}b{% endif %}"), "a  b");
  // `{%+` opts out of lstrip.
  EXPECT_EQ(render("  {%+ if true %}x{% endif %}"), "  x");
  // `{{` is not a block tag: its indent stays.
  EXPECT_EQ(render("  {{ 'x' }}"), "  x");
}

TEST(Jinja, MinusStripsAllWhitespaceOnItsSide) {
  EXPECT_EQ(render("a  \n {{- 'b' -}} \n\n c"), "abc");
  EXPECT_EQ(render("x\n\n{%- if true -%}\n\n y {%- endif %}"), "xy");
}

TEST(Jinja, CommentsVanishWithTheirLine) {
  EXPECT_EQ(render("a{# note #}b"), "ab");
  EXPECT_EQ(render("a\n  {# note #}\nb"), "a\nb");  // lstrip before, trim_blocks after
}

TEST(Jinja, NewlinesAreNormalized) { EXPECT_EQ(render("a\r\nb\rc"), "a\nb\nc"); }

TEST(Jinja, ValuesPrintAsPythonStr) {
  EXPECT_EQ(render("{{ none }}|{{ true }}|{{ False }}|{{ 1.0 }}|{{ 0.1 }}|{{ 3 }}|{{ undefined_thing }}|"),
            "None|True|False|1.0|0.1|3||");
  EXPECT_EQ(render("{{ [1, 'a', none] }}|{{ {'k': 'v'} }}|{{ \"it's\" }}"), "[1, 'a', None]|{'k': 'v'}|it's");
  EXPECT_EQ(render("{{ ['it\\'s'] }}"), "[\"it's\"]");  // repr switches quotes like Python
  EXPECT_EQ(render("{{ 1e20 }}|{{ 0.00001 }}|{{ 123456.5 }}"), "1e+20|1e-05|123456.5");
}

TEST(Jinja, ArithmeticFollowsPython) {
  EXPECT_EQ(render("{{ 7 / 2 }} {{ 7 // 2 }} {{ -7 // 2 }} {{ -7 % 3 }} {{ 2 ** 10 }} {{ 1 + 2 * 3 }} {{ (1 + 2) * 3 }}"),
            "3.5 3 -4 2 1024 7 9");
  EXPECT_EQ(render("{{ 'ab' * 3 }}|{{ [1] + [2] }}|{{ 1 ~ 'x' ~ none }}|{{ -3 }}|{{ 1 + 0.5 }}"), "ababab|[1, 2]|1xNone|-3|1.5");
}

TEST(Jinja, FilterBindsTighterThanPlus) {
  // `a + b | trim + c` is `a + (b | trim) + c`: the Llama 3 template depends on it.
  EXPECT_EQ(render("{{ '<' + ' b ' | trim + '>' }}"), "<b>");
  EXPECT_EQ(render("{{ not none is none }}"), "False");  // `is` binds tighter than `not`
}

TEST(Jinja, ComparisonsAndMembership) {
  EXPECT_EQ(render("{{ 'a' in 'cat' }}{{ 'k' in {'k': 1} }}{{ 3 not in [1, 2] }}{{ 1 == 1.0 }}{{ 'a' < 'b' }}{{ [1, 2] < [1, 3] }}"),
            "TrueTrueTrueTrueTrueTrue");
  // and/or return the deciding operand, as in Python.
  EXPECT_EQ(render("{{ '' or 'x' }}|{{ 'a' and 'b' }}|{{ 0 and 1 }}"), "x|b|0");
  EXPECT_EQ(render("{{ 'y' if 1 > 2 else 'n' }}|{{ 'y' if 1 }}|{{ 'y' if 0 }}|"), "n|y||");
}

TEST(Jinja, IfElifElse) {
  const std::string t = "{% if x == 1 %}one{% elif x == 2 %}two{% else %}many{% endif %}";
  EXPECT_EQ(render(t, {{"x", 1}}), "one");
  EXPECT_EQ(render(t, {{"x", 2}}), "two");
  EXPECT_EQ(render(t, {{"x", 5}}), "many");
}

TEST(Jinja, LoopVariables) {
  EXPECT_EQ(render("{% for x in ['a', 'b', 'c'] %}{{ x }}{{ loop.index0 }}{{ loop.index }}{{ loop.first }}"
                   "{{ loop.last }}{{ loop.length }}{{ loop.revindex }}|{% endfor %}"),
            "a01TrueFalse33|b12FalseFalse32|c23FalseTrue31|");
  // Nested loops: the inner `loop` shadows the outer one only inside.
  EXPECT_EQ(render("{% for a in [1, 2] %}{% for b in [1] %}{{ loop.index }}{% endfor %}{{ loop.index }}{% endfor %}"), "1112");
}

TEST(Jinja, LoopFilterElseBreakContinue) {
  // `if` in the for header filters first, so loop.length counts only the kept items.
  EXPECT_EQ(render("{% for x in [1, 2, 3, 4] if x is even %}{{ x }}/{{ loop.length }} {% endfor %}"), "2/2 4/2 ");
  EXPECT_EQ(render("{% for x in [] %}a{% else %}empty{% endfor %}"), "empty");
  EXPECT_EQ(render("{% for x in [1, 2, 3, 4] %}{% if x == 2 %}{% continue %}{% endif %}{% if x == 4 %}{% break %}{% endif %}"
                   "{{ x }}{% endfor %}"),
            "13");
}

TEST(Jinja, LoopsOverDictsAndUnpacking) {
  json vars = {{"d", {{"a", 1}, {"b", 2}}}};
  EXPECT_EQ(render("{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}", vars), "a=1;b=2;");
  EXPECT_EQ(render("{% for k in d %}{{ k }}{% endfor %}", vars), "ab");  // a dict iterates its keys
  EXPECT_EQ(render("{% for k, v in d | items %}{{ k }}{{ v }}{% endfor %}", vars), "a1b2");
  EXPECT_EQ(render("{{ d.keys() | list }}{{ d.values() | list }}{{ d.get('a') }}{{ d.get('z', 'none') }}", vars),
            "['a', 'b'][1, 2]1none");
}

TEST(Jinja, SetInsideALoopStaysInTheLoopButNamespacesCarryOut) {
  EXPECT_EQ(render("{% set n = 0 %}{% for x in [1, 2] %}{% set n = n + x %}{% endfor %}{{ n }}"), "0");
  EXPECT_EQ(render("{% set ns = namespace(n=0, seen=false) %}{% for x in [1, 2, 3] %}{% set ns.n = ns.n + x %}"
                   "{% endfor %}{{ ns.n }}{{ ns.seen }}"),
            "6False");
  EXPECT_EQ(render("{% set a, b = [1, 2] %}{{ b }}{{ a }}"), "21");
  EXPECT_EQ(render("{% set s %}a{{ 1 }}{% endset %}[{{ s }}]"), "[a1]");
  // A top-level set shadows a render variable (the Llama 3.1 template re-sets `messages`).
  EXPECT_EQ(render("{% set messages = messages[1:] %}{{ messages | length }}", {{"messages", {1, 2, 3}}}), "2");
}

TEST(Jinja, StringMethods) {
  EXPECT_EQ(render("{{ '  hi \\n'.strip() }}|{{ 'xxhixx'.strip('x') }}|{{ ' a'.lstrip() }}|{{ 'a '.rstrip() }}|"), "hi|hi|a|a|");
  EXPECT_EQ(render("{{ 'abc'.startswith('ab') }}{{ 'abc'.endswith('bc') }}{{ 'abc'.startswith(('x', 'a')) }}{{ 'abc'.endswith('x') }}"),
            "TrueTrueTrueFalse");
  EXPECT_EQ(render("{{ 'a,b,,c'.split(',') }}|{{ ' a  b\\tc '.split() }}|{{ 'a b c'.split(' ', 1) }}"),
            "['a', 'b', '', 'c']|['a', 'b', 'c']|['a', 'b c']");
  EXPECT_EQ(render("{{ 'Hi'.upper() }}{{ 'Hi'.lower() }}{{ 'hello world'.title() }}{{ 'aXa'.replace('a', 'b') }}"),
            "HIhiHello WorldbXb");
  EXPECT_EQ(render("{{ message['role'].upper() }}", {{"message", {{"role", "user"}}}}), "USER");
}

TEST(Jinja, SlicingCountsCodePoints) {
  EXPECT_EQ(render("{{ [1, 2, 3][1:] }}{{ [1, 2, 3][:-1] }}{{ [1, 2, 3][::-1] }}{{ [1, 2, 3][-1] }}{{ [1, 2, 3][5] }}"),
            "[2, 3][1, 2][3, 2, 1]3");
  EXPECT_EQ(render("{{ 'abc'[::-1] }}{{ 'héllo'[1:3] }}{{ 'héllo'[1] }}{{ 'héllo' | length }}{{ 'abcdef'[::2] }}"), "cbaélé5ace");
}

TEST(Jinja, Tests) {
  json vars = {{"x", 1}, {"y", nullptr}, {"m", {{"k", 1}}}};
  EXPECT_EQ(render("{{ x is defined }}{{ nope is defined }}{{ nope is undefined }}{{ y is none }}{{ x is not none }}", vars),
            "TrueFalseTrueTrueTrue");
  EXPECT_EQ(render("{{ 'a' is string }}{{ m is mapping }}{{ [1] is iterable }}{{ 'a' is iterable }}{{ 1 is iterable }}", vars),
            "TrueTrueTrueTrueFalse");
  EXPECT_EQ(render("{{ 3 is odd }}{{ 4 is even }}{{ 9 is divisibleby 3 }}{{ 'a' is equalto 'a' }}{{ 2 is eq(3) }}{{ 1 is number }}"),
            "TrueTrueTrueTrueFalseTrue");
}

TEST(Jinja, Filters) {
  EXPECT_EQ(render("{{ ' x ' | trim }}|{{ 'Ab' | upper }}|{{ 'Ab' | lower }}|{{ 'ab' | capitalize }}|{{ 5 | string }}"),
            "x|AB|ab|Ab|5");
  EXPECT_EQ(render("{{ u | default('d') }}{{ '' | default('e', true) }}{{ '' | default('f') }}|{{ none | d('g') }}"), "de|None");
  EXPECT_EQ(render("{{ [1, 2, 3] | first }}{{ [1, 2, 3] | last }}{{ ['a', 'b'] | join('-') }}{{ [1, 2] | join }}"
                   "{{ [1, 2, 3] | length }}{{ 'aXbX' | replace('X', 'y') }}{{ {'a': 1} | count }}"),
            "13a-b123ayby1");
  // indent: lines after the first, blank lines left alone unless blank=true.
  EXPECT_EQ(render("{{ 'a\\nb\\n\\nc' | indent(2) }}"), "a\n  b\n\n  c");
  EXPECT_EQ(render("{{ 'a\\nb' | indent(2, true) }}"), "  a\n  b");
  EXPECT_EQ(render("{{ '<b>' | safe }}{{ [3, 1, 2] | sort | join }}{{ [1, 1, 2] | unique | list }}{{ '4' | int + 1 }}"),
            "<b>123[1, 2]5");
}

TEST(Jinja, SelectAttrAndMap) {
  json vars = {{"xs", {{{"t", "a"}, {"v", 1}}, {{"t", "b"}, {"v", 2}}, {{"t", "a"}, {"v", 3}}}}};
  EXPECT_EQ(render("{{ xs | selectattr('t', 'equalto', 'a') | map(attribute='v') | join(',') }}", vars), "1,3");
  EXPECT_EQ(render("{{ xs | rejectattr('t', 'equalto', 'a') | map(attribute='v') | list }}", vars), "[2]");
  EXPECT_EQ(render("{{ [1, 2, 3, 4] | select('odd') | list }}{{ ['a', 'b'] | map('upper') | join }}"), "[1, 3]AB");
  // A plain string iterates as characters, none of which has a 'type': nothing is selected.
  EXPECT_EQ(render("{{ 'hello' | selectattr('type', 'equalto', 'text') | list }}"), "[]");
}

TEST(Jinja, ToJsonMatchesPythonJsonDumps) {
  // json.dumps separators: ", " and ": " inline, "," + newlines with indent; non-ASCII kept
  // (transformers' tojson passes ensure_ascii=False); keys in insertion order, as Python's
  // dicts keep them.
  EXPECT_EQ(render("{{ {'b': [1, 2.5, 'x\"y'], 'a': none, 'c': 'é'} | tojson }}"),
            "{\"b\": [1, 2.5, \"x\\\"y\"], \"a\": null, \"c\": \"é\"}");
  EXPECT_EQ(render("{{ {'a': [1, {}]} | tojson(indent=2) }}"), "{\n  \"a\": [\n    1,\n    {}\n  ]\n}");
  EXPECT_EQ(render("{{ 'a\\nb' | tojson }}"), "\"a\\nb\"");
}

TEST(Jinja, ToJsonTakesTransformersKeywordArguments) {
  // transformers' tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False)
  // is json.dumps with those arguments. json.dumps("\u00e9\U0001F600\x7f", ensure_ascii=True)
  // is "\u00e9\ud83d\ude00\u007f" (DEL is escaped: only ' '..'~' pass).
  EXPECT_EQ(render("{{ 'é😀\x7f' | tojson(ensure_ascii=true) }}"), "\"\\u00e9\\ud83d\\ude00\\u007f\"");
  // ensure_ascii=False: DEL and non-ASCII raw, other control characters as \u00XX.
  EXPECT_EQ(render("{{ 'é\x7f\x01' | tojson }}"), "\"é\x7f\\u0001\"");
  // json.dumps({"b": 1, "a": [1, 2]}, separators=(",", ":"), sort_keys=True) == '{"a":[1,2],"b":1}'
  EXPECT_EQ(render("{{ {'b': 1, 'a': [1, 2]} | tojson(separators=(',', ':'), sort_keys=true) }}"),
            "{\"a\":[1,2],\"b\":1}");
  // Keys keep the caller's order when the variables come in ordered.
  nlohmann::ordered_json vars = {{"t", {{"type", "object"}, {"properties", {{"z", 1}, {"a", 2}}}}}};
  EXPECT_EQ(Template::parse("{{ t | tojson }}")->render(vars),
            "{\"type\": \"object\", \"properties\": {\"z\": 1, \"a\": 2}}");
  EXPECT_ERROR_HAS("{{ 1 | tojson(separators=',') }}", "separators must be a pair of strings");
  EXPECT_ERROR_HAS("{{ 1 | tojson(width=3) }}", "unexpected keyword argument 'width'");
}

TEST(Jinja, Macros) {
  EXPECT_EQ(render("{% macro greet(name, punct='!') %}Hi {{ name }}{{ punct }}{% endmacro %}"
                   "{{ greet('Bob') }} {{ greet('Al', punct='?') }}"),
            "Hi Bob! Hi Al?");
  // A macro does not see the caller's loop variables, only its arguments and globals.
  EXPECT_EQ(render("{% macro m() %}[{{ x }}{{ g }}]{% endmacro %}{% for x in [1] %}{{ m() }}{% endfor %}", {{"g", "G"}}), "[G]");
}

TEST(Jinja, RaiseExceptionSurfacesItsMessage) {
  std::string msg = error_of("{{ raise_exception('Conversation roles must alternate') }}");
  EXPECT_NE(msg.find("Conversation roles must alternate"), std::string::npos) << msg;
  EXPECT_NE(msg.find("line 1"), std::string::npos) << msg;
}

TEST(Jinja, SyntaxErrorsNameTheirPosition) {
  EXPECT_ERROR_HAS("ab{{ x", "line 1, column 3: unclosed '{{'");
  EXPECT_ERROR_HAS("{% if x %}a", "missing '{% endif %}'");
  EXPECT_ERROR_HAS("{% for x in y %}a{% endif %}", "line 1, column 21: unexpected '{% endif %}'");
  EXPECT_ERROR_HAS("a{# never closed", "unclosed comment");
  EXPECT_ERROR_HAS("{{ 'abc }}", "unterminated string");
  EXPECT_ERROR_HAS("{{ 1 + }}", "expected an expression");
  EXPECT_ERROR_HAS("{% endfor %}", "unexpected '{% endfor %}'");
  EXPECT_ERROR_HAS("{% break %}", "outside a for loop");
  EXPECT_ERROR_HAS("{{ a $ b }}", "unexpected character U+0024");
}

TEST(Jinja, UnsupportedConstructsAreNamedNotIgnored) {
  EXPECT_ERROR_HAS("a\n\n  {{ x | frobnicate }}", "line 3, column 10: unsupported filter 'frobnicate'");
  EXPECT_ERROR_HAS("{{ x is frobnicated }}", "unsupported test 'frobnicated'");
  EXPECT_ERROR_HAS("{% include 'other.jinja' %}", "unsupported tag 'include'");
  EXPECT_ERROR_HAS("{% extends 'base' %}", "unsupported tag 'extends'");
  EXPECT_ERROR_HAS("{{ '%s' % 'x' }}", "unsupported: printf-style");
  EXPECT_ERROR_HAS("{{ 'a'.format(1) }}", "format' is not a function");
  EXPECT_ERROR_HAS("{{ cycler(1, 2) }}", "'cycler' is not a function");
  // An unknown filter in a branch that never runs still fails: the template is checked whole.
  EXPECT_ERROR_HAS("{% if false %}{{ x | nope }}{% endif %}", "unsupported filter 'nope'");
}

TEST(Jinja, RuntimeErrorsAreClear) {
  EXPECT_ERROR_HAS("{{ nothing.attr }}", "undefined 'nothing' has no attribute 'attr'");
  EXPECT_ERROR_HAS("{{ 'a' + 1 }}", "unsupported operand types for +: str and int");
  EXPECT_ERROR_HAS("{{ 1 // 0 }}", "division or modulo by zero");
  EXPECT_ERROR_HAS("{% for x in 5 %}{% endfor %}", "int is not iterable");
  EXPECT_ERROR_HAS("{% set x = 1 %}{% set x.a = 2 %}", "only of a namespace");
  EXPECT_ERROR_HAS("{{ 9223372036854775807 + 1 }}", "integer overflow");
}

TEST(Jinja, RunawayTemplatesStop) {
  EXPECT_ERROR_HAS("{% for a in range(1000) %}{% for b in range(1000) %}{% for c in range(1000) %}x{% endfor %}"
                   "{% endfor %}{% endfor %}",
                   "runaway");
  EXPECT_ERROR_HAS("{{ 'a' * 100000000 }}", "size limit");
  EXPECT_ERROR_HAS("{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}", "nest deeper");
  EXPECT_ERROR_HAS("{{ " + std::string(5000, '(') + "1" + std::string(5000, ')') + " }}", "nests deeper");
  EXPECT_ERROR_HAS("{% set ns = namespace(x=[]) %}{% for i in range(100000) %}{% set ns.x = [ns.x] %}{% endfor %}",
                   "value nests deeper than 128 levels");
  EXPECT_ERROR_HAS("{% set ns = namespace(s='ab') %}{% for i in range(40) %}{% set ns.s = ns.s + ns.s %}{% endfor %}",
                   "larger than");
}
