// The syntax tree of a parsed Jinja template: expressions and statements.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace argus::text::jinja {

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Expr {
  enum class Kind {
    Literal,  // value
    Name,     // str = variable name
    List,     // kids = items (tuples are lists too)
    Dict,     // kids = key, value, key, value, ...
    Attr,     // kids[0] . str
    Item,     // kids[0] [ kids[1] ]
    Slice,    // kids[0] [ kids[1] : kids[2] : kids[3] ]  (missing parts are null)
    Call,     // kids[0] ( kids[1..] ), the last kw_names.size() of them keyword arguments
    Filter,   // kids[0] | str ( kids[1..] ), keywords as for Call
    Test,     // kids[0] is [not] str ( kids[1..] ); negated
    Unary,    // str in {"not", "-", "+"}, kids[0]
    Binary,   // kids[0] str kids[1]; str in {"or","and","==","!=","<","<=",">",">=","in","not in",
              // "+","-","*","/","//","%","**","~"}
    Cond,     // kids[0] if kids[1] else kids[2] (kids[2] may be null)
  };
  Kind kind = Kind::Literal;
  int line = 0, col = 0;
  std::string str;
  nlohmann::ordered_json value;  // jinja::json (value.h)
  std::vector<ExprPtr> kids;
  std::vector<std::string> kw_names;
  bool negated = false;

  size_t positional_count() const { return kids.size() - 1 - kw_names.size(); }
};

struct Node;
using Body = std::vector<std::unique_ptr<Node>>;

struct Node {
  enum class Kind {
    Text,      // text
    Output,    // {{ expr }}
    If,        // branches: (cond, body)...; a null cond is the else branch
    For,       // for targets in expr [if cond] body [else else_body]
    Set,       // set targets = expr, or set targets[0].attr = expr
    SetBlock,  // set targets[0] body endset
    Macro,     // macro targets[0](params = defaults) body
    Break,
    Continue,
    Generation,  // transformers' {% generation %} marker: renders its body
  };
  Kind kind = Kind::Text;
  int line = 0, col = 0;
  std::string text;
  std::string attr;  // Set on a namespace attribute
  ExprPtr expr;
  ExprPtr cond;  // For's filter
  std::vector<std::string> targets;
  std::vector<std::pair<ExprPtr, Body>> branches;
  Body body, else_body;
  std::vector<ExprPtr> defaults;  // Macro: one per target after the name (null = required)
};

}  // namespace argus::text::jinja
