#include "text/jinja/parser.h"

#include "text/jinja/builtins.h"
#include "text/jinja/error.h"

namespace argus::text::jinja {
namespace {

// Deeper nesting than this is not a chat template; refusing it keeps the recursive descent
// (and the evaluator after it) off the end of the stack.
constexpr int kMaxNesting = 200;

class Parser {
 public:
  explicit Parser(const std::vector<Token>& t) : t_(t) {}

  Body parse_template() {
    std::string end;
    Body b = parse_body({}, end);
    return b;
  }

 private:
  // ---------------------------------------------------------------- token helpers
  const Token& cur() const { return t_[i_]; }
  const Token& peek(size_t n = 1) const { return t_[std::min(i_ + n, t_.size() - 1)]; }
  const Token& next() {
    const Token& t = t_[i_];
    if (i_ + 1 < t_.size()) ++i_;
    return t;
  }
  bool is_op(const char* op) const { return cur().type == Tok::Op && cur().text == op; }
  bool is_name(const char* n) const { return cur().type == Tok::Name && cur().text == n; }

  static std::string describe(const Token& t) {
    switch (t.type) {
      case Tok::Text: return "template text";
      case Tok::VarBegin: return "'{{'";
      case Tok::VarEnd: return "'}}'";
      case Tok::BlockBegin: return "'{%'";
      case Tok::BlockEnd: return "'%}'";
      case Tok::Name: return "'" + t.text + "'";
      case Tok::String: return "a string";
      case Tok::Int:
      case Tok::Float: return "a number";
      case Tok::Op: return "'" + t.text + "'";
      case Tok::Eof: return "the end of the template";
    }
    return "?";
  }

  template <typename... Args>
  [[noreturn]] void fail(const Token& t, fmt::format_string<Args...> f, Args&&... args) const {
    fail_at(t.line, t.col, f, std::forward<Args>(args)...);
  }

  void expect_op(const char* op) {
    if (!is_op(op)) fail(cur(), "expected '{}', found {}", op, describe(cur()));
    next();
  }
  std::string expect_name(const char* what) {
    if (cur().type != Tok::Name) fail(cur(), "expected {}, found {}", what, describe(cur()));
    return next().text;
  }
  void expect_block_end(const char* tag) {
    if (cur().type != Tok::BlockEnd) fail(cur(), "expected '%}}' to end '{}', found {}", tag, describe(cur()));
    next();
  }

  struct DepthGuard {
    DepthGuard(Parser& p, const Token& at) : p(p) {
      if (++p.depth_ > kMaxNesting) p.fail(at, "template nests deeper than {} levels", kMaxNesting);
    }
    ~DepthGuard() { --p.depth_; }
    Parser& p;
  };

  ExprPtr make(Expr::Kind k, const Token& at) {
    auto e = std::make_unique<Expr>();
    e->kind = k;
    e->line = at.line;
    e->col = at.col;
    return e;
  }

  // ---------------------------------------------------------------- statements
  // Parses nodes until a block tag named in `ends`; leaves the tokens after that tag's name
  // unread and reports its name in `end`. With no `ends`, parses to the end of the template.
  Body parse_body(const std::vector<std::string>& ends, std::string& end) {
    DepthGuard g(*this, cur());
    Body body;
    for (;;) {
      const Token& t = cur();
      if (t.type == Tok::Eof) {
        if (ends.empty()) return body;
        fail(t, "unexpected end of template: missing '{{% {} %}}'", ends.back());
      }
      if (t.type == Tok::Text) {
        auto n = node(Node::Kind::Text, t);
        n->text = t.text;
        next();
        body.push_back(std::move(n));
        continue;
      }
      if (t.type == Tok::VarBegin) {
        auto n = node(Node::Kind::Output, t);
        next();
        n->expr = parse_expression();
        if (cur().type != Tok::VarEnd) fail(cur(), "expected '}}}}', found {}", describe(cur()));
        next();
        body.push_back(std::move(n));
        continue;
      }
      if (t.type != Tok::BlockBegin) fail(t, "unexpected {}", describe(t));
      const Token& tag = peek();
      if (tag.type != Tok::Name) fail(tag, "expected a tag name after '{{%', found {}", describe(tag));
      for (const auto& e : ends)
        if (tag.text == e) {
          next();
          next();
          end = e;
          return body;
        }
      next();
      body.push_back(parse_statement());
    }
  }

  std::unique_ptr<Node> node(Node::Kind k, const Token& at) {
    auto n = std::make_unique<Node>();
    n->kind = k;
    n->line = at.line;
    n->col = at.col;
    return n;
  }

  std::unique_ptr<Node> parse_statement() {
    const Token& tag = next();
    const std::string& name = tag.text;
    if (name == "if") return parse_if(tag);
    if (name == "for") return parse_for(tag);
    if (name == "set") return parse_set(tag);
    if (name == "macro") return parse_macro(tag);
    if (name == "break" || name == "continue") {
      if (loop_depth_ == 0) fail(tag, "'{}' outside a for loop", name);
      auto n = node(name == "break" ? Node::Kind::Break : Node::Kind::Continue, tag);
      expect_block_end(name.c_str());
      return n;
    }
    if (name == "generation") {
      auto n = node(Node::Kind::Generation, tag);
      expect_block_end("generation");
      std::string end;
      n->body = parse_body({"endgeneration"}, end);
      expect_block_end("endgeneration");
      return n;
    }
    static const char* const kClosers[] = {"endif", "endfor", "endset", "endmacro", "endgeneration", "elif", "else"};
    for (const char* c : kClosers)
      if (name == c) fail(tag, "unexpected '{{% {} %}}' (nothing open that it ends)", name);
    fail(tag, "unsupported tag '{}'", name);
  }

  std::unique_ptr<Node> parse_if(const Token& tag) {
    auto n = node(Node::Kind::If, tag);
    ExprPtr cond = parse_expression();
    expect_block_end("if");
    for (;;) {
      std::string end;
      Body b = parse_body({"elif", "else", "endif"}, end);
      n->branches.emplace_back(std::move(cond), std::move(b));
      if (end == "endif") {
        expect_block_end("endif");
        return n;
      }
      if (end == "elif") {
        cond = parse_expression();
        expect_block_end("elif");
        continue;
      }
      expect_block_end("else");
      Body eb = parse_body({"endif"}, end);
      n->branches.emplace_back(nullptr, std::move(eb));
      expect_block_end("endif");
      return n;
    }
  }

  std::vector<std::string> parse_targets(const char* what) {
    std::vector<std::string> names;
    bool paren = is_op("(");
    if (paren) next();
    names.push_back(expect_name(what));
    while (is_op(",")) {
      next();
      names.push_back(expect_name(what));
    }
    if (paren) expect_op(")");
    return names;
  }

  std::unique_ptr<Node> parse_for(const Token& tag) {
    auto n = node(Node::Kind::For, tag);
    n->targets = parse_targets("a loop variable name");
    if (!is_name("in")) fail(cur(), "expected 'in' in a for loop, found {}", describe(cur()));
    next();
    n->expr = parse_or();  // no inline if here: `for x in xs if cond` filters
    if (is_name("if")) {
      next();
      n->cond = parse_expression();
    }
    if (is_name("recursive")) fail(cur(), "unsupported: recursive for loops");
    expect_block_end("for");
    ++loop_depth_;
    std::string end;
    n->body = parse_body({"else", "endfor"}, end);
    --loop_depth_;
    if (end == "else") {
      expect_block_end("else");
      n->else_body = parse_body({"endfor"}, end);
    }
    expect_block_end("endfor");
    return n;
  }

  std::unique_ptr<Node> parse_set(const Token& tag) {
    auto n = node(Node::Kind::Set, tag);
    std::string first = expect_name("a variable name");
    if (is_op(".")) {
      next();
      n->attr = expect_name("an attribute name");
      n->targets = {first};
    } else {
      n->targets = {first};
      while (is_op(",")) {
        next();
        n->targets.push_back(expect_name("a variable name"));
      }
    }
    if (cur().type == Tok::BlockEnd) {
      if (n->targets.size() != 1 || !n->attr.empty()) fail(tag, "a block set takes one plain variable name");
      n->kind = Node::Kind::SetBlock;
      next();
      int saved = loop_depth_;
      loop_depth_ = 0;
      std::string end;
      n->body = parse_body({"endset"}, end);
      loop_depth_ = saved;
      expect_block_end("endset");
      return n;
    }
    expect_op("=");
    n->expr = parse_tuple_or_expression();
    expect_block_end("set");
    return n;
  }

  std::unique_ptr<Node> parse_macro(const Token& tag) {
    auto n = node(Node::Kind::Macro, tag);
    n->targets.push_back(expect_name("a macro name"));
    expect_op("(");
    while (!is_op(")")) {
      n->targets.push_back(expect_name("a macro parameter name"));
      if (is_op("=")) {
        next();
        n->defaults.push_back(parse_expression());
      } else {
        if (!n->defaults.empty() && n->defaults.back())
          fail(cur(), "macro parameter '{}' without a default follows one with a default", n->targets.back());
        n->defaults.push_back(nullptr);
      }
      if (!is_op(",")) break;
      next();
    }
    expect_op(")");
    expect_block_end("macro");
    int saved = loop_depth_;
    loop_depth_ = 0;
    std::string end;
    n->body = parse_body({"endmacro"}, end);
    loop_depth_ = saved;
    expect_block_end("endmacro");
    return n;
  }

  // ---------------------------------------------------------------- expressions
  // `a, b` (a tuple, as a list) where Jinja allows one: set values.
  ExprPtr parse_tuple_or_expression() {
    const Token& at = cur();
    ExprPtr first = parse_expression();
    if (!is_op(",")) return first;
    auto list = make(Expr::Kind::List, at);
    list->kids.push_back(std::move(first));
    while (is_op(",")) {
      next();
      if (cur().type == Tok::BlockEnd) break;
      list->kids.push_back(parse_expression());
    }
    return list;
  }

  ExprPtr parse_expression() {
    DepthGuard g(*this, cur());
    const Token& at = cur();
    ExprPtr e = parse_or();
    while (is_name("if")) {
      next();
      auto c = make(Expr::Kind::Cond, at);
      c->kids.push_back(std::move(e));
      c->kids.push_back(parse_or());
      if (is_name("else")) {
        next();
        c->kids.push_back(parse_expression());
      } else {
        c->kids.push_back(nullptr);
      }
      e = std::move(c);
    }
    return e;
  }

  ExprPtr binary(const Token& at, std::string op, ExprPtr l, ExprPtr r) {
    auto b = make(Expr::Kind::Binary, at);
    b->str = std::move(op);
    b->kids.push_back(std::move(l));
    b->kids.push_back(std::move(r));
    return b;
  }

  ExprPtr parse_or() {
    ExprPtr l = parse_and();
    while (is_name("or")) {
      const Token& at = next();
      l = binary(at, "or", std::move(l), parse_and());
    }
    return l;
  }

  ExprPtr parse_and() {
    ExprPtr l = parse_not();
    while (is_name("and")) {
      const Token& at = next();
      l = binary(at, "and", std::move(l), parse_not());
    }
    return l;
  }

  ExprPtr parse_not() {
    if (is_name("not")) {
      DepthGuard g(*this, cur());
      const Token& at = next();
      auto u = make(Expr::Kind::Unary, at);
      u->str = "not";
      u->kids.push_back(parse_not());
      return u;
    }
    return parse_compare();
  }

  ExprPtr parse_compare() {
    ExprPtr l = parse_math1();
    for (;;) {
      const Token& at = cur();
      std::string op;
      if (at.type == Tok::Op && (at.text == "==" || at.text == "!=" || at.text == "<" || at.text == "<=" ||
                                 at.text == ">" || at.text == ">=")) {
        op = at.text;
        next();
      } else if (is_name("in")) {
        op = "in";
        next();
      } else if (is_name("not") && peek().type == Tok::Name && peek().text == "in") {
        op = "not in";
        next();
        next();
      } else {
        return l;
      }
      // Chained comparisons (a < b < c) are rare in templates and differ from left-folding.
      ExprPtr r = parse_math1();
      if (cur().type == Tok::Op && (cur().text == "==" || cur().text == "!=" || cur().text == "<" ||
                                    cur().text == "<=" || cur().text == ">" || cur().text == ">="))
        fail(cur(), "unsupported: chained comparison");
      l = binary(at, op, std::move(l), std::move(r));
    }
  }

  ExprPtr parse_math1() {
    ExprPtr l = parse_concat();
    while (is_op("+") || is_op("-")) {
      const Token& at = next();
      l = binary(at, at.text, std::move(l), parse_concat());
    }
    return l;
  }

  ExprPtr parse_concat() {
    ExprPtr l = parse_math2();
    while (is_op("~")) {
      const Token& at = next();
      l = binary(at, "~", std::move(l), parse_math2());
    }
    return l;
  }

  ExprPtr parse_math2() {
    ExprPtr l = parse_pow();
    while (is_op("*") || is_op("/") || is_op("//") || is_op("%")) {
      const Token& at = next();
      l = binary(at, at.text, std::move(l), parse_pow());
    }
    return l;
  }

  ExprPtr parse_pow() {
    ExprPtr l = parse_unary(true);
    while (is_op("**")) {
      const Token& at = next();
      l = binary(at, "**", std::move(l), parse_unary(true));
    }
    return l;
  }

  ExprPtr parse_unary(bool with_filter) {
    DepthGuard g(*this, cur());
    ExprPtr e;
    if (is_op("-") || is_op("+")) {
      const Token& at = next();
      e = make(Expr::Kind::Unary, at);
      e->str = at.text;
      e->kids.push_back(parse_unary(false));
    } else {
      e = parse_primary();
    }
    e = parse_postfix(std::move(e));
    if (with_filter) e = parse_filters(std::move(e));
    return e;
  }

  ExprPtr parse_primary() {
    const Token& t = cur();
    switch (t.type) {
      case Tok::Name: {
        next();
        if (t.text == "true" || t.text == "True") return literal(t, true);
        if (t.text == "false" || t.text == "False") return literal(t, false);
        if (t.text == "none" || t.text == "None") return literal(t, nullptr);
        auto e = make(Expr::Kind::Name, t);
        e->str = t.text;
        return e;
      }
      case Tok::String: {
        std::string s;
        while (cur().type == Tok::String) s += next().text;  // adjacent literals concatenate
        return literal(t, s);
      }
      case Tok::Int: next(); return literal(t, t.ival);
      case Tok::Float: next(); return literal(t, t.fval);
      case Tok::Op:
        if (t.text == "(") {
          next();
          if (is_op(")")) {
            next();
            return make(Expr::Kind::List, t);
          }
          ExprPtr first = parse_expression();
          if (is_op(")")) {
            next();
            return first;
          }
          auto list = make(Expr::Kind::List, t);
          list->kids.push_back(std::move(first));
          while (is_op(",")) {
            next();
            if (is_op(")")) break;
            list->kids.push_back(parse_expression());
          }
          expect_op(")");
          return list;
        }
        if (t.text == "[") {
          next();
          auto list = make(Expr::Kind::List, t);
          while (!is_op("]")) {
            list->kids.push_back(parse_expression());
            if (!is_op(",")) break;
            next();
          }
          expect_op("]");
          return list;
        }
        if (t.text == "{") {
          next();
          auto dict = make(Expr::Kind::Dict, t);
          while (!is_op("}")) {
            dict->kids.push_back(parse_expression());
            expect_op(":");
            dict->kids.push_back(parse_expression());
            if (!is_op(",")) break;
            next();
          }
          expect_op("}");
          return dict;
        }
        break;
      default: break;
    }
    fail(t, "expected an expression, found {}", describe(t));
  }

  ExprPtr literal(const Token& at, json v) {
    auto e = make(Expr::Kind::Literal, at);
    e->value = std::move(v);
    return e;
  }

  ExprPtr parse_postfix(ExprPtr e) {
    for (;;) {
      if (is_op(".")) {
        const Token& at = next();
        auto a = make(Expr::Kind::Attr, at);
        if (cur().type == Tok::Int) {  // foo.0 is foo[0] in Jinja
          a->kind = Expr::Kind::Item;
          a->kids.push_back(std::move(e));
          a->kids.push_back(literal(cur(), next().ival));
        } else {
          a->str = expect_name("an attribute name");
          a->kids.push_back(std::move(e));
        }
        e = std::move(a);
      } else if (is_op("[")) {
        e = parse_subscript(std::move(e));
      } else if (is_op("(")) {
        e = parse_call(std::move(e));
      } else {
        return e;
      }
    }
  }

  ExprPtr parse_subscript(ExprPtr obj) {
    const Token& at = next();  // '['
    ExprPtr parts[3];
    int colons = 0;
    for (;;) {
      if (is_op("]")) break;
      if (is_op(":")) {
        if (++colons > 2) fail(cur(), "a slice takes at most two ':'");
        next();
        continue;
      }
      if (parts[colons]) fail(cur(), "expected ':' or ']' in a subscript, found {}", describe(cur()));
      parts[colons] = parse_expression();
    }
    expect_op("]");
    if (colons == 0) {
      if (!parts[0]) fail(at, "empty subscript '[]'");
      auto e = make(Expr::Kind::Item, at);
      e->kids.push_back(std::move(obj));
      e->kids.push_back(std::move(parts[0]));
      return e;
    }
    auto e = make(Expr::Kind::Slice, at);
    e->kids.push_back(std::move(obj));
    for (auto& p : parts) e->kids.push_back(std::move(p));
    return e;
  }

  // Arguments of a call, filter or test: positional first, then name=value.
  void parse_args(Expr& e) {
    expect_op("(");
    while (!is_op(")")) {
      if (is_op("*") || is_op("**")) fail(cur(), "unsupported: *args/**kwargs in a call");
      if (cur().type == Tok::Name && peek().type == Tok::Op && peek().text == "=") {
        e.kw_names.push_back(next().text);
        next();
        e.kids.push_back(parse_expression());
      } else {
        if (!e.kw_names.empty()) fail(cur(), "positional argument after a keyword argument");
        e.kids.push_back(parse_expression());
      }
      if (!is_op(",")) break;
      next();
    }
    expect_op(")");
  }

  ExprPtr parse_call(ExprPtr callee) {
    auto e = make(Expr::Kind::Call, cur());
    e->kids.push_back(std::move(callee));
    parse_args(*e);
    return e;
  }

  ExprPtr parse_filters(ExprPtr e) {
    for (;;) {
      if (is_op("|")) {
        next();
        const Token& name_tok = cur();
        std::string name = expect_name("a filter name");
        while (is_op(".")) {  // dotted filter names exist in Jinja; none we know
          next();
          name += "." + expect_name("a filter name");
        }
        if (!is_known_filter(name)) fail(name_tok, "unsupported filter '{}'", name);
        auto f = make(Expr::Kind::Filter, name_tok);
        f->str = name;
        f->kids.push_back(std::move(e));
        if (is_op("(")) parse_args(*f);
        e = std::move(f);
      } else if (is_name("is")) {
        next();
        bool negated = false;
        if (is_name("not")) {
          next();
          negated = true;
        }
        const Token& name_tok = cur();
        std::string name = name_tok.type == Tok::Op && (name_tok.text == "==" || name_tok.text == "!=" ||
                                                        name_tok.text == "<" || name_tok.text == ">" ||
                                                        name_tok.text == "<=" || name_tok.text == ">=")
                               ? next().text
                               : expect_name("a test name");
        if (!is_known_test(name)) fail(name_tok, "unsupported test '{}'", name);
        auto t = make(Expr::Kind::Test, name_tok);
        t->str = name;
        t->negated = negated;
        t->kids.push_back(std::move(e));
        if (is_op("(")) {
          parse_args(*t);
        } else if (takes_bare_argument()) {
          // `x is divisibleby 3`, `x is equalto 'a'`: one argument without parentheses.
          ExprPtr arg = parse_primary();
          t->kids.push_back(parse_postfix(std::move(arg)));
        }
        e = std::move(t);
      } else if (is_op("(")) {
        e = parse_call(std::move(e));
      } else {
        return e;
      }
    }
  }

  bool takes_bare_argument() const {
    const Token& t = cur();
    if (t.type == Tok::String || t.type == Tok::Int || t.type == Tok::Float) return true;
    if (t.type == Tok::Op) return t.text == "[" || t.text == "{";
    if (t.type != Tok::Name) return false;
    static const char* const kStop[] = {"else", "or", "and", "if", "in", "not", "is"};
    for (const char* s : kStop)
      if (t.text == s) return false;
    return true;
  }

  const std::vector<Token>& t_;
  size_t i_ = 0;
  int depth_ = 0;
  int loop_depth_ = 0;
};

}  // namespace

Body parse(const std::vector<Token>& tokens) { return Parser(tokens).parse_template(); }

}  // namespace argus::text::jinja
